# no message (a password check) with auth off: EHLO (after TLS) is the end
param tls implicit
param verify yes
S: 220 mx
C: EHLO client.example
S: 250 mx
C: QUIT
S: 221 bye
E: close
result ok
