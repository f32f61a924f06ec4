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
S: 452 4.3.1 insufficient system storage
C: QUIT
S: 221 bye
E: close
result temp
message did not accept the message: 452 4.3.1 insufficient system storage
code 452
