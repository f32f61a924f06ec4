# the connection times out under the engine
include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
E: abort
E: close
result temp
message timeout
