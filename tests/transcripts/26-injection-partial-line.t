# a partial line after the 220 counts too
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
S. 2
E: close
result protocol
message command injection attempt
