# A 421 in the second message ends the connection (no QUIT: the server is
# going away); the second transaction's result is temporary, the first's
# success stands
include multi-first-delivered.inc
msg rcpt=c@example.org
include multi-next-to-c.inc
S: 250 2.0.0 ok
S: 421 4.7.0 mx.example Error: too many messages, closing connection
E: close
@1 result ok
@2 result temp
@2 message server closing connection: 421 4.7.0
@2 code 421
@2 rcpt 0 0
result temp
trace-absent > QUIT
trace-has = TRANSACTION -> CLOSED
