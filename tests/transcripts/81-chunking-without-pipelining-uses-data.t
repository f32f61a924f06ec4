# CHUNKING without PIPELINING: one BDAT chunk would cost the same round trip as
# the 354, so DATA (dot-stuffed, one command at a time) as before
include params-alice-starttls-plain.inc
param rcpt b@example.org
param body Subject: hi\n\n.dot line\nline two\n
param size 36
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250-CHUNKING
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 go ahead
E: tls
C: EHLO client.example
S: 250-mx.example
S: 250-CHUNKING
S: 250-SIZE 10240000
S: 250-8BITMIME
S: 250 AUTH PLAIN LOGIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org> SIZE=36
S: 250 2.1.0 Ok
C: RCPT TO:<b@example.org>
S: 250 2.1.5 Ok
C: DATA
S: 354 go
B: Subject: hi\r\n\r\n..dot line\r\nline two\r\n.\r\n
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 Bye
E: close
result ok
body-mode dot
trace-absent BDAT
