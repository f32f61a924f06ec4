# keep_open: a message with a UTF-8 recipient fails at once on a server
# without SMTPUTF8 (nothing sent, the connection stays ready) and the
# next one goes out with DSN; the 250 of BDAT... DATA is its final reply
include params-alice-starttls-plain.inc
param keep-open yes
param rcpt jörg@example.org
msg rcpt=b@example.org dsn-notify=failure dsn-envid=Q1
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250-DSN
S: 250 AUTH PLAIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
E: next
C: MAIL FROM:<a@example.org> ENVID=Q1
C: RCPT TO:<b@example.org> NOTIFY=failure
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 queued as Z
E: quit
C: QUIT
S: 221 bye
E: close
@1 result data
@1 message needs SMTPUTF8
result ok
final-reply 250 2.0.0 queued as Z
