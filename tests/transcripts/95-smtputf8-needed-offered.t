# a UTF-8 recipient and a server with SMTPUTF8: declared on MAIL (with
# BODY=8BITMIME for the 8-bit message), the address sent as it is
include params-alice-starttls-plain.inc
param rcpt jörg@example.org
param eightbit yes
include starttls-auth-plain-smtputf8.inc
C: MAIL FROM:<a@example.org> BODY=8BITMIME SMTPUTF8
C: RCPT TO:<jörg@example.org>
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
