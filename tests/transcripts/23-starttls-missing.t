# possible downgrade (STARTTLS stripped): never continue in cleartext
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250-PIPELINING
S: 250 AUTH PLAIN LOGIN
C: QUIT
S: 221 bye
E: close
result tls
message does not offer STARTTLS (possible downgrade attack
message tls = implicit
trace-absent > AUTH
