# Without PIPELINING the second message goes one command per flight: RSET,
# its 250, MAIL, its 250, RCPT, its 250, DATA
include params-alice-starttls-plain.inc
param keep-open yes
param rcpt b@example.org
msg rcpt=c@example.org
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
C: DATA
S: 354 go
E: body
S: 250 2.0.0 queued as A1
E: next
C: RSET
S: 250 2.0.0 ok
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<c@example.org>
S: 250 ok
C: DATA
S: 354 go
E: body
S: 250 2.0.0 queued as A2
E: quit
C: QUIT
S: 221 bye
E: close
@1 result ok
@2 result ok
result ok
