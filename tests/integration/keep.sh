#!/bin/bash
# Never lose mail, and never leak it: where a message that could not be
# sent is kept (dead.letter only when it is safe), with which envelope (so
# that it can be sent again to exactly its recipients, Bcc and -t
# included: the recipe of postern(1) is run here against the real
# server), what an untrusted -f can do to the file and the terminal, what
# a full disk leaves (an incomplete copy, said to be one), and what
# SIGTERM, SIGINT and SIGHUP do while the message is read, while it is
# sent, and in -bs.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home XDG_STATE_HOME= XDG_CONFIG_HOME=$t/home/.config
unset XDG_STATE_HOME
mkdir -p "$HOME"
dl=$HOME/dead.letter
fallback=$HOME/.local/state/postern/dead.letter

# A server that is not there: every send fails at once and keeps the message.
closed=$(free_port)
# rewrite_from = never: a kept copy records the -f the caller gave, as given
mk_config "$t/closed.ini" "[a]" "queue = never" "host = 127.0.0.1" "port = $closed" "tls = off" "from = me@example.org" \
	"rewrite_from = never"
printf 'To: to@example.org\nCc: cc@example.org\nBcc: secret-bcc@example.org\nSubject: kept\n\nthe body that must not be lost\nFrom the start of a line\n' > "$t/msg"
send_closed() { capture "$POSTERN" -C "$t/closed.ini" "$@" < "$t/msg"; }

# ------------------------------------------------ where dead.letter goes
rm -rf "$dl" "$HOME/.local"
send_closed -t argv@example.org
is "$CAP_RC" 69 "closed port: not sent (69)"
like "$CAP_ERR" "it is kept in $dl" "kept in ~/dead.letter, and said so"
is "$(stat -c %a "$dl")" 600 "a new dead.letter is created 0600"

for kind in fifo world-readable group-writable other-owner symlink hardlink; do
	rm -rf "$dl" "$HOME/.local" "$t/elsewhere"
	case $kind in
	fifo) mkfifo -m 600 "$dl" ;;
	world-readable) : > "$dl"; chmod 644 "$dl" ;;
	group-writable) : > "$dl"; chmod 620 "$dl" ;;
	other-owner) : > "$dl"; chmod 600 "$dl"; chown nobody "$dl" ;;
	symlink) : > "$t/elsewhere"; chmod 600 "$t/elsewhere"; ln -s "$t/elsewhere" "$dl" ;;
	hardlink) : > "$dl"; chmod 600 "$dl"; ln "$dl" "$t/elsewhere" ;;
	esac
	start=$(date +%s%3N)
	send_closed -t
	took=$(($(date +%s%3N) - start))
	is "$CAP_RC" 69 "$kind ~/dead.letter: exit 69"
	ok "$([ "$took" -lt 10000 ] && echo 1)" "$kind ~/dead.letter: did not block (${took} ms)"
	like "$CAP_ERR" 'not using ~/dead.letter' "$kind ~/dead.letter: refused, and said so"
	like "$CAP_ERR" "it is kept in $fallback" "$kind ~/dead.letter: kept in the state directory instead"
	grep -q 'the body that must not be lost' "$fallback"; check_status $? "$kind ~/dead.letter: the fallback holds the message"
	is "$(stat -c %a "$HOME/.local/state/postern")" 700 "$kind ~/dead.letter: the state directory is private"
	if [ "$kind" != fifo ] && [ "$kind" != symlink ]; then
		is "$(stat -c %s "$dl")" 0 "$kind ~/dead.letter: got nothing"
	fi
	[ ! -s "$t/elsewhere" ]; check_status $? "$kind ~/dead.letter: nothing written through it elsewhere"
done
rm -f "$dl"; : > "$dl"; chmod 644 "$dl"
send_closed a@example.org
like "$CAP_ERR" "others may read or write $dl \\(mode 0644\\); to use it, run: chmod 600 $dl" \
	"a readable dead.letter: says which chmod makes it usable"
rm -rf "$dl" "$HOME/.local" "$t/elsewhere"

