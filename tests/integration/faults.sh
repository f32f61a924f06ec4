#!/bin/bash
# Faults and attacks a real server will not produce on demand, from the
# scripted SMTP peer (tests/peer/smtp-peer.py, scenarios in
# tests/peer/scenarios/).  For each: postern's exit status, what it says,
# whether the message was kept, and the peer's own verdict (it fails if
# postern sends a bare LF, pipelines without PIPELINING, goes on in
# cleartext after a STARTTLS failure, or sends MAIL when it must not).  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps

t=$(mktemp -d "${TMPDIR:-/tmp}/postern-faults.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$t"' EXIT
export HOME=$t/home
mkdir -p "$HOME"
sh "$top_srcdir/tests/server/mkcerts.sh" "$t/certs" >/dev/null 2>&1 || bail "mkcerts failed"
scn=$top_srcdir/tests/peer/scenarios
printf 'To: a@peer.test\nSubject: fault test\n\nline one\n.dot line\nline three\n' > "$t/msg"

# peer SCENARIO TLS AUTH TIMEOUT RCPTS...: run postern against the peer;
# sets rc (postern), out (its stderr), prc (the peer's status).
peer() {
	local name=$1 tls=$2 auth=$3 timeout=$4
	shift 4
	rm -f "$t/port" "$t/data" "$t/peer.log" "$HOME/dead.letter"
	"$PYTHON3" "$top_srcdir/tests/peer/smtp-peer.py" --port 0 --port-file "$t/port" \
		--log "$t/peer.log" --data-file "$t/data" --certs-dir "$t/certs" --timeout 8 \
		--accept-timeout 20 "$scn/$name.scn" &
	local pid=$! i=0
	while [ ! -s "$t/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	mk_config "$t/c.ini" "[a]" "host = localhost" "port = $(cat "$t/port")" "tls = $tls" \
		"auth = $auth" "user = u@peer.test" "password = peer-secret" "auth_without_tls = yes" \
		"timeout = $timeout" "from = me@peer.test" "tls_ca_file = $t/certs/ca.pem"
	out=$("$POSTERN" -C "$t/c.ini" -v "$@" < "$t/msg" 2>&1); rc=$?
	wait "$pid"; prc=$?
	if [ "$prc" -ne 0 ]; then
		echo "# peer log ($name):"
		sed 's/^/#   /' "$t/peer.log" | tail -n 15
	fi
}
kept() { grep -q '^\.dot line' "$HOME/dead.letter" 2>/dev/null; }

peer ok-plain off off 10 a@peer.test
is "$rc" 0 "ok-plain: delivered"
is "$prc" 0 "ok-plain: the peer saw a correct session (CRLF only)"
grep -q $'^\\.\\.dot line\r$' "$t/data"; check_status $? "ok-plain: the dot line arrives dot-stuffed with CRLF"
grep -q $'^line three\r$' "$t/data"; check_status $? "ok-plain: every line ends in CRLF"
unlike "$out" 'BDAT' "ok-plain: no CHUNKING offered, so DATA"

# CHUNKING + PIPELINING: MAIL, RCPT, BDAT n LAST and the message in one
# flight; the peer follows the chunks and fails a client that uses DATA.
peer chunking off off 10 a@peer.test
is "$rc" 0 "chunking: delivered"
is "$prc" 0 "chunking: the peer read MAIL, RCPT and one BDAT n LAST chunk"
like "$out" '--> BDAT [0-9]+ LAST' "chunking: BDAT n LAST in the transcript"
unlike "$out" '--> DATA' "chunking: no DATA"
cmp -s <(sed '1,/^\r$/d' "$t/data") <(printf 'line one\r\n.dot line\r\nline three\r\n')
check_status $? "chunking: the body arrives with CRLF and its dot line NOT dot-stuffed"
grep -q $'^To: a@peer.test\r$' "$t/data" && grep -q $'^Subject: fault test\r$' "$t/data"
check_status $? "chunking: the header lines arrive with CRLF"
is "$(grep -c $'\r$' "$t/data")" "$(wc -l < "$t/data")" "chunking: every line ends in CRLF"
is "$(tail -c 2 "$t/data" | od -An -c | tr -d ' ')" '\r\n' "chunking: no terminator after the last line"
bdat=$(printf '%s\n' "$out" | sed -n 's/.*--> BDAT \([0-9]*\) LAST.*/\1/p')
is "$(wc -c < "$t/data")" "$bdat" "chunking: the chunk is exactly the size BDAT announced"

peer ok-starttls-auth starttls on 10 a@peer.test
is "$rc" 0 "ok-starttls-auth: delivered"
is "$prc" 0 "ok-starttls-auth: the peer is satisfied"

peer ok-implicit-auth implicit on 10 a@peer.test
is "$rc" 0 "ok-implicit-auth: delivered"
is "$prc" 0 "ok-implicit-auth: the peer is satisfied"

peer no-pipelining off off 10 a@peer.test
is "$rc" 0 "no-pipelining: delivered"
is "$prc" 0 "no-pipelining: one command at a time without PIPELINING"

peer multiline-odd off off 10 a@peer.test
is "$rc" 0 "multiline-odd: replies split across writes are read by code"
is "$prc" 0 "multiline-odd: peer satisfied"

peer helo-only off off 10 a@peer.test
is "$rc" 0 "helo-only: falls back to HELO when neither TLS nor AUTH is needed"
is "$prc" 0 "helo-only: peer satisfied"

peer greeting-421 off off 10 a@peer.test
is "$rc" 69 "greeting-421: exit 69 (not sent, no queue yet)"
like "$out" '421' "greeting-421: quotes the reply"
kept; check_status $? "greeting-421: message kept in dead.letter"

peer greeting-554 off off 10 a@peer.test
is "$rc" 69 "greeting-554: exit 69"
kept; check_status $? "greeting-554: message kept"

peer drop-mid-data off off 10 a@peer.test
is "$rc" 69 "drop-mid-data: exit 69"
like "$out" 'closed the connection|reset|failed' "drop-mid-data: says the connection broke"
kept; check_status $? "drop-mid-data: message kept"

peer drop-after-dot off off 10 a@peer.test
is "$rc" 69 "drop-after-dot: no final reply is not success"
kept; check_status $? "drop-after-dot: message kept"

peer silent-after-data off off 2 a@peer.test
ok "$([ "$rc" -ne 0 ] && echo 1)" "silent-after-data: a server that never answers the dot is not success"

peer slow-greeting off off 1 a@peer.test
is "$rc" 69 "slow-greeting with timeout 1: exit 69"
like "$out" 'timed out after 1 s' "slow-greeting: says it timed out"
kept; check_status $? "slow-greeting: message kept"
peer slow-greeting off off 5 a@peer.test
is "$rc" 0 "slow-greeting with timeout 5: delivered"

peer slow-final-reply off off 2 a@peer.test
is "$rc" 0 "slow-final-reply: waits for the final reply longer than timeout (RFC 5321)"

peer tempfail-mail off off 10 a@peer.test
is "$rc" 69 "tempfail-mail: exit 69"
is "$prc" 0 "tempfail-mail: gave up cleanly"

peer tempfail-rcpt off off 10 a@peer.test
is "$rc" 69 "tempfail-rcpt: exit 69"
is "$prc" 0 "tempfail-rcpt: no DATA after the only recipient failed"
kept; check_status $? "tempfail-rcpt: message kept"

peer rcpt-421-close off off 10 a@peer.test
is "$rc" 69 "rcpt-421-close: exit 69"
like "$out" '421' "rcpt-421-close: quotes the 421"

peer data-452-final off off 10 a@peer.test
is "$rc" 69 "data-452-final: exit 69"
like "$out" '452' "data-452-final: quotes the reply"
kept; check_status $? "data-452-final: message kept"

peer data-554-final off off 10 a@peer.test
is "$rc" 69 "data-554-final: exit 69"
kept; check_status $? "data-554-final: message kept"

peer partial-rcpt off off 10 ok@peer.test nobody@peer.test
is "$rc" 67 "partial-rcpt: exit 67"
like "$out" 'nobody@peer.test.*550 5.1.1' "partial-rcpt: names the refused recipient with the reply"
is "$prc" 0 "partial-rcpt: the message went to the accepted recipient"
grep -q 'line one' "$t/data"; check_status $? "partial-rcpt: the peer received the message"

peer auth-535 off on 10 a@peer.test
is "$rc" 77 "auth-535: exit 77"
like "$out" 'authentication failed' "auth-535: says so"
is "$prc" 0 "auth-535: no MAIL after a failed AUTH"
unlike "$out" 'peer-secret' "auth-535: the password is not printed"

peer auth-454 off on 10 a@peer.test
is "$rc" 69 "auth-454: temporary auth failure is 69"

for s in starttls-missing starttls-454 starttls-502 starttls-354; do
	peer "$s" starttls on 10 a@peer.test
	ok "$([ "$rc" -eq 69 ] || [ "$rc" -eq 76 ] && echo 1)" "$s: refused ($rc)"
	is "$prc" 0 "$s: nothing sent in cleartext after the STARTTLS failure"
	unlike "$(cat "$t/peer.log")" 'C: (AUTH|MAIL)' "$s: no AUTH or MAIL reached the peer"
	kept; check_status $? "$s: message kept"
done
peer starttls-missing starttls on 10 a@peer.test
like "$out" 'does not offer STARTTLS' "starttls-missing: says STARTTLS is missing"

peer starttls-injection starttls on 10 a@peer.test
is "$rc" 76 "starttls-injection: exit 76 (protocol)"
like "$out" 'injection' "starttls-injection: names the attack"
is "$prc" 0 "starttls-injection: aborted before the handshake"

peer starttls-caps-tamper starttls on 10 a@peer.test
is "$rc" 77 "starttls-caps-tamper: AUTH gone after TLS means no AUTH (77)"
is "$prc" 0 "starttls-caps-tamper: pre-TLS capabilities were not used"

peer helo-only-starttls starttls on 10 a@peer.test
ok "$([ "$rc" -ne 0 ] && echo 1)" "helo-only-starttls: refused ($rc)"
is "$prc" 0 "helo-only-starttls: nothing in cleartext"

for cert in wrongname expired selfsigned unknownca; do
	sed "s/^starttls.*/starttls $cert/" "$scn/starttls-badcert.scn" > "$t/badcert-$cert.scn"
	rm -f "$t/port" "$HOME/dead.letter"
	"$PYTHON3" "$top_srcdir/tests/peer/smtp-peer.py" --port 0 --port-file "$t/port" --log "$t/peer.log" \
		--certs-dir "$t/certs" --timeout 8 --accept-timeout 20 "$t/badcert-$cert.scn" &
	pid=$!; i=0
	while [ ! -s "$t/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	mk_config "$t/c.ini" "[a]" "host = localhost" "port = $(cat "$t/port")" "tls = starttls" \
		"user = u" "password = peer-secret" "from = me@peer.test" "tls_ca_file = $t/certs/ca.pem"
	out=$("$POSTERN" -C "$t/c.ini" a@peer.test < "$t/msg" 2>&1); rc=$?
	wait "$pid"
	is "$rc" 69 "bad certificate ($cert): exit 69"
	case $cert in
	wrongname) like "$out" 'name mismatch.*wrong.example' "wrongname: names the certificate's names" ;;
	expired) like "$out" 'expired on 20[0-9][0-9]-' "expired: says when" ;;
	*) like "$out" 'not signed by a CA in' "$cert: says the issuer is not trusted" ;;
	esac
	unlike "$(cat "$t/peer.log")" 'C: (AUTH|MAIL)' "$cert: nothing sent over the refused TLS"
done

tap_done
