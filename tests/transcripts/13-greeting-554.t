include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 554 5.7.1 no service for you
C: QUIT
S: 221 bye
E: close
result unavailable
message 554 5.7.1 no service for you
