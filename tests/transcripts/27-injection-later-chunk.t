# bytes arriving while the engine waits for the handshake
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
-
S: 250 injected
E: close
result protocol
message command injection attempt
