# DSN asked but not offered: no NOTIFY, RET or ENVID, and the engine says
# it left them out
include params-alice-starttls-plain.inc
param rcpt b@example.org
param dsn-notify never
param dsn-ret full
param dsn-envid X1
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 ok\tqueued
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
final-reply 250 ok\x09queued
dsn-ignored yes
