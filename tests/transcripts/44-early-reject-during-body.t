# the server gives up while the body is still being sent
include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
S: 554 5.6.0 message too big
E: close
result unavailable
message while it was being sent
