include params-alice-starttls-plain.inc
param rcpt b@example.org
param size 20000000
include starttls-auth-plain-pipelining.inc
C: QUIT
S: 221 bye
E: close
result data
message message is 20000000 bytes, server accepts at most 10240000
