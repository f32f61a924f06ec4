#!/bin/sh
# Benchmark: wall time per message for postern and Debian's msmtp against the
# same real Postfix (mail discarded after acceptance), on 587 (STARTTLS) and
# 465 (implicit TLS), over loopback and through a user-space delay proxy that
# adds a round trip of RTT_MS (the kernel here has no netem).  Prints figures
# and ratios; it asserts nothing about speed (numbers vary by machine).
#
#   sh tests/bench/bench.sh [N] [RTT_MS]      defaults: N=50, RTT_MS=50
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
N=${1:-50}
RTT_MS=${2:-50}
POSTERN=${POSTERN:-$top/build/postern}
[ -x "$POSTERN" ] || { echo "build postern first (sh tests/demo.sh or make)" >&2; exit 1; }
command -v msmtp >/dev/null || { echo "msmtp is not installed (tests/server/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/postern-bench.XXXXXX)
chmod 755 "$work"	# Postfix and Dovecot drop privileges and must reach it
proxies=""
cleanup() {
	for p in $proxies; do kill "$p" 2>/dev/null || true; done
	sh "$top/tests/server/mailserver.sh" stop "$work/server" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
sh tests/server/mailserver.sh start "$work/server" >/dev/null
. "$work/server/env"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One delay proxy per port: RTT_MS/2 each way.
P587=$(free_port); P465=$(free_port)
python3 tests/peer/delay-proxy.py "$P587" "$DISCARD_PORT" $((RTT_MS / 2)) & proxies="$proxies $!"
python3 tests/peer/delay-proxy.py "$P465" "$DISCARD_SMTPS_PORT" $((RTT_MS / 2)) & proxies="$proxies $!"

umask 077
conf() {	# name port tls
	cat > "$work/$1.ini" <<INI
[b]
host = localhost
port = $2
tls = $3
user = $TEST_USER
password = $TEST_PASS
from = $TEST_USER
tls_ca_file = $CA_FILE
INI
	starttls=on; [ "$3" = implicit ] && starttls=off
	cat > "$work/$1.msmtprc" <<RC
account b
host localhost
port $2
tls on
tls_starttls $starttls
tls_trust_file $CA_FILE
auth on
user $TEST_USER
password $TEST_PASS
from $TEST_USER
account default : b
RC
}
conf lo587 "$DISCARD_PORT" starttls
conf lo465 "$DISCARD_SMTPS_PORT" implicit
conf rtt587 "$P587" starttls
conf rtt465 "$P465" implicit
i=0; while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$P587),1)" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done

msg="$work/msg"
printf 'To: bob@example.org\nSubject: bench\n\n%s\n' "$(head -c 3000 /dev/zero | tr '\0' x)" > "$msg"

# ms per message for n runs of a command reading $msg
per_msg() {	# n cmd...
	n=$1; shift
	start=$(date +%s%N)
	j=0
	while [ $j -lt "$n" ]; do
		"$@" < "$msg" || { echo "bench: send failed: $*" >&2; exit 1; }
		j=$((j + 1))
	done
	end=$(date +%s%N)
	echo $(( (end - start) / n / 1000 ))	# microseconds
}

fmt() { awk -v u="$1" 'BEGIN { printf "%8.1f ms", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%5.1fx", b / a }'; }

printf '%-34s %11s %11s %s\n' "case ($N msgs loopback, $((N / 5 > 0 ? N / 5 : 1)) with RTT)" postern msmtp "msmtp/postern"
for c in lo587 lo465 rtt587 rtt465; do
	n=$N
	case $c in rtt*) n=$((N / 5 > 0 ? N / 5 : 1)) ;; esac
	p=$(per_msg "$n" "$POSTERN" -C "$work/$c.ini" bob@example.org)
	m=$(per_msg "$n" msmtp -C "$work/$c.msmtprc" bob@example.org)
	case $c in
	lo587) label="loopback, 587 STARTTLS" ;;
	lo465) label="loopback, 465 implicit TLS" ;;
	rtt587) label="RTT ${RTT_MS} ms, 587 STARTTLS" ;;
	rtt465) label="RTT ${RTT_MS} ms, 465 implicit TLS" ;;
	esac
	extra=""
	case $c in rtt*)
		extra=$(awk -v p="$p" -v m="$m" -v r="$RTT_MS" 'BEGIN { printf "  (round trips: postern %.1f, msmtp %.1f)", p / 1000 / r, m / 1000 / r }') ;;
	esac
	printf '%-34s %s %s %s%s\n' "$label" "$(fmt "$p")" "$(fmt "$m")" "$(ratio "$p" "$m")" "$extra"
done
