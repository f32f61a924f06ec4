param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 go ahead
E: tls
C: EHLO client.example
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
