# BDAT: every recipient refused, so the BDAT gets 554 "no valid recipients":
# the result is the recipients' refusal, as with DATA; nothing delivered
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
param body Subject: hi\n\n.dot line\nline two\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: BDAT 36 LAST
B: Subject: hi\r\n\r\n.dot line\r\nline two\r\n
S: 250 ok
S: 550 5.1.1 no such user
S: 550 5.1.1 no such user
S: 554 5.5.1 Error: no valid recipients
C: QUIT
S: 221 2.0.0 Bye
E: close
result nouser
message all 2 recipients refused
code 550
enhanced 5.1.1
rcpt 0 550
rcpt 1 550
