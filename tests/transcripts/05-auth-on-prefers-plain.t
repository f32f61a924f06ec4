# auth = on: PLAIN is chosen over LOGIN whatever the order
param tls starttls
param auth on
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
param verify yes
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
S: 250 AUTH LOGIN CRAM-MD5 plain
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: QUIT
S: 221 bye
E: close
result ok
caps-auth LOGIN CRAM-MD5 PLAIN
