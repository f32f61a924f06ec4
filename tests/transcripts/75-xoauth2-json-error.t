# XOAUTH2's error continuation (Gmail): answered with an empty line
param auth xoauth2
param user alice@example.org
param password ya29.a0AfH6SMBx-token.value_1234
include implicit-verify.inc
S: 250 AUTH XOAUTH2
C: AUTH XOAUTH2 dXNlcj1hbGljZUBleGFtcGxlLm9yZwFhdXRoPUJlYXJlciB5YTI5LmEwQWZINlNNQngtdG9rZW4udmFsdWVfMTIzNAEB
S: 334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==
C: 
S: 535-5.7.8 Username and Password not accepted. For more information, go to
S: 535 5.7.8  https://support.google.com/mail/?p=BadCredentials
C: QUIT
S: 221 bye
E: close
result auth
message status 401
message access token
