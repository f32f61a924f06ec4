# CHUNKING and PIPELINING after AUTH: MAIL, RCPT, RCPT, "BDAT n LAST" and the
# message (CRLF, not dot-stuffed, no terminator) in ONE flight; no 354 round trip
include params-alice-starttls-plain.inc
param rcpt b@example.org
param rcpt c@example.org
param body Subject: hi\n\n.dot line\nline two\n
param size 36
include starttls-auth-plain-chunking.inc
C: MAIL FROM:<a@example.org> SIZE=36
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: BDAT 36 LAST
B: Subject: hi\r\n\r\n.dot line\r\nline two\r\n
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
body-mode raw
trace-has > BDAT 36 LAST
trace-absent > DATA
trace-absent secret
trace-has = TRANSACTION -> BODY
trace-has = BODY -> BDAT
trace-has = BDAT -> QUIT
