# AUTH advertised in cleartext but not after TLS: the cleartext list is forgotten
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250-AUTH PLAIN LOGIN
S: 250 STARTTLS
C: STARTTLS
S: 220 go
E: tls
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: QUIT
S: 221 bye
E: close
result auth
message server offers no authentication (AUTH)
trace-absent > AUTH
