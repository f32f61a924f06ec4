include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 454 4.7.0 TLS not available due to temporary reason
C: QUIT
S: 221 bye
E: close
result tls
message server refused STARTTLS: 454 4.7.0 TLS not available due to temporary reason
code 454
