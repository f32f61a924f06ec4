#!/bin/bash
# Faults and attacks a real server will not produce on demand, from the
# scripted SMTP peer (tests/peer/smtp-peer.py, scenarios in
# tests/peer/scenarios/).  For each: postern's exit status, what it says,
# whether the message was kept, and the peer's own verdict (it fails if
# postern sends a bare LF, pipelines without PIPELINING, goes on in
# cleartext after a STARTTLS failure, or sends MAIL when it must not).  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps base

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
mkdir -p "$HOME"
scn=$top_srcdir/tests/peer/scenarios
printf 'To: a@peer.test\nSubject: fault test\n\nline one\n.dot line\nline three\n' > "$t/msg"

# peer_run SCENARIO TLS AUTH TIMEOUT RCPTS...: run postern against the
# scripted peer (SCENARIO: a name in tests/peer/scenarios or a file); sets
# rc (postern's status), out (its stderr) and PEER_RC (the peer's).
peer_run() {
	local name=$1 tls=$2 auth=$3 timeout=$4
	shift 4
	rm -f "$HOME/dead.letter"
	peer_start "$(basename "$name" .scn)" "$name" -- --timeout 8 --accept-timeout 20
	mk_config "$t/c.ini" "[a]" "queue = never" "host = localhost" "port = $PEER_PORT" "tls = $tls" \
		"auth = $auth" "user = u@peer.test" "password = peer-secret" "auth_without_tls = yes" \
		"timeout = $timeout" "from = me@peer.test" "tls_ca_file = $CERTS_DIR/ca.pem"
	out=$("$POSTERN" -C "$t/c.ini" -v "$@" < "$t/msg" 2>&1); rc=$?
	peer_wait
}

# peer SCENARIO TLS AUTH TIMEOUT VERDICT RCPTS...: peer_run, then the peer's
# own verdict: it must exit 0, having seen what the scenario expects
# (VERDICT says what that is).
peer() {
	local label verdict=$5
	label=$(basename "$1" .scn)
	peer_run "$1" "$2" "$3" "$4" "${@:6}"
	is "$PEER_RC" 0 "$label: peer: $verdict" || peer_transcript
}
kept() { grep -q '^\.dot line' "$HOME/dead.letter" 2>/dev/null; }

peer ok-plain off off 10 "a correct session (CRLF only)" a@peer.test
is "$rc" 0 "ok-plain: delivered"
grep -q $'^\\.\\.dot line\r$' "$PEER_DATA"; check_status $? "ok-plain: the dot line arrives dot-stuffed with CRLF"
grep -q $'^line three\r$' "$PEER_DATA"; check_status $? "ok-plain: every line ends in CRLF"
unlike "$out" 'BDAT' "ok-plain: no CHUNKING offered, so DATA"

# CHUNKING + PIPELINING: MAIL, RCPT, BDAT n LAST and the message in one
# flight; the peer follows the chunks and fails a client that uses DATA.
peer chunking off off 10 "MAIL, RCPT and one BDAT n LAST chunk" a@peer.test
is "$rc" 0 "chunking: delivered"
like "$out" '--> BDAT [0-9]+ LAST' "chunking: BDAT n LAST in the transcript"
unlike "$out" '--> DATA' "chunking: no DATA"
cmp -s <(sed '1,/^\r$/d' "$PEER_DATA") <(printf 'line one\r\n.dot line\r\nline three\r\n')
check_status $? "chunking: the body arrives with CRLF and its dot line NOT dot-stuffed"
grep -q $'^To: a@peer.test\r$' "$PEER_DATA" && grep -q $'^Subject: fault test\r$' "$PEER_DATA"
check_status $? "chunking: the header lines arrive with CRLF"
is "$(grep -c $'\r$' "$PEER_DATA")" "$(wc -l < "$PEER_DATA")" "chunking: every line ends in CRLF"
is "$(tail -c 2 "$PEER_DATA" | od -An -c | tr -d ' ')" '\r\n' "chunking: no terminator after the last line"
bdat=$(printf '%s\n' "$out" | sed -n 's/.*--> BDAT \([0-9]*\) LAST.*/\1/p')
is "$(wc -c < "$PEER_DATA")" "$bdat" "chunking: the chunk is exactly the size BDAT announced"

