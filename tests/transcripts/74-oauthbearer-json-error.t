# RFC 7628 3.2.2: the server's error comes as a 334 with JSON; the client
# answers with a single 0x01 byte ("AQ==") and the server then fails; the
# JSON status ends up in the message
param auth oauthbearer
param user alice@example.org
param password ya29.a0AfH6SMBx-token.value_1234
include implicit-verify.inc
S: 250 AUTH OAUTHBEARER
C: AUTH OAUTHBEARER bixhPWFsaWNlQGV4YW1wbGUub3JnLAFhdXRoPUJlYXJlciB5YTI5LmEwQWZINlNNQngtdG9rZW4udmFsdWVfMTIzNAEB
S: 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJodHRwczovL21haWwuZXhhbXBsZS8iLCJvcGVuaWQtY29uZmlndXJhdGlvbiI6Imh0dHBzOi8vZXhhbXBsZS5jb20vLndlbGwta25vd24vb3BlbmlkLWNvbmZpZ3VyYXRpb24ifQ==
C: AQ==
S: 535 5.7.8 Authentication credentials invalid
C: QUIT
S: 221 bye
E: close
result auth
message status invalid_token
message 535 5.7.8 Authentication credentials invalid
code 535
enhanced 5.7.8
