# Two messages on one connection opened without a message, PIPELINING: the
# first goes MAIL+RCPT+DATA, the second RSET+MAIL+RCPT+RCPT+DATA in ONE
# flight; each message's own envelope and body go out
include params-alice-starttls-plain.inc
param keep-open yes
param first-message no
msg rcpt=b@example.org size=19 body=Subject: one\n\nhi\n
msg from=x@example.org rcpt=c@example.org rcpt=d@example.org body=Subject: two\n\n.dot\n
include starttls-auth-plain-pipelining.inc
E: next
C: MAIL FROM:<a@example.org> SIZE=19
C: RCPT TO:<b@example.org>
C: DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
B: Subject: one\r\n\r\nhi\r\n.\r\n
S: 250 2.0.0 Ok: queued as A1
E: next
C: RSET
C: MAIL FROM:<x@example.org>
C: RCPT TO:<c@example.org>
C: RCPT TO:<d@example.org>
C: DATA
S: 250 2.0.0 Ok
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
B: Subject: two\r\n\r\n..dot\r\n.\r\n
S: 250 2.0.0 Ok: queued as A2
E: quit
C: QUIT
S: 221 2.0.0 Bye
E: close
@1 result ok
@1 rcpt 0 250
@2 result ok
@2 rcpt 0 250
@2 rcpt 1 250
result ok
trace-has = AUTH -> READY
trace-has = READY -> TRANSACTION
trace-has = DOT -> READY
trace-has = READY -> QUIT
