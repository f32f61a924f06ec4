# auth = on never picks CRAM-MD5: it says how to allow it
param tls starttls
param auth on
param user tim
param password tanstaaftanstaaf
param verify yes
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 go ahead
E: tls
C: EHLO client.example
S: 250-mx.example
S: 250 AUTH CRAM-MD5
C: QUIT
S: 221 bye
E: close
result auth
message set auth = cram-md5
trace-absent > AUTH CRAM-MD5
