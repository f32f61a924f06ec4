# auth = scram-sha-256: the whole submission, the server proved itself in
# the last 334 before the 235
param tls starttls
param auth scram-sha-256
include scram-sha-256-vector.inc
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250 AUTH PLAIN SCRAM-SHA-256
include scram-sha-256-proof.inc
S: 334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C: 
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 2.1.0 ok
S: 250 2.1.5 ok
S: 354 go
E: body
S: 250 2.0.0 Ok: queued as ABC
C: QUIT
S: 221 2.0.0 Bye
E: close
result ok
trace-has > AUTH SCRAM-SHA-256 <redacted>
trace-has > <redacted>
trace-absent pencil
