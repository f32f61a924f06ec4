# A queue run opens the connection before it has a message: STARTTLS, AUTH,
# then the engine waits for the caller (SMTP_WANT_NEXT); the caller ends it,
# and only then does QUIT go out
include params-alice-starttls-plain.inc
param keep-open yes
param first-message no
include starttls-auth-plain-pipelining.inc
E: quit
C: QUIT
S: 221 2.0.0 Bye
E: close
@0 result ok
result ok
trace-has = AUTH -> READY
trace-has = READY -> QUIT
trace-absent > MAIL
trace-absent > RSET
trace-absent secret
