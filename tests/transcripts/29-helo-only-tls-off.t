# explicitly cleartext without AUTH: HELO is good enough
param tls off
param from a@example.org
param rcpt b@example.org
param eightbit yes
param size 100
S: 220 old.example SMTP
C: EHLO client.example
S: 500 5.5.1 what?
C: HELO client.example
S: 250 old.example
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