# ------------------------------------------------ the envelope is kept
send_closed -t -f sender@example.org argv@example.org
is "$CAP_RC" 69 "-t with Bcc and an argument: not sent (69)"
head=$(sed -n '1,/^$/p' "$dl")
like "$head" '^From sender@example.org ' "mbox From line with the sender"
like "$head" '^Return-Path: <sender@example.org>$' "Return-Path: the envelope sender"
for r in argv to cc secret-bcc; do
	like "$head" "^X-Postern-Envelope-To: $r@example.org\$" "envelope recipient $r kept"
done
unlike "$head" '^Bcc:' "the Bcc header itself is gone (it was stripped before keeping)"
like "$head" '^X-Postern-Not-Sent: .*refused' "why it was not sent"
grep -q '^>From the start of a line$' "$dl"; check_status $? "a body line starting with From is quoted (mboxrd)"

# The recipe of postern(1), against the real server: exactly the same
# recipients, Bcc included; the kept trace fields do not go out.
server_start "$t/srv"
mk_account_config "$t/good.ini"
# (the four lines of postern(1), word for word, with -C for the test server)
mkdir -p "$t/resend" && cp "$dl" "$t/resend/msg"
(
	cd "$t/resend" &&
	env=$(awk 'NR==1{next} /^(Return-Path|X-Postern-[A-Za-z-]+):/{print; next} {exit}' msg) &&
	sender=$(printf '%s\n' "$env" | sed -n 's/^Return-Path: <\(.*\)>$/\1/p') &&
	rcpts=$(printf '%s\n' "$env" | sed -n 's/^X-Postern-Envelope-To: //p') &&
	# shellcheck disable=SC2086
	sed '1d; s/^>\(>*From \)/\1/' msg | "$POSTERN" -C "$t/good.ini" -f "$sender" -- $rcpts
)
is "$?" 0 "the recipe sends the kept message again"
wait_for_mail 4
is "$(mail_count)" 4 "to exactly its four recipients, Bcc included"
got=$(cat $(mail_files))
for r in argv to cc secret-bcc; do
	like "$got" "^Delivered-To: $r@example.org" "delivered to $r"
done
unlike "$got" '^X-Postern-' "no X-Postern- field went out"
unlike "$got" '^Bcc:' "no Bcc header went out"
like "$got" '^From the start of a line$' "the From line is unquoted again"
# a message that brings its own envelope fields cannot choose its recipients
clear_maildir
printf 'To: to@example.org\nX-Postern-Envelope-To: attacker@example.org\nReturn-Path: <forged@example.org>\nSubject: x\n\nbody\n' |
	"$POSTERN" -C "$t/good.ini" -t
is "$?" 0 "a message with forged X-Postern-Envelope-To is sent"
wait_for_mail 1
sleep 0.5
is "$(mail_count)" 1 "only to its real recipient"
unlike "$(cat $(mail_files))" 'attacker|forged' "the forged fields were stripped"
rm -f "$dl"

# ------------------------------------------------ untrusted -f and stderr
evil=$(printf 'x@example.org\nFrom evil@attacker Mon Jan  1 00:00:00 2024\nSubject: forged')
capture "$POSTERN" -C "$t/closed.ini" -f "$evil" a@example.org < "$t/msg"
is "$CAP_RC" 64 "-f with a line end: usage error (64)"
is "$(grep -c '^From ' "$dl")" 1 "the raw -f value forges no mbox entry in dead.letter"
is "$(grep -c '^Subject: forged' "$dl")" 0 "nor a header line"
like "$(head -n 1 "$dl")" '^From MAILER-DAEMON ' "the From line has no unvalidated sender"
is "$(printf '%s' "$CAP_ERR" | grep -c '^From evil')" 0 "no forged line on stderr"
like "$CAP_ERR" 'x@example.org\\x0aFrom evil' "the line end is shown escaped"
rm -f "$dl"

