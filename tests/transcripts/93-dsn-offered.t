# DSN offered: RET= and ENVID= (xtext: '+' and '=' as +2B, +3D) on MAIL,
# NOTIFY= on each RCPT; the reply to the final dot is kept for the log
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
param size 500
param dsn-notify SUCCESS,FAILURE
param dsn-ret HDRS
param dsn-envid ENV+1=2
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-DSN
S: 250 AUTH PLAIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org> SIZE=500 RET=HDRS ENVID=ENV+2B1+3D2
C: RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE
C: RCPT TO:<c@example.org> NOTIFY=SUCCESS,FAILURE
C: DATA
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as 4ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
final-reply 250 2.0.0 Ok: queued as 4ABC
dsn-ignored no
