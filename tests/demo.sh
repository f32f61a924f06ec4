#!/bin/sh
# The main job, shown end to end on a fresh Debian machine (as root): build
# postern, start a throwaway Postfix + Dovecot on 127.0.0.1 ports 587
# (STARTTLS) and 465 (implicit TLS) with a throwaway CA, submit one message
# through each port with postern, and print the copies the server delivered.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

echo "== installing build and server dependencies (apt-get)"
sh tests/install-build-deps.sh
sh tests/server/install-deps.sh

echo "== building postern"
if [ ! -x build/postern ]; then
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	rm -rf build && mkdir build
	(cd build && "$top/configure" -q)
fi
make -s -C build -j"$(nproc 2>/dev/null || echo 2)" postern
postern=$top/build/postern

work=$(mktemp -d /tmp/postern-demo.XXXXXX)
cleanup() { sh "$top/tests/server/mailserver.sh" stop "$work/server" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

echo "== starting a throwaway Postfix + Dovecot on 127.0.0.1:587 and :465"
SUBMISSION_PORT=587 SMTPS_PORT=465 sh tests/server/mailserver.sh start "$work/server" >/dev/null
. "$work/server/env"

umask 077
cat > "$work/config.ini" <<INI
[defaults]
default_account = starttls
tls_ca_file = $CA_FILE
user = $TEST_USER
password = $TEST_PASS
from = $TEST_USER

[starttls]
host = localhost
port = 587

[implicit]
host = localhost
port = 465
INI

send() {	# account
	printf 'To: Bob <bob@example.org>\nSubject: hello through port %s\n\nThis message went through postern, account [%s].\n.a line starting with a dot\n' \
		"$2" "$1" | "$postern" -C "$work/config.ini" -a "$1" -t
}

show() {	# expected number of delivered files
	i=0
	while [ "$(ls "$MAILDIR/new" | wc -l)" -lt "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	f=$(ls -t "$MAILDIR/new" | head -n 1)
	[ -n "$f" ] || { echo "nothing was delivered" >&2; exit 1; }
	echo "---- delivered copy: $MAILDIR/new/$f"
	cat "$MAILDIR/new/$f"
	echo "----"
}

echo "== postern -t through port 587 (STARTTLS + AUTH)"
send starttls 587 && echo "exit status 0"
show 1
echo "== postern -t through port 465 (implicit TLS + AUTH)"
send implicit 465 && echo "exit status 0"
show 2
echo "== done: both messages were submitted and delivered"
