include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-8BITMIME
S: 250 AUTH PLAIN LOGIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 454 4.7.0 Temporary authentication failure
C: QUIT
S: 221 bye
E: close
result temp
code 454
