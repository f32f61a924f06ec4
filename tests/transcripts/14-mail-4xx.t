include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 451 4.3.0 try later
S: 503 5.5.1 need MAIL
S: 503 5.5.1 need MAIL
C: QUIT
S: 221 bye
E: close
result temp
message refused the sender <a@example.org>: 451 4.3.0 try later
code 451
