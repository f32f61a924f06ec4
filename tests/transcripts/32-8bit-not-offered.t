# no 8BITMIME, no SIZE: plain MAIL FROM, sent anyway
param tls implicit
param from a@example.org
param rcpt b@example.org
param eightbit yes
param size 500
S: 220 mx
C: EHLO client.example
S: 250 mx
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
