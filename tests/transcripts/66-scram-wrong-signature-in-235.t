# a wrong v= carried in the 235 is just as bad
param auth scram-sha-256
include scram-sha-256-vector.inc
include implicit-verify.inc
S: 250 AUTH SCRAM-SHA-256
include scram-sha-256-proof.inc
S: 235 dj03cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C: QUIT
S: 221 bye
E: close
result auth
message server signature wrong: possible impostor
