# The second message is rejected at the end of its data (554): that
# transaction fails for good, the dialogue is in step, so the third goes
# out on the same connection
include multi-first-delivered.inc
msg rcpt=c@example.org
msg rcpt=d@example.org
include multi-next-to-c.inc
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 554 5.7.1 spam
include multi-last-to-d-then-quit.inc
@1 result ok
@2 result unavailable
@2 message server rejected the message: 554 5.7.1 spam
@2 code 554
@2 rcpt 0 250
@3 result ok
result ok
trace-has = DOT -> READY
