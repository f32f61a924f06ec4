include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 554 5.7.1 spam
C: QUIT
S: 221 bye
E: close
result unavailable
message rejected the message: 554 5.7.1 spam
