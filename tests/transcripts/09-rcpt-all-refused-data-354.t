# RFC 2920 3.1: DATA accepted although no recipient was: end the data at once
include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 550 5.1.1 unknown
S: 354 go ahead
C: .
S: 554 5.5.1 no valid recipients
C: QUIT
S: 221 bye
E: close
result nouser
message recipient refused: <b@example.org> (550 5.1.1 unknown)
