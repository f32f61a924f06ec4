include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-8BITMIME
S: 250 AUTH PLAIN LOGIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 535 5.7.8 Error: authentication failed: bad password
C: QUIT
S: 221 bye
E: close
result auth
message authentication failed for alice: 535 5.7.8 Error: authentication failed: bad password; check user and password
code 535
enhanced 5.7.8
trace-absent secret