peer ok-starttls-auth starttls on 10 "a complete session over STARTTLS with AUTH" a@peer.test
is "$rc" 0 "ok-starttls-auth: delivered"

peer ok-implicit-auth implicit on 10 "a complete session over implicit TLS with AUTH" a@peer.test
is "$rc" 0 "ok-implicit-auth: delivered"

peer no-pipelining off off 10 "one command at a time without PIPELINING" a@peer.test
is "$rc" 0 "no-pipelining: delivered"

peer multiline-odd off off 10 "a complete session" a@peer.test
is "$rc" 0 "multiline-odd: replies split across writes are read by code"

peer helo-only off off 10 "HELO after the 5xx to EHLO" a@peer.test
is "$rc" 0 "helo-only: falls back to HELO when neither TLS nor AUTH is needed"

# The server refuses or breaks: nothing is sent, 69 (a temporary or
# permanent refusal, not yet queued), and the message is kept.
peer greeting-421 off off 10 "the 421 was sent" a@peer.test
is "$rc" 69 "greeting-421: exit 69 (not sent, no queue yet)"
like "$out" '421' "greeting-421: quotes the reply"
kept; check_status $? "greeting-421: message kept in dead.letter"

peer greeting-554 off off 10 "QUIT (or nothing) after the 554 greeting" a@peer.test
is "$rc" 69 "greeting-554: exit 69"
kept; check_status $? "greeting-554: message kept"

peer drop-mid-data off off 10 "the message began" a@peer.test
is "$rc" 69 "drop-mid-data: exit 69"
like "$out" 'closed the connection|reset|failed' "drop-mid-data: says the connection broke"
kept; check_status $? "drop-mid-data: message kept"

peer drop-after-dot off off 10 "the whole message, ending in CRLF.CRLF" a@peer.test
is "$rc" 69 "drop-after-dot: no final reply is not success"
kept; check_status $? "drop-after-dot: message kept"

# The peer reads the message and stays silent for 30 s, then closes:
# postern waits past its 2 s timeout (RFC 5321: 10 minutes for the final
# reply) and the close without a reply is a temporary failure.
peer silent-after-data off off 2 "the whole message" a@peer.test
is "$rc" 69 "silent-after-data: a server that never answers the dot is not success (69)"
like "$out" 'closed the connection unexpectedly' "silent-after-data: says the server hung up without a reply"
kept; check_status $? "silent-after-data: message kept"

# With timeout 1 postern gives up before the greeting: a copy of the
# scenario that expects exactly that (the client closing while it sleeps).
sed '/^send 220/,$d' "$scn/slow-greeting.scn" > "$t/slow-greeting-gone.scn"
echo 'expect-eof' >> "$t/slow-greeting-gone.scn"
peer "$t/slow-greeting-gone.scn" off off 1 "the client hung up before the greeting" a@peer.test
is "$rc" 69 "slow-greeting with timeout 1: exit 69"
like "$out" 'timed out after 1 s' "slow-greeting: says it timed out"
kept; check_status $? "slow-greeting: message kept"
peer slow-greeting off off 5 "a complete session after the slow greeting" a@peer.test
is "$rc" 0 "slow-greeting with timeout 5: delivered"

peer slow-final-reply off off 2 "a complete session with a slow final reply" a@peer.test
is "$rc" 0 "slow-final-reply: waits for the final reply longer than timeout (RFC 5321)"

peer tempfail-mail off off 10 "QUIT after the 451 to MAIL, nothing else" a@peer.test
is "$rc" 69 "tempfail-mail: exit 69"

peer tempfail-rcpt off off 10 "no DATA after the only recipient failed" a@peer.test
is "$rc" 69 "tempfail-rcpt: exit 69"
kept; check_status $? "tempfail-rcpt: message kept"

peer rcpt-421-close off off 10 "the 421 to RCPT was sent" a@peer.test
is "$rc" 69 "rcpt-421-close: exit 69"
like "$out" '421' "rcpt-421-close: quotes the 421"

peer data-452-final off off 10 "QUIT after the 452 to the message" a@peer.test
is "$rc" 69 "data-452-final: exit 69"
like "$out" '452' "data-452-final: quotes the reply"
kept; check_status $? "data-452-final: message kept"

