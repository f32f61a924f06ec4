# the server talks before the client sent anything to answer
param tls starttls
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
S: 220 mx ESMTP
S: 250 early
E: close
result protocol
message no reply was awaited
