# auth = on after TLS: SCRAM-SHA-256 beats SCRAM-SHA-1, PLAIN, LOGIN and
# CRAM-MD5 whatever the order (RFC 7677 vector: user/pencil, fixed nonce)
param tls starttls
param auth on
include scram-sha-256-vector.inc
param verify yes
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256
include scram-sha-256-proof.inc
S: 334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C: 
S: 235 2.7.0 Authentication successful
C: QUIT
S: 221 bye
E: close
result ok
trace-has > AUTH SCRAM-SHA-256 <redacted>
trace-absent > AUTH PLAIN
