# auth = oauthbearer (RFC 7628 3.1, without host and port)
param auth oauthbearer
param user alice@example.org
param password ya29.a0AfH6SMBx-token.value_1234
include implicit-verify.inc
S: 250 AUTH PLAIN OAUTHBEARER
C: AUTH OAUTHBEARER bixhPWFsaWNlQGV4YW1wbGUub3JnLAFhdXRoPUJlYXJlciB5YTI5LmEwQWZINlNNQngtdG9rZW4udmFsdWVfMTIzNAEB
S: 235 2.7.0 Accepted
C: QUIT
S: 221 bye
E: close
result ok
trace-has > AUTH OAUTHBEARER <redacted>
trace-absent ya29
