# BDAT n LAST refused permanently: like a refused final dot
include params-alice-starttls-plain.inc
param rcpt b@example.org
param body Subject: hi\n\n.dot line\nline two\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: BDAT 36 LAST
B: Subject: hi\r\n\r\n.dot line\r\nline two\r\n
S: 250 ok
S: 250 ok
S: 552 5.3.4 Error: message file too big
C: QUIT
S: 221 Bye
E: close
result unavailable
message rejected the message: 552 5.3.4
code 552
enhanced 5.3.4
