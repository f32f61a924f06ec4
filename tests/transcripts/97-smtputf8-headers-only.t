# UTF-8 only in the header: SMTPUTF8 declared where offered, with
# BODY=8BITMIME
include params-alice-starttls-plain.inc
param rcpt b@example.org
param eightbit yes
param utf8-headers yes
include starttls-auth-plain-smtputf8.inc
C: MAIL FROM:<a@example.org> BODY=8BITMIME SMTPUTF8
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 ok
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
