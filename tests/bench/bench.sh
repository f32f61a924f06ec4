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
N=${1:-50}
RTT_MS=${2:-50}
. tests/bench/lib.sh
bench_start

# One delay proxy per port: RTT_MS/2 each way.
P587=$(free_port); P465=$(free_port)
bench_proxy "$P587" "$DISCARD_PORT" "$RTT_MS"
bench_proxy "$P465" "$DISCARD_SMTPS_PORT" "$RTT_MS"

conf lo587 "$DISCARD_PORT" starttls
conf lo465 "$DISCARD_SMTPS_PORT" implicit
conf rtt587 "$P587" starttls
conf rtt465 "$P465" implicit

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
