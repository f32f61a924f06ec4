#!/bin/bash
# One deadline per awaited reply, not per read: a server that trickles a
# reply one byte at a time, each byte well within `timeout`, must not hold
# postern for longer than `timeout`.  The scripted peer trickles for 16 s;
# with timeout = 2 postern gives up after about 2 s, exits 69 and keeps the
# message.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps base

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
mkdir -p "$HOME"
printf 'To: a@peer.test\nSubject: trickle\n\nthe body that must be kept\n' > "$t/msg"

for scn in trickle-greeting trickle-ehlo; do
	rm -f "$HOME/dead.letter"
	peer_start "$scn" "$scn" -- --timeout 20
	mk_config "$t/c.ini" "[a]" "queue = never" "host = 127.0.0.1" "port = $PEER_PORT" "tls = off" \
		"timeout = 2" "from = me@peer.test"
	start=$(date +%s%3N)
	capture "$POSTERN" -C "$t/c.ini" a@peer.test < "$t/msg"
	took=$(($(date +%s%3N) - start))
	peer_wait 30
	is "$CAP_RC" 69 "$scn: not sent (69)"
	ok "$([ "$took" -lt 6000 ] && echo 1)" "$scn: gave up after ${took} ms, not after the 16 s of trickle"
	case $scn in
	trickle-greeting) like "$CAP_ERR" 'sent no greeting: timed out after 2 s' "$scn: says no greeting came in time" ;;
	trickle-ehlo) like "$CAP_ERR" 'sent no complete reply: timed out after 2 s' "$scn: says no complete reply came in time" ;;
	esac
	grep -q 'the body that must be kept' "$HOME/dead.letter"; check_status $? "$scn: the message is kept"
	is "$PEER_RC" 1 "$scn: the peer saw postern hang up in the middle of the trickle"
done

tap_done
