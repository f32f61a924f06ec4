# auth = xoauth2: the password is the access token
param tls starttls
param auth xoauth2
param user alice@example.org
param password ya29.a0AfH6SMBx-token.value_1234
param from alice@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250 AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER
C: AUTH XOAUTH2 dXNlcj1hbGljZUBleGFtcGxlLm9yZwFhdXRoPUJlYXJlciB5YTI5LmEwQWZINlNNQngtdG9rZW4udmFsdWVfMTIzNAEB
S: 235 2.7.0 Accepted
C: MAIL FROM:<alice@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 2.1.0 ok
S: 250 2.1.5 ok
S: 354 go
E: body
S: 250 2.0.0 OK
C: QUIT
S: 221 bye
E: close
result ok
trace-has > AUTH XOAUTH2 <redacted>
trace-absent ya29
