# BDAT: the only recipient refused with a 4xx: temporary, as with DATA
include params-alice-starttls-plain.inc
param rcpt b@example.org
param body Subject: hi\n\n.dot line\nline two\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: BDAT 36 LAST
B: Subject: hi\r\n\r\n.dot line\r\nline two\r\n
S: 250 ok
S: 450 4.2.0 greylisted
S: 554 5.5.1 Error: no valid recipients
C: QUIT
S: 221 Bye
E: close
result temp
message recipient refused
code 450
