# BDAT flight, MAIL refused: RCPT and BDAT get 503; the MAIL refusal is what is reported
param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
param rcpt c@example.org
param body Subject: hi\n\n.dot line\nline two\n
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
S: 250-PIPELINING
S: 250-CHUNKING
S: 250-SIZE 10240000
S: 250-8BITMIME
S: 250 AUTH PLAIN LOGIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: BDAT 36 LAST
B: Subject: hi\r\n\r\n.dot line\r\nline two\r\n
S: 550 5.7.1 sender not allowed
S: 503 5.5.1 need MAIL
S: 503 5.5.1 need MAIL
S: 503 5.5.1 need MAIL command
C: QUIT
S: 221 Bye
E: close
result unavailable
message refused the sender <a@example.org>: 550 5.7.1
code 550
enhanced 5.7.1
