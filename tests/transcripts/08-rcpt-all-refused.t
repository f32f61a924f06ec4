# all refused; the pipelined DATA gets 554, then QUIT
param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
param rcpt c@example.org
param rcpt d@example.org
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 go ahead
E: tls
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-8BITMIME
S: 250 AUTH PLAIN LOGIN
C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: RCPT TO:<d@example.org>
C: DATA
S: 250 ok
S: 550 5.1.1 no such user b
S: 550 5.1.1 no such user c
S: 553 5.7.1 relay denied
S: 554 5.5.1 Error: no valid recipients
C: QUIT
S: 221 bye
E: close
result nouser
message all 3 recipients refused
message <d@example.org> (553 5.7.1 relay denied)
code 550
