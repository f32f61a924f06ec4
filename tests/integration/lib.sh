# lib.sh - sourced by the integration tests (bash).  TAP on stdout for
# automake's tap-driver; diagnostics as "# " lines.  A missing dependency is
# a failure, never a skip counted as a pass.
#
# Environment from `make check`: top_srcdir, top_builddir, POSTERN, PYTHON3.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${POSTERN:=$top_builddir/postern}"
: "${PYTHON3:=python3}"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

_tap_n=0
_tap_failed=0

# ok VALUE NAME: passes when VALUE is non-empty and not 0.
ok() {
	_tap_n=$((_tap_n + 1))
	if [ -n "$1" ] && [ "$1" != 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

# check_status STATUS NAME: passes when STATUS is 0 (use after a command).
check_status() {
	if [ "$1" -eq 0 ]; then ok 1 "$2"; else ok 0 "$2"; echo "#   status $1"; fi
}

is() {
	if [ "$1" = "$2" ]; then ok 1 "$3"; else ok 0 "$3"; echo "#   got  [$1]"; echo "#   want [$2]"; fi
}

# like TEXT REGEX NAME (extended regex, any line or across lines)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2" || printf '%s' "$1" | tr '\n' ' ' | grep -Eq -- "$2"; then
		ok 1 "$3"
	else
		ok 0 "$3"
		echo "#   no match for /$2/ in:"
		printf '%s\n' "$1" | head -n 30 | sed 's/^/#     /'
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Fq -- "$2" || printf '%s\n' "$1" | grep -Eq -- "$2" 2>/dev/null; then
		ok 0 "$3"
		echo "#   unexpected /$2/"
	else
		ok 1 "$3"
	fi
}

tap_done() {
	echo "1..$_tap_n"
	[ "$_tap_n" -gt 0 ] || { echo "# no checks ran"; exit 1; }
	[ "$_tap_failed" -eq 0 ] || exit 1
	exit 0
}

bail() { echo "Bail out! $*"; exit 1; }

# The tests start servers and need root; the packages are installed here if
# missing (tests/server/install-deps.sh), so a fresh machine needs nothing.
require_root_and_deps() {
	[ "$(id -u)" -eq 0 ] || bail "integration tests need root (they start Postfix and Dovecot)"
	[ -x "$POSTERN" ] || bail "no postern binary at $POSTERN"
	sh "$top_srcdir/tests/server/install-deps.sh" >/dev/null 2>&1 ||
		bail "could not install the test servers (tests/server/install-deps.sh)"
}

free_port() {
	"$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# server_start DIR [CERT]: a private Postfix + Dovecot; sources DIR/env
# (SUBMISSION_PORT SMTPS_PORT PLAIN_PORT CA_FILE MAILDIR TEST_USER TEST_PASS ...).
server_start() {
	# Postfix and Dovecot drop privileges: they must be able to reach DIR.
	mkdir -p "$(dirname "$1")" && chmod 755 "$(dirname "$1")"
	CERT=${2:-good} sh "$top_srcdir/tests/server/mailserver.sh" start "$1" >"$1.start.log" 2>&1 || {
		sed 's/^/# /' "$1.start.log"
		bail "could not start the test mail server in $1"
	}
	. "$1/env"
}

server_stop() {
	sh "$top_srcdir/tests/server/mailserver.sh" stop "$1" >/dev/null 2>&1 || true
}

# wait_for_mail N: until the sink Maildir holds at least N messages (10 s).
wait_for_mail() {
	local i=0
	while [ "$(ls "$MAILDIR/new" 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# mk_config FILE LINE...: a postern configuration, mode 0600.
mk_config() {
	local f=$1
	shift
	(umask 077; printf '%s\n' "$@" > "$f")
	chmod 600 "$f"
}
