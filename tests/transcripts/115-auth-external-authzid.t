# auth = external with user set: the user is the authorization identity
# (base64 of alice@example.org).  A 535 is an authentication failure that
# names the certificate, not a password.
param tls implicit
param auth external
param user alice@example.org
param from a@example.org
param rcpt b@example.org
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250 AUTH EXTERNAL
C: AUTH EXTERNAL YWxpY2VAZXhhbXBsZS5vcmc=
S: 535 5.7.8 Error: authentication failed
C: QUIT
S: 221 2.0.0 Bye
E: close
result auth
message authentication failed for alice@example.org: 535 5.7.8 Error: authentication failed; check that the server knows the certificate of tls_cert_file
