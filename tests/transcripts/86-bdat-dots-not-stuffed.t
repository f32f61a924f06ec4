# BDAT carries the message as is (RFC 3030 2): lines starting with a dot,
# and lines holding only a dot, go out unchanged; no ".\r\n" terminator
include params-alice-starttls-plain.inc
param rcpt b@example.org
param body Subject: dots\n\n.\n..\n.leading\n...three\n \n.\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: BDAT 50 LAST
B: Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n...three\r\n \r\n.\r\n
S: 250 ok
S: 250 ok
S: 250 2.0.0 Ok: queued as D0T
C: QUIT
S: 221 Bye
E: close
result ok
body-mode raw
