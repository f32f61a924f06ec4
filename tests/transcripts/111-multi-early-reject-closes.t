# A server that answers in the middle of the second message's body has the
# stream out of step: the connection ends (SMTP_WANT_CLOSE, not NEXT)
include multi-first-delivered.inc
msg rcpt=c@example.org
include multi-next-to-c.inc
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
S: 552 5.3.4 Error: message file too big
E: close
@1 result ok
@2 result unavailable
@2 message while it was being sent
result unavailable
trace-has = BODY -> CLOSED
