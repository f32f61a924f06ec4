# 587: STARTTLS, AUTH PLAIN inline, MAIL+RCPT+RCPT+DATA in one flight
param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
param rcpt c@example.org
param size 1234
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 go ahead
E: tls
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-8BITMIME
S: 250 AUTH PLAIN LOGIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org> SIZE=1234
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
trace-has > AUTH PLAIN <redacted>
trace-absent secret
trace-has < 250-PIPELINING
