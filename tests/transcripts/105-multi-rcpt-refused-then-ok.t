# The second message's only recipient is refused (and so DATA): that
# transaction fails as NOUSER with the recipient's reply, the connection
# stays ready, and the third message goes out fine after RSET
include multi-first-delivered.inc
msg rcpt=nobody@example.org
msg rcpt=d@example.org
E: next
C: RSET
C: MAIL FROM:<a@example.org>
C: RCPT TO:<nobody@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 550 5.1.1 <nobody@example.org>: Recipient address rejected
S: 554 5.5.1 Error: no valid recipients
include multi-last-to-d-then-quit.inc
@1 result ok
@2 result nouser
@2 message recipient refused: <nobody@example.org> (550 5.1.1 <nobody@example.org>: Recipient address rejected)
@2 code 550
@2 enhanced 5.1.1
@2 rcpt 0 550
@3 result ok
@3 rcpt 0 250
result ok
