# 4xx for one, none 5xx: delivered to the rest, TEMP
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
