# auth = external, but the server does not offer EXTERNAL: refused before
# anything is sent, with what to do.
param tls implicit
param auth external
param from a@example.org
param rcpt b@example.org
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250 AUTH PLAIN LOGIN
C: QUIT
S: 221 2.0.0 Bye
E: close
result auth
message server offers authentication by PLAIN LOGIN only, wanted EXTERNAL; the server does not log in by client certificate here
trace-absent > AUTH
