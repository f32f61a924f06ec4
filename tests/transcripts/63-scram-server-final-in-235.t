# the server-final message as additional data with the 235 (RFC 4422 5)
param auth scram-sha-256
include scram-sha-256-vector.inc
include implicit-verify.inc
S: 250 AUTH SCRAM-SHA-256
include scram-sha-256-proof.inc
S: 235 2.7.0 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C: QUIT
S: 221 bye
E: close
result ok
