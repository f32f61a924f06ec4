include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 451 4.3.0 queue full
C: QUIT
S: 221 bye
E: close
result temp
message server refused DATA: 451 4.3.0 queue full
