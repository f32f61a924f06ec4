param tls off
param auth login
param auth-without-tls yes
param user alice
param password secret
param verify yes
S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250-AUTH=LOGIN
S: 250-auth login plain bad!name
S: 250 size 52428800
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: YWxpY2U=
S: 334 UGFzc3dvcmQ6
C: c2VjcmV0
S: 235 ok
C: QUIT
S: 221 bye
E: close
result ok
caps-auth LOGIN PLAIN
caps-size 52428800
