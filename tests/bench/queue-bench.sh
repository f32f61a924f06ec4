#!/bin/sh
# Benchmark of the queue against the real Postfix (its DISCARD port: mail is
# accepted, then discarded, so Postfix does no delivery work), over loopback
# and through a delay proxy.  Prints figures and ratios; it asserts nothing
# about speed (numbers vary by machine), only that every message went out.
#
#   (a) drain: DRAIN_N messages queued while the port is closed, then ONE
#       `postern queue run --all` (one connection, RSET between messages),
#       against DRAIN_N sequential msmtp runs and DRAIN_N direct postern sends;
#   (b) queue = always: how long the caller waits for its exit status
#       (median), beside a direct send (queue = auto) and queue = never;
#   (c) what the queue costs a direct send: queue = auto with the queue on
#       this disk, auto with the queue on tmpfs (where fsync costs nothing),
#       and queue = never, interleaved, per message; the fsync calls per
#       send counted with strace; then the same through RTT_MS.
#
#   sh tests/bench/queue-bench.sh [DRAIN_N] [N] [RTT_MS]   defaults: 200 50 50
# Env: QUEUE_ON=DIR puts the on-disk queues under DIR (default: a
#      directory under /tmp); TMPFS=DIR the tmpfs one (default /dev/shm).
set -eu
cd "$(dirname "$0")/../.."
DRAIN_N=${1:-200}
N=${2:-50}
RTT_MS=${3:-50}
. tests/bench/lib.sh
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }
bench_start

disk=$(mktemp -d "${QUEUE_ON:-$work}/queues.XXXXXX")
shm=$(mktemp -d "${TMPFS:-/dev/shm}/postern-bench.XXXXXX")
bench_cleanup_hook='stop_retriers; rm -rf "$shm" "$disk"'

# The background retriers that queue = always leaves (detached: they are
# not our children), found by the queue's lock file and ended by PID.
retriers() { find /proc/[0-9]*/fd -maxdepth 1 -lname "$1/retrier.lock" 2>/dev/null | cut -d/ -f3 | sort -u; }
stop_retriers() { for p in $(retriers "$disk/always"); do kill "$p" 2>/dev/null || true; done; }
queued() { find "$1/env" -type f 2>/dev/null | wc -l; }

# run_us WANT CMD...: run CMD < $msg once, check its exit status is WANT,
# print the microseconds it took.
run_us() {	# (POSIX sh has no locals: ru_ names are its own)
	ru_want=$1; shift
	ru_s=$(date +%s%N)
	ru_rc=0
	"$@" < "$msg" >/dev/null 2>"$work/err" || ru_rc=$?
	ru_e=$(date +%s%N)
	if [ "$ru_rc" != "$ru_want" ]; then
		echo "bench: exit $ru_rc, not $ru_want: $*" >&2
		cat "$work/err" >&2
		exit 1
	fi
	echo $(((ru_e - ru_s) / 1000))
}

# total_us COUNT WANT CMD...: run_us COUNT times, print the microseconds
# they took in all.
total_us() {
	tu_n=$1; tu_want=$2; shift 2
	tu_s=$(date +%s%N)
	tu_i=0
	while [ $tu_i -lt "$tu_n" ]; do
		run_us "$tu_want" "$@" >/dev/null
		tu_i=$((tu_i + 1))
	done
	echo $((($(date +%s%N) - tu_s) / 1000))
}

# stats FILE: "median mean" of the microsecond figures in FILE
stats() { sort -n "$1" | awk '{ v[NR] = $1; t += $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d %d\n", m, t / NR }'; }
median() { stats "$1" | cut -d' ' -f1; }
mean() { stats "$1" | cut -d' ' -f2; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }

