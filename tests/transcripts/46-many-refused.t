# the error names the first refusals and counts the rest
include params-alice-starttls-plain.inc
param rcpt r0@example.org
param rcpt r1@example.org
param rcpt r2@example.org
param rcpt r3@example.org
param rcpt r4@example.org
param rcpt r5@example.org
param rcpt r6@example.org
param rcpt r7@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<r0@example.org>
C: RCPT TO:<r1@example.org>
C: RCPT TO:<r2@example.org>
C: RCPT TO:<r3@example.org>
C: RCPT TO:<r4@example.org>
C: RCPT TO:<r5@example.org>
C: RCPT TO:<r6@example.org>
C: RCPT TO:<r7@example.org>
C: DATA
S: 250 ok
S: 550 5.1.1 unknown
S: 550 5.1.1 unknown
S: 550 5.1.1 unknown
S: 550 5.1.1 unknown
S: 550 5.1.1 unknown
S: 550 5.1.1 unknown
S: 550 5.1.1 unknown
S: 550 5.1.1 unknown
S: 554 5.5.1 no valid recipients
C: QUIT
S: 221 bye
E: close
result nouser
message all 8 recipients refused: <r0@example.org> (550 5.1.1 unknown), <r1@example.org>
message <r5@example.org> (550 5.1.1 unknown) and 2 more
rcpt 7 550
