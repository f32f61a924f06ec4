#!/bin/bash
# The queue under crashes, full disks and a crowd, against the real
# Postfix: (1) at least 200 SIGKILL trials, postern killed at random
# moments while it reads stdin, spools, commits, talks to the server and
# records the attempt, some with a `queue run --all` killed beside it; then
# one flush, and every message is counted in the Maildir; (2) a full
# tmpfs and RLIMIT_FSIZE while spooling and committing; (3) 50 concurrent
# senders with queue = always and the background retriers they start.
# Bounded to about a minute (POSTERN_CRASH_TRIALS, default 240, and
# POSTERN_CRASH_SEED to replay a run).  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
unset XDG_STATE_HOME XDG_CONFIG_HOME
mkdir -p "$HOME"
started=$(date +%s)
TRIALS=${POSTERN_CRASH_TRIALS:-240}
SEED=${POSTERN_CRASH_SEED:-$(( $(date +%s%N) % 1000000 ))}
server_start "$t/srv"

# qconfig FILE QDIR QUEUE FLAKY [RETRY]: accounts [work] (the real server)
# and [flaky] (the real server, or a closed port while FLAKY is "closed");
# RETRY: background_retry (default yes).
closed=$(free_port)
qconfig() {
	local flaky
	if [ "$4" = closed ]; then
		flaky="host = 127.0.0.1
port = $closed
tls = off"
	else
		flaky="host = localhost
port = $SUBMISSION_PORT
tls = starttls
auth = on
user = $TEST_USER
password = $TEST_PASS"
	fi
	mk_config "$1" - <<EOF
[defaults]
default_account = work
tls_ca_file = $CA_FILE
timeout = 30
queue = $3
queue_dir = $2
background_retry = ${5:-yes}
from = $TEST_USER

[work]
host = localhost
port = $SUBMISSION_PORT
tls = starttls
auth = on
user = $TEST_USER
password = $TEST_PASS

[flaky]
$flaky
EOF
}

# postfix_idle: wait (at most 30 s) until Postfix has delivered all it took
postfix_idle() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(postqueue -c "$SERVER_DIR/postfix" -p 2>/dev/null)" = "Mail queue is empty" ] && return 0
		sleep 0.1
	done
	diag "Postfix still has mail queued after 30 s"
	return 1
}

# env_without_msg QDIR: envelopes whose text is gone (orphans)
env_without_msg() {
	local f n=0
	for f in "$1"/env/*; do
		[ -e "$f" ] || continue
		[ -e "$1/msg/${f##*/}" ] || n=$((n + 1))
	done
	echo $n
}

# listing QDIR: what each of tmp/ msg/ env/ failed/ holds, "tmp=N msg=N ..."
listing() {
	local s out=
	for s in tmp msg env failed; do out="$out $s=$(find "$1/$s" -mindepth 1 | wc -l)"; done
	echo "${out# }"
}

# ============================================ 1. SIGKILL trials
# [work] sends to the real server; [flaky] to a closed port, so that its
# senders exit 75 ("queued") until the flush, when it points to the real
# server too.  No background retrier: nothing may send between the trials
# and the flush except the `queue run --all` that the trials start and kill.
q1=$t/q1
cfg1=$t/crash.ini
qconfig "$cfg1" "$q1" auto closed no

# The kill delays are spread over the time a send takes here, measured
# first (the median of 5): from before postern reads a byte to after it
# has exited.
printf 'Subject: calibration\n\nnot a trial\n' > "$t/calib"
durs=()
for i in 1 2 3 4 5; do
	s=$(date +%s%N)
	"$POSTERN" -C "$cfg1" calib@example.org < "$t/calib" 2>"$t/calib.err"; rc=$?
	durs+=($((($(date +%s%N) - s) / 1000000)))
	[ "$rc" = 0 ] || break
done
is "$rc" 0 "calibration: a plain send with queue = auto exits 0" || diag "$(cat "$t/calib.err")"
dur=$(printf '%s\n' "${durs[@]}" | sort -n | sed -n 3p)
dur=${dur:-50}
wait_for_mail 5 >/dev/null
postfix_idle
clear_maildir
diag "trials: $TRIALS, seed $SEED, a send takes ${dur} ms (${durs[*]})"