echo "postern queue benchmark: $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), loopback;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "queues on $(stat -f -c %T "$disk") ($disk) and $(stat -f -c %T "$shm") ($shm)"
echo "the message: $(wc -c < "$msg") bytes; the server: Postfix's DISCARD port $DISCARD_PORT (587-style, STARTTLS + AUTH)"
# What one fsync of a small new file costs on the queue's file system.
python3 - "$disk" <<'PY'
import os, sys, time
d = sys.argv[1]
t = []
for i in range(100):
    p = os.path.join(d, "fsync-probe")
    s = time.perf_counter()
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, b"x" * 4096)
    os.fsync(fd)
    os.close(fd)
    t.append(time.perf_counter() - s)
    os.unlink(p)
t.sort()
print("one 4 KiB file written and fsync'd there: median %.2f ms, 90th percentile %.2f ms"
      % (t[50] * 1000, t[90] * 1000))
PY

P=$(free_port)
bench_proxy "$P" "$DISCARD_PORT" "$RTT_MS"
R=$((N / 5 > 0 ? N / 5 : 1))

# ------------------------------------------------------------ (a) drain
closed=$(free_port)
conf down "$closed" starttls "queue_dir = $disk/drain" "background_retry = no" "queue = auto"
queue_us=$(total_us "$DRAIN_N" 75 "$POSTERN" -C "$work/down.ini" bob@example.org)
[ "$(queued "$disk/drain")" = "$DRAIN_N" ] || { echo "bench: $(queued "$disk/drain") queued, not $DRAIN_N" >&2; exit 1; }
# The envelopes name down.ini: the same file, now with the open port.
conf down "$DISCARD_PORT" starttls "queue_dir = $disk/drain" "background_retry = no" "queue = auto"
drain_us=$(run_us 0 "$POSTERN" queue run --all -C "$work/down.ini")
[ "$(queued "$disk/drain")" = 0 ] || { echo "bench: the run left $(queued "$disk/drain") queued" >&2; exit 1; }
conf direct "$DISCARD_PORT" starttls "queue_dir = $disk/direct" "queue = auto"
direct_us=$(per_msg "$DRAIN_N" "$POSTERN" -C "$work/direct.ini" bob@example.org)
msmtp_us=$(per_msg "$DRAIN_N" msmtp -C "$work/direct.msmtprc" bob@example.org)

echo
echo "(a) drain $DRAIN_N messages                       wall time   per message"
printf '%-46s %9s s  %8s ms\n' "queueing them, port closed (exit 75 each)" \
	"$(awk -v u="$queue_us" 'BEGIN { printf "%.2f", u / 1e6 }')" "$(ms $((queue_us / DRAIN_N)))"
printf '%-46s %9s s  %8s ms\n' "ONE postern queue run --all (1 connection)" \
	"$(awk -v u="$drain_us" 'BEGIN { printf "%.2f", u / 1e6 }')" "$(ms $((drain_us / DRAIN_N)))"
printf '%-46s %9s s  %8s ms\n' "$DRAIN_N direct postern sends (queue = auto)" \
	"$(awk -v u="$direct_us" -v n="$DRAIN_N" 'BEGIN { printf "%.2f", u * n / 1e6 }')" "$(ms "$direct_us")"
printf '%-46s %9s s  %8s ms\n' "$DRAIN_N sequential msmtp runs" \
	"$(awk -v u="$msmtp_us" -v n="$DRAIN_N" 'BEGIN { printf "%.2f", u * n / 1e6 }')" "$(ms "$msmtp_us")"
echo "msmtp runs / one queue run: $(ratio "$drain_us" $((msmtp_us * DRAIN_N)))" \
	" direct postern sends / one queue run: $(ratio "$drain_us" $((direct_us * DRAIN_N)))"

