# without PIPELINING one command per flight
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
E: tls
C: EHLO client.example
S: 250-mx.example
S: 250 AUTH PLAIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: RCPT TO:<c@example.org>
S: 250 ok
C: DATA
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
