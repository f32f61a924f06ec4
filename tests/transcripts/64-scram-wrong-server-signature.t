# the server accepts the proof but its own signature is wrong: an impostor
# (it could have relayed our proof); cancel, never send the message
param tls starttls
param auth scram-sha-256
include scram-sha-256-vector.inc
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH SCRAM-SHA-256
include scram-sha-256-proof.inc
S: 334 dj03cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C: *
S: 501 5.7.0 Authentication cancelled
C: QUIT
S: 221 bye
E: close
result auth
message server signature wrong: possible impostor
trace-absent MAIL FROM
