# A message larger than the server's SIZE is refused before a byte goes
# out (the engine is ready again at once); the next one still starts with
# RSET, since the first went on the wire
include multi-first-delivered.inc
msg rcpt=c@example.org size=20000000
msg rcpt=d@example.org
E: next
include multi-last-to-d-then-quit.inc
@1 result ok
@2 result data
@2 message message is 20000000 bytes, server accepts at most 10240000
@3 result ok
result ok
trace-absent > RCPT TO:<c@example.org>
