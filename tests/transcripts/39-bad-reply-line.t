include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 251 STARTTLS
E: close
result protocol
message changes its code from 250 to 251
