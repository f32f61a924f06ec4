# auth = on: PLAIN is chosen over LOGIN whatever the order
param tls starttls
param auth on
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
param verify yes
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH LOGIN CRAM-MD5 plain
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: QUIT
S: 221 bye
E: close
result ok
caps-auth LOGIN CRAM-MD5 PLAIN
