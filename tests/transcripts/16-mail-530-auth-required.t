# auth off, the server wants it
param tls starttls
param from a@example.org
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 220 go
E: tls
C: EHLO client.example
S: 250-mx
S: 250 AUTH PLAIN
C: MAIL FROM:<a@example.org>
S: 530 5.7.0 Authentication required
C: QUIT
S: 221 bye
E: close
result unavailable
message authentication required
code 530
