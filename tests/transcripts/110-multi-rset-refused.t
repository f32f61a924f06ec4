# RSET refused: the MAIL reply behind it still says whether a transaction
# started, so the message is judged as ever (here accepted), but a server
# this odd gets no further message: QUIT instead of SMTP_WANT_NEXT
include multi-first-delivered.inc
msg rcpt=c@example.org
include multi-next-to-c.inc
S: 502 5.5.2 Error: command not recognized
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 queued as A2
C: QUIT
S: 221 bye
E: close
@1 result ok
@2 result ok
@2 rcpt 0 250
result ok
trace-has = DOT -> QUIT
