# auth = on: SCRAM-SHA-1 when the server has no SCRAM-SHA-256, before PLAIN
# (RFC 5802 vector: user/pencil, fixed nonce)
param auth on
param user user
param password pencil
param nonce fyko+d2lbbFgONRv9qkxdawL
include implicit-verify.inc
S: 250 AUTH PLAIN SCRAM-SHA-1 LOGIN
C: AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM
S: 334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==
C: Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5RjBYK0hJNFRzPQ==
S: 334 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9
C: 
S: 235 2.7.0 ok
C: QUIT
S: 221 bye
E: close
result ok
trace-has > AUTH SCRAM-SHA-1 <redacted>
