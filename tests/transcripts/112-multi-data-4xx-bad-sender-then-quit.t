# DATA refused (451) ends only that transaction; a message whose sender
# could break the dialogue is refused by the engine before a byte goes out;
# the connection is still ready for QUIT after both
include params-alice-starttls-plain.inc
param keep-open yes
param rcpt b@example.org
msg rcpt=c@example.org
msg from=x>@example.org rcpt=d@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 451 4.3.0 Error: queue file write error
include multi-next-to-c.inc
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 queued as A2
E: next
E: quit
C: QUIT
S: 221 bye
E: close
@1 result temp
@1 message server refused DATA: 451 4.3.0
@1 rcpt 0 250
@2 result ok
@3 result usage
@3 message contains '>'
result usage
trace-absent x>@example.org
