# without pipelining, all recipients 4xx: no DATA, TEMP
param tls implicit
param from a@example.org
param rcpt b@example.org
S: 220 mx
C: EHLO client.example
S: 250 mx
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 450 4.1.1 try later
C: QUIT
S: 221 bye
E: close
result temp
message recipient refused: <b@example.org> (450 4.1.1 try later)