peer data-554-final off off 10 "QUIT after the 554 to the message" a@peer.test
is "$rc" 69 "data-554-final: exit 69"
kept; check_status $? "data-554-final: message kept"

peer partial-rcpt off off 10 "the message went to the accepted recipient" ok@peer.test nobody@peer.test
is "$rc" 67 "partial-rcpt: exit 67"
like "$out" 'nobody@peer.test.*550 5.1.1' "partial-rcpt: names the refused recipient with the reply"
grep -q 'line one' "$PEER_DATA"; check_status $? "partial-rcpt: the peer received the message"

peer auth-535 off on 10 "no MAIL after a failed AUTH" a@peer.test
is "$rc" 77 "auth-535: exit 77"
like "$out" 'authentication failed' "auth-535: says so"
unlike "$out" 'peer-secret' "auth-535: the password is not printed"

peer auth-454 off on 10 "no MAIL after a temporary AUTH failure" a@peer.test
is "$rc" 69 "auth-454: temporary auth failure is 69"

# STARTTLS refused or missing (the EAST attack classes): a TLS failure,
# 69, and nothing in cleartext.
for s in starttls-missing starttls-454 starttls-502 starttls-354; do
	peer "$s" starttls on 10 "nothing sent in cleartext after the STARTTLS failure" a@peer.test
	is "$rc" 69 "$s: refused as a TLS failure (69)"
	unlike "$(cat "$PEER_LOG")" 'C: (AUTH|MAIL)' "$s: no AUTH or MAIL reached the peer"
	kept; check_status $? "$s: message kept"
	case $s in
	starttls-missing) like "$out" 'does not offer STARTTLS' "$s: says STARTTLS is missing" ;;
	*) like "$out" 'server refused STARTTLS: [0-9]{3}' "$s: quotes the refusal" ;;
	esac
done

peer starttls-injection starttls on 10 "aborted before the handshake" a@peer.test
is "$rc" 76 "starttls-injection: exit 76 (protocol)"
like "$out" 'injection' "starttls-injection: names the attack"

peer starttls-caps-tamper starttls on 10 "pre-TLS capabilities were not used" a@peer.test
is "$rc" 77 "starttls-caps-tamper: AUTH gone after TLS means no AUTH (77)"

# EHLO refused on a STARTTLS account: HELO cannot do TLS, so the server is
# not an ESMTP server (a protocol failure, 76), and nothing goes in cleartext.
peer helo-only-starttls starttls on 10 "nothing in cleartext" a@peer.test
is "$rc" 76 "helo-only-starttls: refused as a protocol failure (76)"
like "$out" 'does not speak ESMTP' "helo-only-starttls: says why"
kept; check_status $? "helo-only-starttls: message kept"

# A certificate that must be refused: a TLS failure (69); the peer, which
# presents it, sees no AUTH or MAIL.
for cert in wrongname expired selfsigned unknownca; do
	sed "s/^starttls.*/starttls $cert/" "$scn/starttls-badcert.scn" > "$t/badcert-$cert.scn"
	peer_run "$t/badcert-$cert.scn" starttls on 10 a@peer.test
	is "$rc" 69 "bad certificate ($cert): exit 69"
	# The peer's verdict is 1 here, for the one reason wanted: the
	# client broke off the handshake (a client that took the certificate
	# would fail a later step, with another reason).
	is "$PEER_RC" 1 "$cert: peer: exit 1, the handshake failed" || peer_transcript
	like "$(cat "$PEER_LOG")" 'TLS handshake failed' "$cert: peer: the client refused the handshake"
	case $cert in
	wrongname) like "$out" 'name mismatch.*wrong.example' "wrongname: names the certificate's names" ;;
	expired) like "$out" 'expired on 20[0-9][0-9]-' "expired: says when" ;;
	*) like "$out" 'not signed by a CA in' "$cert: says the issuer is not trusted" ;;
	esac
	unlike "$(cat "$PEER_LOG")" 'C: (AUTH|MAIL)' "$cert: nothing sent over the refused TLS"
	kept; check_status $? "$cert: message kept"
done

tap_done