mkdir -p "$t/trials"
s=$(date +%s)
"$PYTHON3" "$top_srcdir/tests/integration/crash-trials.py" run --postern "$POSTERN" \
	--config "$cfg1" --queue "$q1" --out "$t/trials.tsv" --workdir "$t/trials" \
	--trials "$TRIALS" --seed "$SEED" --duration-ms "$dur" --accounts work,work,flaky \
	2>"$t/trials.err"
check_status $? "the $TRIALS trials ran (inotify saw every event)" || diag "$(head -c 3000 "$t/trials.err")"
[ -s "$t/trials.err" ] && diag "$(head -c 3000 "$t/trials.err")"
diag "the trials took $(($(date +%s) - s)) s"

# Right after the kills, before any flush: every envelope has its text
# (a commit puts the text in place first; a removal takes the envelope first).
is "$(env_without_msg "$q1")" 0 "after the kills: no env/ID without its msg/ID"
diag "after the kills: $(listing "$q1")"

# The flush: [flaky] now reaches the server.  One run sends everything
# queued (--all: the schedule of the retried ones is not due yet).
qconfig "$cfg1" "$q1" auto up no
capture "$POSTERN" queue run --all -C "$cfg1"
is "$CAP_RC" 0 "flush: queue run --all exits 0" || diag "$CAP_ERR"
capture "$POSTERN" queue list -C "$cfg1"
is "$CAP_OUT" "Mail queue is empty" "flush: queue list shows nothing left"
is "$(find "$q1/env" "$q1/failed" -mindepth 1 | wc -l)" 0 "flush: env/ and failed/ are empty"

