# CHUNKING and PIPELINING offered, but the caller does not know the exact size:
# DATA as before
include params-alice-starttls-plain.inc
param rcpt b@example.org
param body Subject: hi\n\n.dot line\nline two\n
param wire-size 0
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
B: Subject: hi\r\n\r\n..dot line\r\nline two\r\n.\r\n
S: 250 2.0.0 Ok
C: QUIT
S: 221 Bye
E: close
result ok
body-mode dot
