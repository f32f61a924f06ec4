# The first message of a run is refused at MAIL: the pipelined RCPT and
# DATA get 503, which say nothing about the recipient (its code stays 0);
# the connection stays ready and the next message, after RSET, goes out
include params-alice-starttls-plain.inc
param keep-open yes
param first-message no
msg from=bad@example.org rcpt=b@example.org
msg rcpt=c@example.org
include starttls-auth-plain-pipelining.inc
E: next
C: MAIL FROM:<bad@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 553 5.7.1 <bad@example.org>: Sender address rejected: not owned by user alice
S: 503 5.5.1 Error: need MAIL command
S: 503 5.5.1 Error: need MAIL command
include multi-next-to-c.inc
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 queued as A2
E: quit
C: QUIT
S: 221 bye
E: close
@1 result unavailable
@1 message server refused the sender <bad@example.org>: 553 5.7.1
@1 code 553
@1 rcpt 0 0
@2 result ok
result ok
trace-has = TRANSACTION -> READY
