# auth = external (RFC 4422 appendix A, RFC 4954): the TLS client
# certificate logs in; no user, so the authorization identity is empty and
# goes inline as "=".  No password is set: the engine needs none.
param tls starttls
param auth external
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250 AUTH PLAIN EXTERNAL
C: AUTH EXTERNAL =
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
trace-has > AUTH EXTERNAL <redacted>
trace-has = AUTH -> TRANSACTION
