include params-alice-starttls-plain.inc
param rcpt b@example.org
param eightbit yes
param size 500
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org> SIZE=500 BODY=8BITMIME
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
