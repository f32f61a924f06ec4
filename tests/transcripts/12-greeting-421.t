include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 421 4.3.2 mx.example too busy
E: close
result temp
message server closing connection: 421 4.3.2 mx.example too busy
code 421
enhanced 4.3.2
