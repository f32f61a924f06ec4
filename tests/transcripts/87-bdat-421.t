# 421 to BDAT: the server is going away; no QUIT, try later
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
S: 421 4.4.2 timeout, closing
E: close
result temp
message server closing connection: 421 4.4.2
trace-absent > QUIT
