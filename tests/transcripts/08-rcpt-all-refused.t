# all refused; the pipelined DATA gets 554, then QUIT
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
param rcpt d@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: RCPT TO:<d@example.org>
C: DATA
S: 250 ok
S: 550 5.1.1 no such user b
S: 550 5.1.1 no such user c
S: 553 5.7.1 relay denied
S: 554 5.5.1 Error: no valid recipients
C: QUIT
S: 221 bye
E: close
result nouser
message all 3 recipients refused
message <d@example.org> (553 5.7.1 relay denied)
code 550
