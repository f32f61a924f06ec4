# BDAT: one of three recipients refused; the message went to the other two
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
param rcpt d@example.org
param body Subject: hi\n\n.dot line\nline two\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: RCPT TO:<d@example.org>
C: BDAT 36 LAST
B: Subject: hi\r\n\r\n.dot line\r\nline two\r\n
S: 250 ok
S: 250 ok
S: 550 5.1.1 <c@example.org>: Recipient address rejected: User unknown
S: 250 ok
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result nouser delivered
message delivered to 2 of 3 recipients
message <c@example.org> (550 5.1.1
code 550
enhanced 5.1.1
rcpt 0 250
rcpt 1 550
rcpt 2 250
body-mode raw