# ------------------------------------------------- (b) queue = always
conf always "$DISCARD_PORT" starttls "queue_dir = $disk/always" "queue = always"
conf auto "$DISCARD_PORT" starttls "queue_dir = $disk/auto" "queue = auto"
conf never "$DISCARD_PORT" starttls "queue = never"
conf shm "$DISCARD_PORT" starttls "queue_dir = $shm/q" "queue = auto"
B=$((N * 3 / 5 > 0 ? N * 3 / 5 : 1))
: > "$work/b.always"; : > "$work/b.auto"; : > "$work/b.never"
# Each always send alone: its retrier has sent it and ended before the
# next one, so that the figure is the caller's wait, not a busy machine's.
wait_drained() {	# DIR: until nothing is queued and no retrier runs (30 s)
	k=0
	while [ "$(queued "$1")" != 0 ] || [ -n "$(retriers "$1")" ]; do
		[ $k -lt 600 ] || { echo "bench: $(queued "$1") message(s) still queued in $1 after 30 s" >&2; exit 1; }
		sleep 0.05; k=$((k + 1))
	done
}
i=0
while [ $i -lt "$B" ]; do
	run_us 0 "$POSTERN" -C "$work/always.ini" bob@example.org >> "$work/b.always"
	wait_drained "$disk/always"
	run_us 0 "$POSTERN" -C "$work/auto.ini" bob@example.org >> "$work/b.auto"
	run_us 0 "$POSTERN" -C "$work/never.ini" bob@example.org >> "$work/b.never"
	i=$((i + 1))
done
# A burst, as a web application sends: every message must still go out.
s=$(date +%s%N)
burst_exit_us=$(total_us "$B" 0 "$POSTERN" -C "$work/always.ini" bob@example.org)
wait_drained "$disk/always"
burst_us=$((($(date +%s%N) - s) / 1000))

echo
echo "(b) until the caller has its exit status, $B sends each    median      mean"
for k in always auto never; do
	case $k in
	always) label="queue = always (exit 0, sent in the background)" ;;
	auto) label="queue = auto, server up (sent, then exit 0)" ;;
	never) label="queue = never (sent, then exit 0)" ;;
	esac
	printf '%-50s %8s ms %8s ms\n' "$label" "$(ms "$(median "$work/b.$k")")" "$(ms "$(mean "$work/b.$k")")"
done
echo "a direct send (auto) waits $(ratio "$(median "$work/b.always")" "$(median "$work/b.auto")") as long as queue = always (medians)"
conf ralways "$P" starttls "queue_dir = $disk/ralways" "queue = always"
conf rdirect "$P" starttls "queue_dir = $disk/rdirect" "queue = auto"
: > "$work/b.ralways"; : > "$work/b.rdirect"
i=0
while [ $i -lt "$R" ]; do
	run_us 0 "$POSTERN" -C "$work/ralways.ini" bob@example.org >> "$work/b.ralways"
	wait_drained "$disk/ralways"
	run_us 0 "$POSTERN" -C "$work/rdirect.ini" bob@example.org >> "$work/b.rdirect"
	i=$((i + 1))
done
printf '%-50s %8s ms %8s ms\n' "RTT $RTT_MS ms, $R each: queue = always" "$(ms "$(median "$work/b.ralways")")" "$(ms "$(mean "$work/b.ralways")")"
printf '%-50s %8s ms %8s ms\n' "RTT $RTT_MS ms, $R each: queue = auto (direct send)" "$(ms "$(median "$work/b.rdirect")")" "$(ms "$(mean "$work/b.rdirect")")"
echo "with RTT $RTT_MS ms a direct send waits $(ratio "$(median "$work/b.ralways")" "$(median "$work/b.rdirect")") as long as queue = always (medians)"
echo "a burst of $B queue = always sends: the callers were done after $(ms "$burst_exit_us") ms, the last message sent after $(ms "$burst_us") ms"

# ------------------------------------------- (c) the queue's cost per send
: > "$work/c.auto"; : > "$work/c.shm"; : > "$work/c.never"
i=0
while [ $i -lt "$N" ]; do
	run_us 0 "$POSTERN" -C "$work/auto.ini" bob@example.org >> "$work/c.auto"
	run_us 0 "$POSTERN" -C "$work/shm.ini" bob@example.org >> "$work/c.shm"
	run_us 0 "$POSTERN" -C "$work/never.ini" bob@example.org >> "$work/c.never"
	i=$((i + 1))
