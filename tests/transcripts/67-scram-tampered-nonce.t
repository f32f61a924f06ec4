# server-first whose nonce does not start with ours (replay or tampering)
param tls starttls
param auth scram-sha-256
include scram-sha-256-vector.inc
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH SCRAM-SHA-256
C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
S: 334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxWCVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=
C: *
S: 501 5.7.0 Authentication cancelled
C: QUIT
S: 221 bye
E: close
result protocol
message nonce does not start with ours
trace-absent MAIL FROM
