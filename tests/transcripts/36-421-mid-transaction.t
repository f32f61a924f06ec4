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
S: 421 4.4.2 timeout, closing
E: close
result temp
message server closing connection: 421 4.4.2