done
# The fsync calls of one send (strace -f: the process and its children)
# and the wall time spent in them (-w: from entry to return, which for
# fsync is the disk's wait): "calls milliseconds".
syncs() {	# INI WANT
	rc=0
	strace -f -c -w -o "$work/strace" -e trace=fsync,fdatasync,sync_file_range,syncfs \
		"$POSTERN" -C "$1" bob@example.org < "$msg" >/dev/null 2>&1 || rc=$?
	[ "$rc" = "$2" ] || { echo "bench: exit $rc under strace, not $2: $1" >&2; exit 1; }
	awk '$NF ~ /^(fsync|fdatasync|sync_file_range|syncfs)$/ { n += $4; t += $2 }
		END { printf "%d %.2f\n", n, t * 1000 }' "$work/strace"
}
# medians of 11 traced sends of each kind
sync_stats() {	# INI WANT -> "calls median-ms"
	: > "$work/sy"
	k=0
	while [ $k -lt 11 ]; do syncs "$1" "$2" >> "$work/sy"; k=$((k + 1)); done
	echo "$(sort -n "$work/sy" | awk 'NR == 6 { print $1 }') $(awk '{ print $2 }' "$work/sy" | sort -n | awk 'NR == 6')"
}
conf downc "$closed" starttls "queue_dir = $disk/downc" "background_retry = no" "queue = auto"
# shellcheck disable=SC2046 # two words
set -- $(sync_stats "$work/auto.ini" 0); f_auto=$1; t_auto=$2
set -- $(sync_stats "$work/never.ini" 0); f_never=$1
set -- $(sync_stats "$work/downc.ini" 75); f_down=$1; t_down=$2

echo
echo "(c) one direct send, $N of each, interleaved     median      mean   fsync calls"
printf '%-46s %8s ms %8s ms %6s\n' "queue = auto, queue on $(stat -f -c %T "$disk")" "$(ms "$(median "$work/c.auto")")" "$(ms "$(mean "$work/c.auto")")" "$f_auto"
printf '%-46s %8s ms %8s ms %6s\n' "queue = auto, queue on tmpfs" "$(ms "$(median "$work/c.shm")")" "$(ms "$(mean "$work/c.shm")")" "$f_auto"
printf '%-46s %8s ms %8s ms %6s\n' "queue = never" "$(ms "$(median "$work/c.never")")" "$(ms "$(mean "$work/c.never")")" "$f_never"
d_disk=$(($(median "$work/c.auto") - $(median "$work/c.never")))
d_fsync=$(($(median "$work/c.auto") - $(median "$work/c.shm")))
d_rest=$(($(median "$work/c.shm") - $(median "$work/c.never")))
echo "the queue's cost per send (auto - never, medians): $(ms "$d_disk") ms, of which the fsyncs"
echo "(auto on disk - auto on tmpfs) $(ms "$d_fsync") ms and the rest (files, renames, the take-along scan) $(ms "$d_rest") ms"
echo "strace -c -w: the $f_auto fsync calls of a sent message wait $t_auto ms for the disk (median of 11)"
echo "a send that stays queued (port closed) makes $f_down fsync calls, $t_down ms"

# ------------------------------------------------ (c') the same with RTT
conf rauto "$P" starttls "queue_dir = $disk/rauto" "queue = auto"
conf rnever "$P" starttls "queue = never"
: > "$work/r.auto"; : > "$work/r.never"
i=0
while [ $i -lt "$R" ]; do
	run_us 0 "$POSTERN" -C "$work/rauto.ini" bob@example.org >> "$work/r.auto"
	run_us 0 "$POSTERN" -C "$work/rnever.ini" bob@example.org >> "$work/r.never"
	i=$((i + 1))
done
echo
echo "(c') RTT $RTT_MS ms, $R of each, interleaved          median      mean"
printf '%-46s %8s ms %8s ms\n' "queue = auto" "$(ms "$(median "$work/r.auto")")" "$(ms "$(mean "$work/r.auto")")"
printf '%-46s %8s ms %8s ms\n' "queue = never" "$(ms "$(median "$work/r.never")")" "$(ms "$(mean "$work/r.never")")"
echo "difference: $(ms $(($(median "$work/r.auto") - $(median "$work/r.never")))) ms per message (medians)"
