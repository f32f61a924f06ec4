# lib.sh - sourced by the benchmarks in tests/bench (POSIX sh, set -eu):
# a private Postfix + Dovecot, delay proxies, postern and msmtp
# configurations for the same account, and timing helpers.
#
#     cd "$(dirname "$0")/../.."; . tests/bench/lib.sh
#     bench_start              # $top $POSTERN $work, the server's env loaded
#     conf NAME PORT TLS [LINE...]   # $work/NAME.ini and $work/NAME.msmtprc
#     per_msg N CMD...         # microseconds per run of CMD < $msg

top=$(pwd)
POSTERN=${POSTERN:-$top/build/postern}
proxies=""

# bench_start: check the programs, make $work (XDG_STATE_HOME in it, so that
# postern queues nothing in the user's own), start the server (stopped,
# and $work removed, at exit) and load its env (DISCARD_PORT, CA_FILE...).
bench_start() {
	[ -x "$POSTERN" ] || { echo "build postern first (sh tests/demo.sh or make)" >&2; exit 1; }
	command -v msmtp >/dev/null || { echo "msmtp is not installed (tests/server/install-deps.sh)" >&2; exit 1; }
	work=$(mktemp -d /tmp/postern-bench.XXXXXX)
	chmod 755 "$work"	# Postfix and Dovecot drop privileges and must reach it
	# postern's queues (queue = auto is the default) in $work, never in
	# the user's own ~/.local/state
	XDG_STATE_HOME=$work/state
	export XDG_STATE_HOME
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	sh tests/server/mailserver.sh start "$work/server" >/dev/null
	. "$work/server/env"
	msg="$work/msg"
	printf 'To: bob@example.org\nSubject: bench\n\n%s\n' "$(head -c 3000 /dev/zero | tr '\0' x)" > "$msg"
}

bench_cleanup() {
	for p in $proxies; do kill "$p" 2>/dev/null || true; done
	[ -z "${bench_cleanup_hook:-}" ] || eval "$bench_cleanup_hook" || true
	sh "$top/tests/server/mailserver.sh" stop "$work/server" >/dev/null 2>&1 || true
	rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_proxy LISTEN_PORT TARGET_PORT RTT_MS: a delay proxy (RTT_MS/2 each
# way, the kernel here has no netem); returns once it accepts connections.
bench_proxy() {
	python3 tests/peer/delay-proxy.py "$1" "$2" $(($3 / 2)) --quiet >/dev/null &
	proxies="$proxies $!"
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null &&
		[ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# conf NAME PORT TLS [LINE...]: the same account for postern ($work/NAME.ini,
# the LINEs in its [defaults]) and msmtp ($work/NAME.msmtprc).
conf() {
	name=$1 port=$2 tls=$3
	shift 3
	(
		umask 077
		{
			if [ $# -gt 0 ]; then
				echo "[defaults]"
				printf '%s\n' "$@"
			fi
			cat <<INI
[b]
host = localhost
port = $port
tls = $tls
user = $TEST_USER
password = $TEST_PASS
from = $TEST_USER
tls_ca_file = $CA_FILE
INI
		} > "$work/$name.ini"
		starttls=on; [ "$tls" = implicit ] && starttls=off
		cat > "$work/$name.msmtprc" <<RC
account b
host localhost
port $port
tls on
tls_starttls $starttls
tls_trust_file $CA_FILE
auth on
user $TEST_USER
password $TEST_PASS
from $TEST_USER
account default : b
RC
	)
}

# per_msg N CMD...: microseconds per message for N runs of CMD reading $msg
per_msg() {
	n=$1; shift
	start=$(date +%s%N)
	j=0
	while [ $j -lt "$n" ]; do
		"$@" < "$msg" || { echo "bench: send failed: $*" >&2; exit 1; }
		j=$((j + 1))
	done
	end=$(date +%s%N)
	echo $(( (end - start) / n / 1000 ))
}

# fmt MICROSECONDS: "   12.3 ms";  ratio A B: B / A as "  4.2x"
fmt() { awk -v u="$1" 'BEGIN { printf "%8.1f ms", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%5.1fx", b / a }'; }
