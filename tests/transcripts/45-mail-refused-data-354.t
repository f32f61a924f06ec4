# MAIL refused, yet the pipelined DATA gets 354: end the data, keep MAIL's error
include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 550 5.7.1 sender refused
S: 503 5.5.1 need MAIL
S: 354 go
C: .
S: 503 5.5.1 no
C: QUIT
S: 221 bye
E: close
result unavailable
message refused the sender <a@example.org>: 550 5.7.1 sender refused
code 550
