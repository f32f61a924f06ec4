include params-alice-starttls-plain.inc
param rcpt b@example.org
include starttls-auth-plain-pipelining.inc
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.org>
C: DATA
S: 553 5.7.1 <a@example.org>: Sender address rejected: not owned by user alice
S: 503 5.5.1 need MAIL
S: 554 5.5.1 no valid recipients
C: QUIT
S: 221 bye
E: close
result unavailable
message not owned by user alice
enhanced 5.7.1