# ------------------------------------------------ a full disk
mkdir -p "$t/small"
mount -t tmpfs -o size=64k tmpfs "$t/small" || bail "cannot mount a tmpfs (needs root)"
at_exit "umount '$t/small' 2>/dev/null"
head -c 200000 /dev/urandom | base64 > "$t/big.b64"
{ printf 'To: a@example.org\nSubject: big\n\n'; cat "$t/big.b64"; } > "$t/big"
capture env TMPDIR="$t/small" "$POSTERN" -C "$t/closed.ini" a@example.org < "$t/big"
is "$CAP_RC" 74 "disk full while spooling: exit 74 (EX_IOERR)"
like "$CAP_ERR" 'No space left on device' "says the disk is full"
like "$CAP_ERR" "an INCOMPLETE copy .* is kept in $dl" "says the kept copy is incomplete"
grep -q '^X-Postern-Incomplete: ' "$dl"; check_status $? "the kept copy is marked incomplete"
grep -q '^Subject: big$' "$dl"; check_status $? "and holds the beginning of the message"
umount "$t/small"
rm -f "$dl"

# ------------------------------------------------ signals
# while the message is read: what was read is kept, marked incomplete, and
# postern dies by the signal (the shell sees 128+N)
for sig in TERM INT HUP; do
	rm -f "$dl"
	fifo=$t/in.$sig; rm -f "$fifo"; mkfifo "$fifo"
	"$POSTERN" -C "$t/closed.ini" a@example.org < "$fifo" 2>"$t/err.$sig" &
	pid=$!
	exec 7>"$fifo"
	printf 'Subject: half\n\nthe first half\n' >&7
	sleep 0.5
	start=$(date +%s%3N)
	kill -$sig $pid
	wait $pid; rc=$?
	took=$(($(date +%s%3N) - start))
	exec 7>&-
	want=$((128 + $(kill -l $sig)))
	is "$rc" "$want" "SIG$sig while reading: killed by the signal ($want)"
	ok "$([ "$took" -lt 3000 ] && echo 1)" "SIG$sig while reading: stopped at once (${took} ms)"
	grep -q 'the first half' "$dl"; check_status $? "SIG$sig while reading: what was read is kept"
	grep -q '^X-Postern-Incomplete: ' "$dl"; check_status $? "SIG$sig while reading: marked incomplete"
	like "$(cat "$t/err.$sig")" "interrupted by SIG$sig while reading the message" "SIG$sig while reading: says so"
done

# while it is sent: a peer that is slow to greet; the whole message is kept
rm -f "$dl"
peer_start slow slow-greeting -- --timeout 20
mk_config "$t/peer.ini" "[a]" "queue = never" "host = 127.0.0.1" "port = $PEER_PORT" "tls = off" \
	"timeout = 30" "from = me@example.org"
"$POSTERN" -C "$t/peer.ini" -t < "$t/msg" 2>"$t/err.send" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid; rc=$?
is "$rc" 143 "SIGTERM while sending: killed by the signal (143)"
grep -q 'the body that must not be lost' "$dl"; check_status $? "SIGTERM while sending: the message is kept"
unlike "$(cat "$dl")" 'X-Postern-Incomplete' "SIGTERM while sending: kept whole, not marked incomplete"
like "$(cat "$dl")" 'X-Postern-Envelope-To: secret-bcc@example.org' "SIGTERM while sending: with its envelope"
like "$(cat "$t/err.send")" 'interrupted by a signal' "SIGTERM while sending: says so"
peer_wait 30

# -bs: SIGTERM ends the session with a 421, and postern with the signal
rm -f "$dl"
exec 8> >(cat >/dev/null)
mkfifo "$t/bs.in"
"$POSTERN" -C "$t/closed.ini" -bs < "$t/bs.in" > "$t/bs.out" 2>"$t/bs.err" &
pid=$!
exec 9>"$t/bs.in"
printf 'EHLO me\r\nMAIL FROM:<a@example.org>\r\n' >&9
sleep 0.5
kill -TERM $pid
wait $pid; rc=$?
exec 9>&-
is "$rc" 143 "-bs: SIGTERM ends the session (143)"
like "$(cat "$t/bs.out")" '^421 4\.3\.2 .*interrupted by SIGTERM' "-bs: the client is told with a 421"

tap_done
