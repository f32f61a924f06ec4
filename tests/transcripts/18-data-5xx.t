include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 554 5.3.0 no
C: QUIT
S: 221 bye
E: close
result unavailable
message server refused DATA: 554 5.3.0 no
