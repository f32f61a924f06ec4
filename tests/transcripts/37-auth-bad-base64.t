# a 334 that is not base64: cancel with "*"
param tls starttls
param auth login
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH LOGIN
C: AUTH LOGIN
S: 334 not*base64
C: *
S: 501 5.7.0 cancelled
C: QUIT
S: 221 bye
E: close
result protocol
message malformed AUTH challenge
