# auth = cram-md5 (RFC 2195 vector)
param auth cram-md5
param user tim
param password tanstaaftanstaaf
include implicit-verify.inc
S: 250 AUTH PLAIN CRAM-MD5
C: AUTH CRAM-MD5
S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
S: 235 2.7.0 ok
C: QUIT
S: 221 bye
E: close
result ok
trace-has > AUTH CRAM-MD5
trace-has > <redacted>
