# possible downgrade (STARTTLS stripped): never continue in cleartext
param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
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
