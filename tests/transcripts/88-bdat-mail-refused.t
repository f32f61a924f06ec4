# BDAT flight, MAIL refused: RCPT and BDAT get 503; the MAIL refusal is what is reported
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
S: 550 5.7.1 sender not allowed
S: 503 5.5.1 need MAIL
S: 503 5.5.1 need MAIL
S: 503 5.5.1 need MAIL command
C: QUIT
S: 221 Bye
E: close
result unavailable
message refused the sender <a@example.org>: 550 5.7.1
code 550
enhanced 5.7.1
