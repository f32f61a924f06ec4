# all refused, one of them 4xx: TEMP (a retry may work)
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
S: 550 5.1.1 no
S: 451 4.3.0 later
S: 550 5.1.1 no
S: 554 no valid recipients
C: QUIT
S: 221 bye
E: close
result temp
message all 3 recipients refused
