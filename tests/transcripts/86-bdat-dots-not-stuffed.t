# BDAT carries the message as is (RFC 3030 2): lines starting with a dot,
# and lines holding only a dot, go out unchanged; no ".\r\n" terminator
param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
param body Subject: dots\n\n.\n..\n.leading\n...three\n \n.\n
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
C: BDAT 50 LAST
B: Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n...three\r\n \r\n.\r\n
S: 250 ok
S: 250 ok
S: 250 2.0.0 Ok: queued as D0T
C: QUIT
S: 221 Bye
E: close
result ok
body-mode raw
