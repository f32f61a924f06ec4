# no password over cleartext unless configured: nothing is even read
param tls off
param auth plain
param user alice
param password secret
param from a@example.org
param rcpt b@example.org
E: close
result auth
message refusing to send the password over an unencrypted connection
