param tls implicit
param from a@example.org
param rcpt b@example.org
S: 220 mx
C: EHLO client.example
S: 451 4.3.0 not now
C: QUIT
S: 221 bye
E: close
result temp
message server refused EHLO: 451 4.3.0 not now
