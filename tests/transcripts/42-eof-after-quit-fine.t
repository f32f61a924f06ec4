# success stands when the connection drops after QUIT
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
S: 250 queued
C: QUIT
E: abort
E: close
result ok
