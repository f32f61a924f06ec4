# 587: STARTTLS, AUTH PLAIN inline, MAIL+RCPT+RCPT+DATA in one flight
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
param size 1234
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org> SIZE=1234
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
trace-has > AUTH PLAIN <redacted>
trace-absent secret
trace-has < 250-PIPELINING
# every phase change is traced, in order, through the one setter
trace-has = GREETING -> EHLO
trace-has = EHLO -> STARTTLS
trace-has = STARTTLS -> TLS
trace-has = TLS -> EHLO
trace-has = EHLO -> AUTH
trace-has = AUTH -> TRANSACTION
trace-has = TRANSACTION -> BODY
trace-has = BODY -> DOT
trace-has = DOT -> QUIT
trace-has = QUIT -> CLOSED
