# one of three refused: delivered to two, exit says NOUSER
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
param rcpt d@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: RCPT TO:<d@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 550 5.1.1 <c@example.org>: Recipient address rejected: User unknown
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result nouser delivered
message delivered to 2 of 3 recipients
message <c@example.org> (550 5.1.1
code 550
enhanced 5.1.1
rcpt 0 250
rcpt 1 550
rcpt 2 250
