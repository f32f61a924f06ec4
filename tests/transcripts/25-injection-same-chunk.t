# CVE-2021-22947 class: replies injected in cleartext after the 220
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
S: 250-mx
S: 250 AUTH PLAIN
E: close
result protocol
message server sent data after 220 to STARTTLS (command injection attempt); refusing
