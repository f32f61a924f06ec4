include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 502 5.5.1 command not implemented
C: QUIT
S: 221 bye
E: close
result tls
message server refused STARTTLS: 502 5.5.1 command not implemented
code 502
