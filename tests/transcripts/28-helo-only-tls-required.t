# EHLO refused: no STARTTLS possible, do not fall back to HELO
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 old.example SMTP
C: EHLO client.example
S: 502 5.5.2 Error: command not recognized
C: QUIT
S: 221 bye
E: close
result protocol
message server does not speak ESMTP
message TLS/AUTH impossible
trace-absent HELO
