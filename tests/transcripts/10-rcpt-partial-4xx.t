# 4xx for one, none 5xx: delivered to the rest, TEMP
param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
param rcpt c@example.org
param rcpt d@example.org
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
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: RCPT TO:<d@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 450 4.2.0 mailbox busy
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result temp delivered
message not delivered to <c@example.org> (450 4.2.0 mailbox busy)
code 450
