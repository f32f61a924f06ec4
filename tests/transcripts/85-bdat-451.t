# BDAT n LAST refused temporarily: like a 4xx to the final dot
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
S: 451 4.3.0 Error: queue file write error
C: QUIT
S: 221 Bye
E: close
result temp
message did not accept the message: 451 4.3.0
message try again later
code 451
