# a nonsense reply to STARTTLS: no QUIT, just close
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 354 go ahead
E: close
result tls
message server refused STARTTLS: 354 go ahead
