# a 235 with no server signature at all: the server never proved that it
# knows the password; refuse to go on
param tls starttls
param auth scram-sha-256
include scram-sha-256-vector.inc
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH SCRAM-SHA-256
include scram-sha-256-proof.inc
S: 235 2.7.0 Authentication successful
C: QUIT
S: 221 bye
E: close
result auth
message server signature wrong: possible impostor
trace-absent MAIL FROM
