# RSET refused in a BDAT flight and MAIL refused too (the old transaction
# lingers, "nested MAIL command"): the message was not taken; that is the
# connection's fault, not the message's, so the result is temporary; and the
# connection ends with QUIT
include params-alice-starttls-plain.inc
param keep-open yes
param rcpt b@example.org
param body one\n
msg rcpt=c@example.org body=two\n
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: BDAT 5 LAST
B: one\r\n
S: 250 ok
S: 250 ok
S: 250 2.0.0 queued as A1
E: next
C: RSET
C: MAIL FROM:<a@example.org>
C: RCPT TO:<c@example.org>
C: BDAT 5 LAST
B: two\r\n
S: 502 5.5.2 Error: command not recognized
S: 503 5.5.1 Error: nested MAIL command
S: 250 ok
S: 554 5.5.1 Error: no valid recipients
C: QUIT
S: 221 bye
E: close
@1 result ok
@2 result temp
@2 message server refused RSET, then the sender <a@example.org> (503 5.5.1 Error: nested MAIL command)
@2 code 503
@2 rcpt 0 0
result temp
trace-has = BDAT -> QUIT
