# 354 is no reply to BDAT: the server is broken, stop
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
S: 354 go ahead
E: close
result protocol
message unexpected reply to BDAT
