param tls starttls
param auth login
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH PLAIN LOGIN
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: c2VjcmV0
S: 235 2.7.0 ok
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
trace-has > AUTH LOGIN
trace-has > <redacted>
trace-absent c2VjcmV0
