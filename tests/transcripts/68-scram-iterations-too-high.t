# i=10000000: a hostile server making us burn CPU; refused before PBKDF2
param auth scram-sha-256
include scram-sha-256-vector.inc
include implicit-verify.inc
S: 250 AUTH SCRAM-SHA-256
C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
S: 334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTEwMDAwMDAw
C: *
S: 501 5.7.0 Authentication cancelled
C: QUIT
S: 221 bye
E: close
result protocol
message iteration count 10000000 out of range
