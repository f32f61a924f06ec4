# CHUNKING: the second message's RSET, MAIL, RCPT, "BDAT n LAST" and the
# message itself are one flight; the four replies come after it
include params-alice-starttls-plain.inc
param keep-open yes
param rcpt b@example.org
param body Subject: one\n\nhi\n
msg rcpt=c@example.org rcpt=d@example.org body=Subject: two\n\n.dot\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: BDAT 20 LAST
B: Subject: one\r\n\r\nhi\r\n
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.0.0 Ok: queued as A1
E: next
C: RSET
C: MAIL FROM:<a@example.org>
C: RCPT TO:<c@example.org>
C: RCPT TO:<d@example.org>
C: BDAT 22 LAST
B: Subject: two\r\n\r\n.dot\r\n
S: 250 2.0.0 Ok
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 250 2.0.0 Ok: queued as A2
E: quit
C: QUIT
S: 221 2.0.0 Bye
E: close
@1 result ok
@2 result ok
result ok
body-mode raw
trace-has = BDAT -> READY
trace-absent > DATA
