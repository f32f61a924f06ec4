# the server talks before the client sent anything to answer
include params-alice-starttls-plain.inc
param rcpt b@example.org
S: 220 mx ESMTP
S: 250 early
E: close
result protocol
message no reply was awaited
