# 421 to the MAIL of a BDAT flight: closed at once, no QUIT
include params-alice-starttls-plain.inc
param rcpt b@example.org
param body Subject: hi\n\n.dot line\nline two\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: BDAT 36 LAST
B: Subject: hi\r\n\r\n.dot line\r\nline two\r\n
S: 421 4.3.2 shutting down
E: close
result temp
message server closing connection: 421 4.3.2