# What dead writers left: tmp/ files (and msg/ texts never committed)
# whose lock nobody holds.  The sweep leaves them QUEUE_SWEEP_GRACE (60 s)
# for a writer that has created its file and not locked it yet; aged past
# that, the next run removes every one.
debris=$(find "$q1/tmp" "$q1/msg" -type f | wc -l)
locked=0
for f in "$q1"/tmp/* "$q1"/msg/*; do
	[ -e "$f" ] || continue
	flock -n "$f" true || locked=$((locked + 1))
done
is "$locked" 0 "debris: no file in tmp/ or msg/ is locked by anyone ($debris files)"
find "$q1/tmp" "$q1/msg" -type f -exec touch -d '-2 minutes' {} +
capture "$POSTERN" queue run -C "$cfg1"
is "$CAP_RC" 0 "a run past the grace exits 0" || diag "$CAP_ERR"
is "$(listing "$q1")" "tmp=0 msg=0 env=0 failed=0" "a run past the grace leaves the queue empty"

postfix_idle
"$PYTHON3" "$top_srcdir/tests/integration/crash-trials.py" check --results "$t/trials.tsv" \
	--maildir "$MAILDIR" > "$t/check.out" 2>&1
check_status $? "the deliveries could be counted" || diag "$(cat "$t/check.out")"
declare -A C=()
declare -A L=()
while read -r k v rest; do C[$k]=$v; L[$k]=$rest; done < "$t/check.out"
diag "trials ${C[trials]}: exited 0: ${C[exit-0]}, exited 75: ${C[exit-75]}, killed: ${C[killed]}" \
	"killed before stdin was complete: ${C[killed-before-stdin-complete]}, after: ${C[killed-after-stdin-complete]}" \
	"killed at: start-up ${C[killed-start]}, reading ${C[killed-reading]}, spooled ${C[killed-spooled]}," \
	"  mid-commit ${C[killed-commit-step2]}, committed ${C[killed-committed]}, attempt recorded ${C[killed-recorded]}" \
	"queue runs beside them: ${C[runners]} (${C[runners-killed]} killed)" \
	"duplicates: ${C[duplicates]} messages (${C[copies-beyond-one]} extra copies), all of killed senders" \
	"missing: ${C[missing]} (allowed: killed before the commit): ${C[missing-before-stdin-complete]} killed" \
	"  before stdin was complete, ${C[missing-after-stdin-complete]} after; at start-up ${C[missing-start]}," \
	"  reading ${C[missing-reading]}, spooled ${C[missing-spooled]}, mid-commit ${C[missing-commit-step2]}"
[ "${C[duplicates]}" = 0 ] || diag "duplicated (token:phase:runner exit:copies): ${C[duplicated]} ${L[duplicated]}"
is "${C[trials]}" "$TRIALS" "every trial was counted"
# The rules (crash-trials.py check): a sender that saw 0 or 75 was
# promised its message: exactly once.  Duplicates are accepted only for
# messages whose sender was killed: a kill that falls after the server has
# taken the message (its 250 may still be on the way) and before the queue
# has recorded it leaves it queued, and the next run sends it again: no
# client can close that window (RFC 1047).  No promised message can be in
# it here: a sender that exits 0 has recorded its message first, and a 75
# message is only sent by the flush, which nothing kills ([flaky] is down
# while the runs that are killed run).  A message whose removal was
# recorded (env/ID deleted) is never sent again.
for rule in promised-not-once recorded-sent-not-once promised-not-committed committed-missing uncommitted-delivered \
	committed-before-stdin-complete queued-as-other-id unexpected-exit unexpected-runner-exit \
	partial stray; do
	is "${C[bad-$rule]}" 0 "trials: no $rule" || diag "tokens: ${L[bad-$rule]}"
done
# The trials tested something: kills landed in each phase (commit-step2:
# the text in msg/, its envelope not yet in env/)
for ph in reading spooled commit-step2 committed; do
	ok "$([ "${C[killed-$ph]:-0}" -gt 0 ] && echo 1)" "trials: some kills landed while $ph (${C[killed-$ph]})"
done
ok "$([ "${C[exit-0]:-0}" -gt 0 ] && [ "${C[exit-75]:-0}" -gt 0 ] && echo 1)" \
	"trials: some senders exited 0 (${C[exit-0]}) and some 75 (${C[exit-75]})"
ok "$([ "${C[runners-killed]:-0}" -gt 0 ] && echo 1)" "trials: some queue runs were killed (${C[runners-killed]})"
clear_maildir

# ============================================ 2. a full disk, RLIMIT_FSIZE
mkdir -p "$t/small"
mount -t tmpfs -o size=64k tmpfs "$t/small" || bail "cannot mount a tmpfs (needs root)"
at_exit "umount '$t/small' 2>/dev/null"
q2=$t/small/q
cfg2=$t/disk.ini
qconfig "$cfg2" "$q2" auto up
head -c 150000 /dev/urandom | base64 > "$t/big.b64"
{ printf 'Subject: big\n\n'; cat "$t/big.b64"; } > "$t/big"
dl=$HOME/dead.letter

rm -f "$dl"
capture "$POSTERN" -C "$cfg2" big@example.org < "$t/big"
is "$CAP_RC" 74 "full disk while spooling: exit 74"
like "$CAP_ERR" "writing the spool file $q2/tmp/[0-9a-f]{16}\\.msg: No space left on device; the message was NOT sent" \
	"full disk while spooling: says the disk is full, and that it was not sent"
like "$CAP_ERR" "an INCOMPLETE copy .* is kept in $dl" "full disk while spooling: an incomplete copy is kept, said so"
grep -q '^Subject: big$' "$dl"; check_status $? "full disk while spooling: dead.letter holds it"
is "$(listing "$q2")" "tmp=0 msg=0 env=0 failed=0" "full disk while spooling: nothing left in the queue"

# The message fits, its envelope does not: fill the tmpfs to just the pages
# the text needs (it is written in one go, under 64 KB).
rm -f "$dl"
head -c 9000 /dev/urandom | base64 -w 76 > "$t/mid.b64"
{ printf 'Subject: fits\n\n'; cat "$t/mid.b64"; } > "$t/mid"
bs=$(stat -f -c %S "$q2")
need=$(( ($(stat -c %s "$t/mid") + 300 + bs - 1) / bs ))
avail=$(stat -f -c %a "$q2")
head -c $(( (avail - need) * bs )) /dev/zero > "$t/small/filler" 2>/dev/null
diag "tmpfs: $avail blocks of $bs free, $need left for the text: $(stat -f -c %a "$q2") now"
capture "$POSTERN" -C "$cfg2" fits@example.org < "$t/mid"
is "$CAP_RC" 74 "full disk at the envelope: exit 74"
like "$CAP_ERR" "cannot queue the message: writing $q2/tmp/[0-9a-f]{16}\\.env: No space left on device" \
	"full disk at the envelope: says the disk is full"
like "$CAP_ERR" "the message was not sent; it is kept in $dl" "full disk at the envelope: the whole message is kept"
grep -q '^Subject: fits$' "$dl" && ! grep -q '^X-Postern-Incomplete' "$dl"
check_status $? "full disk at the envelope: dead.letter holds it whole"
is "$(listing "$q2")" "tmp=0 msg=0 env=0 failed=0" "full disk at the envelope: nothing left in the queue"
rm -f "$t/small/filler"

# Nowhere to keep it either: HOME on the same full disk.  No file in the
# queue may be passed off as the kept copy (the sweep would remove it).
rm -f "$dl"
mkdir -p "$t/small/home"
capture env HOME="$t/small/home" "$POSTERN" -C "$cfg2" big@example.org < "$t/big"
is "$CAP_RC" 74 "full disk, dead.letter too: exit 74"
like "$CAP_ERR" "could not keep the message in a dead.letter: .*No space left on device" \
	"full disk, dead.letter too: says dead.letter could not take it"
like "$CAP_ERR" "the message was not sent, and it could not be kept" "full disk, dead.letter too: says it was not kept"
unlike "$CAP_ERR" "kept in $q2" "full disk, dead.letter too: no queue file is said to keep it"
is "$(listing "$q2")" "tmp=0 msg=0 env=0 failed=0" "full disk, dead.letter too: nothing left in the queue"
umount "$t/small"

# RLIMIT_FSIZE: a write past it raises SIGXFSZ, which kills unless ignored;
# postern ignores it and sees EFBIG.
q3=$t/qf
cfg3=$t/fsize.ini
qconfig "$cfg3" "$q3" auto up
rm -f "$dl"
# shellcheck disable=SC2016
capture bash -c 'ulimit -f 16 && exec "$0" -C "$1" big@example.org' "$POSTERN" "$cfg3" < "$t/big"
is "$CAP_RC" 74 "RLIMIT_FSIZE while spooling: exit 74, not killed by SIGXFSZ"
like "$CAP_ERR" "writing the spool file $q3/tmp/[0-9a-f]{16}\\.msg: File too large; the message was NOT sent" \
	"RLIMIT_FSIZE while spooling: says the file is too large"
# the kept copy would be larger than the limit too
like "$CAP_ERR" "could not keep the message in a dead.letter: .*File too large" \
	"RLIMIT_FSIZE while spooling: dead.letter could not take it either"
like "$CAP_ERR" "the message was not sent, and it could not be kept" "RLIMIT_FSIZE while spooling: says it was not kept"
is "$(listing "$q3")" "tmp=0 msg=0 env=0 failed=0" "RLIMIT_FSIZE while spooling: nothing left in the queue"

# ============================================ 3. 50 concurrent senders, queue = always
# Each commits and exits 0 at once, starting a background retrier (one per
# queue: the others see its lock and end at once).  Round a: one
# `queue run --all` races the retriers; round b: the retriers alone must
# empty the queue (a message committed while the last retrier is deciding
# to stop must not be stranded).
q4=$t/q4
cfg4=$t/always.ini
qconfig "$cfg4" "$q4" always up
# the background retrier processes of configuration CFG (this test's own:
# its path is in $TEST_TMPDIR), and ending them
retrier_pids() { pgrep -f -- "queue run --until-empty -C $1\$"; }
retriers() { retrier_pids "$cfg4" | wc -l; }
# shellcheck disable=SC2317  # called by at_exit
kill_retriers() { local p; for p in $(retrier_pids "$1"); do kill "$p"; done; }
at_exit "kill_retriers '$cfg4'"

crowd() {
	local round=$1 flush=$2 i pids=() slow n
	local d=$t/crowd-$round
	mkdir -p "$d"
	for i in $(seq 1 50); do
		printf 'Subject: crowd %s %d\n\nbegin crowd-%s-%02d\n' "$round" "$i" "$round" "$i" > "$d/$i.msg"
	done
	"$PYTHON3" "$top_srcdir/tests/integration/crash-trials.py" retriers --config "$cfg4" \
		--queue "$q4" --ready "$d/ready" --stop "$d/stop" > "$d/retriers" 2>&1 &
	local watcher=$!
	for ((i = 0; i < 600; i++)); do [ -e "$d/ready" ] && break; sleep 0.05; done
	for i in $(seq 1 50); do
		(
			s=$(date +%s%N)
			"$POSTERN" -C "$cfg4" "crowd$i@example.org" < "$d/$i.msg" 2>"$d/$i.err"
			echo "$? $((($(date +%s%N) - s) / 1000000))" > "$d/$i.rc"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	if [ "$flush" = flush ]; then
		capture "$POSTERN" queue run --all -C "$cfg4"
		is "$CAP_RC" 0 "crowd $round: one queue run --all beside the retrier exits 0" || diag "$CAP_ERR"
	fi
	# until the queue is empty and the retrier has ended by itself
	for ((i = 0; i < 600; i++)); do
		[ "$(find "$q4/env" -mindepth 1 | wc -l)" = 0 ] && [ "$(retriers)" = 0 ] && break
		[ "$(retriers)" = 0 ] && [ "$i" -gt 30 ] && break    # nobody left to send it
		sleep 0.05
	done
	touch "$d/stop"
	wait "$watcher"
	declare -A R=()
	while read -r k v; do R[$k]=$v; done < "$d/retriers"
	n=$(cat "$d"/*.rc | awk '$1 == 0' | wc -l)
	is "$n" 50 "crowd $round: all 50 senders exited 0" || diag "$(cat "$d"/*.rc | sort | uniq -c | head)" "$(cat "$d"/*.err | head -n 5)"
	slow=$(cat "$d"/*.rc | awk '{ print $2 }' | sort -n | tail -n 1)
	# quickly: none waits for the server (the slow server below shows
	# it); the bound only catches a hang, 50 of them share two cores
	ok "$([ "${slow:-99999}" -lt 30000 ] && echo 1)" "crowd $round: each exited within 30 s (slowest ${slow} ms)"
	is "$(find "$q4/env" -mindepth 1 | wc -l)" 0 "crowd $round: the queue is empty"
	is "$(retriers)" 0 "crowd $round: the retrier ended by itself"
	# The ones that lose the lock are alive for a moment on their way
	# out; only the holder of the retrier lock may send.
	diag "crowd $round: ${R[retrier-processes]} retrier processes started, ${R[max-alive]} alive at once," \
		"${R[max-working]} sending at once (${R[samples]} samples)"
	ok "$([ "${R[samples]:-0}" -gt 0 ] && echo 1)" "crowd $round: the retriers were watched"
	is "${R[working-unlocked]}" 0 "crowd $round: no retrier sends without the retrier lock" ||
		diag "$(grep "^#" "$d/retriers")"
	ok "$([ "${R[max-working]:-9}" -le 1 ] && echo 1)" "crowd $round: at most one retrier sends at a time"
	postfix_idle
	n=$(grep -rhoa "^begin crowd-$round-[0-9]*" "$MAILDIR/new" | sort | uniq -c | awk '$1 == 1' | wc -l)
	is "$n" 50 "crowd $round: each of the 50 messages delivered exactly once" ||
		diag "$(grep -rhoa "^begin crowd-$round-[0-9]*" "$MAILDIR/new" | sort | uniq -c | awk '$1 != 1')"
	is "$(grep -rhoa "^begin crowd-$round-[0-9]*" "$MAILDIR/new" | wc -l)" 50 "crowd $round: no extra copy"
}
crowd a flush
crowd b noflush
if [ "$(find "$q4/env" -mindepth 1 | wc -l)" != 0 ]; then
	"$POSTERN" queue run --all -C "$cfg4" >/dev/null 2>&1   # to end clean
fi

# The same race made certain: a slow server (100 ms each way), a message
# queued while the retrier is busy sending the one before: the second
# sender's retrier finds the lock taken and ends, so the first must look
# again before it ends.
proxy_start "$SUBMISSION_PORT" 100
q5=$t/q5
cfg5=$t/slow.ini
qconfig "$cfg5" "$q5" always up
sed -i "s/^port = $SUBMISSION_PORT\$/port = $PROXY_PORT/" "$cfg5"
slow_retriers() { retrier_pids "$cfg5" | wc -l; }
at_exit "kill_retriers '$cfg5'"
# how long a send that waits for this server takes (queue = auto)
qconfig "$t/slow-auto.ini" "$t/q5a" auto up no
sed -i "s/^port = $SUBMISSION_PORT\$/port = $PROXY_PORT/" "$t/slow-auto.ini"
s=$(date +%s%N)
printf 'Subject: slow 0\n\nbegin slow-0\n' | "$POSTERN" -C "$t/slow-auto.ini" slow0@example.org
is "$?" 0 "slow server: a send with queue = auto exits 0"
sync_took=$((($(date +%s%N) - s) / 1000000))
s=$(date +%s%N)
printf 'Subject: slow 1\n\nbegin slow-1\n' | "$POSTERN" -C "$cfg5" slow1@example.org; rc1=$?
took=$((($(date +%s%N) - s) / 1000000))
for ((i = 0; i < 100; i++)); do [ "$(slow_retriers)" = 1 ] && break; sleep 0.02; done
sleep 0.3
printf 'Subject: slow 2\n\nbegin slow-2\n' | "$POSTERN" -C "$cfg5" slow2@example.org; rc2=$?
is "$rc1 $rc2" "0 0" "slow server: both senders exit 0"
ok "$([ "$took" -lt $((sync_took / 2)) ] && echo 1)" \
	"slow server: a sender does not wait for the server (${took} ms; ${sync_took} ms with queue = auto)"
for ((i = 0; i < 300; i++)); do
	[ "$(slow_retriers)" = 0 ] && break
	sleep 0.1
done
is "$(slow_retriers)" 0 "slow server: the retrier has ended"
is "$(find "$q5/env" -mindepth 1 | wc -l)" 0 "slow server: nothing is left in the queue (the second message was not stranded)"
postfix_idle
is "$(grep -rhoa '^begin slow-[012]$' "$MAILDIR/new" | sort | tr '\n' ' ')" "begin slow-0 begin slow-1 begin slow-2 " \
	"slow server: each message delivered once"

# A retrier asleep until a retry is due (its server is down) is woken by
# the next sender's, which finds the lock taken: a message queued
# meanwhile goes now, not when that retry is due (minutes, hours later).
q6=$t/q6
cfg6=$t/asleep.ini
qconfig "$cfg6" "$q6" auto closed
at_exit "kill_retriers '$cfg6'"
printf 'Subject: down\n\nbegin asleep-down\n' | "$POSTERN" -C "$cfg6" -a flaky down@example.org 2>/dev/null
is "$?" 75 "retrier asleep: a message to a server that is down is queued (75)"
for ((i = 0; i < 100; i++)); do
	[ "$(retrier_pids "$cfg6" | wc -l)" = 1 ] && break
	sleep 0.05
done
printf 'Subject: up\n\nbegin asleep-up\n' | "$POSTERN" -odb -C "$cfg6" up@example.org
is "$?" 0 "retrier asleep: a message with -odb exits 0"
for ((i = 0; i < 100; i++)); do
	[ "$(find "$q6/env" -mindepth 1 | wc -l)" = 1 ] && break
	sleep 0.05
done
capture "$POSTERN" queue list -C "$cfg6"
like "$CAP_OUT" "-- 1 queued message\$" "retrier asleep: only the message to the server that is down is left, within 5 s"
like "$CAP_OUT" "down@example.org" "retrier asleep: (that one)"
postfix_idle
is "$(grep -rhoa '^begin asleep-.*' "$MAILDIR/new" | tr '\n' ' ')" "begin asleep-up " \
	"retrier asleep: the other one was delivered, once"

diag "queue-crash.sh took $(($(date +%s) - started)) s"
tap_done
