# auth = scram-sha-256: the whole submission, the server proved itself in
# the last 334 before the 235
param tls starttls
param auth scram-sha-256
param user user
param password pencil
param nonce rOprNGfwEbeRWgbNEkqO
param from a@example.org
param rcpt b@example.org
include starttls-pipelining.inc
S: 250-mx.example
S: 250-PIPELINING
S: 250 AUTH PLAIN SCRAM-SHA-256
C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
S: 334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=
C: Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==
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
