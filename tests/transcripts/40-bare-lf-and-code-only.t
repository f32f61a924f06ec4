# bare LF line ends and a lone "250" as the last line are accepted
param tls implicit
param from a@example.org
param rcpt b@example.org
S. 220 mx\n
C: EHLO client.example
S. 250-mx\n250-pipelining\n250\n
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S. 250 ok\n250 ok\n354 go\n
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
