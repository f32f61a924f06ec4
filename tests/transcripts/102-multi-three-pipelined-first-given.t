# Three messages, the first given with the params (as a queue run that has
# one at hand): it follows AUTH at once, with no RSET; the second and the
# third each start with RSET in their pipelined flight
include params-alice-starttls-plain.inc
param keep-open yes
param rcpt b@example.org
param body one\n
msg rcpt=c@example.org body=two\n
msg rcpt=d@example.org body=three\n
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
B: one\r\n.\r\n
S: 250 2.0.0 queued as A1
E: next
C: RSET
C: MAIL FROM:<a@example.org>
C: RCPT TO:<c@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
B: two\r\n.\r\n
S: 250 2.0.0 queued as A2
E: next
C: RSET
C: MAIL FROM:<a@example.org>
C: RCPT TO:<d@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
B: three\r\n.\r\n
S: 250 2.0.0 queued as A3
E: quit
C: QUIT
S: 221 bye
E: close
@1 result ok
@2 result ok
@3 result ok
result ok
trace-has = AUTH -> TRANSACTION
trace-absent = AUTH -> READY
