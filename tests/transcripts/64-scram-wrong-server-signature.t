# the server accepts the proof but its own signature is wrong: an impostor
# (it could have relayed our proof); cancel, never send the message
param tls starttls
param auth scram-sha-256
param user user
param password pencil
param nonce rOprNGfwEbeRWgbNEkqO
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250 AUTH SCRAM-SHA-256
C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
S: 334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=
C: Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==
S: 334 dj03cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C: *
S: 501 5.7.0 Authentication cancelled
C: QUIT
S: 221 bye
E: close
result auth
message server signature wrong: possible impostor
trace-absent MAIL FROM
