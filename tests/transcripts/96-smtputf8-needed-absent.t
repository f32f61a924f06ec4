# a UTF-8 sender and a server without SMTPUTF8: refused before MAIL, a
# permanent data error; the connection ends cleanly
include params-alice-starttls-plain.inc
param from jörg@example.org
param rcpt b@example.org
param eightbit yes
include starttls-auth-plain-pipelining.inc
C: QUIT
S: 221 bye
E: close
result data
message needs SMTPUTF8 (RFC 6531), and the server does not offer it
trace-absent MAIL FROM
