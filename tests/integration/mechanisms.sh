#!/bin/bash
# Every password mechanism postern speaks, against the real Postfix + Dovecot
# on loopback (Dovecot offers PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256
# after STARTTLS): for auth = plain, login, cram-md5, scram-sha-1,
# scram-sha-256 and on, a real send is delivered with that mechanism (the -v
# trace and Postfix's log agree on which), and a wrong password is exit 77
# "authentication failed".  auth = on must pick SCRAM-SHA-256.  A user with
# a non-ASCII (UTF-8) password is added to the instance's passwd-file and
# checked with the mechanisms that hash the password (SASLprep for SCRAM).
# TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
mkdir -p "$HOME"
server_start "$t/srv"

# Postfix's log line for an authenticated client: wait until it holds n
# lines with sasl_method=MECH (it is written asynchronously).
sasl_logged() {
	local mech=$1 n=$2 i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c "sasl_method=$mech," "$POSTFIX_LOG" 2>/dev/null)" -ge "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

upper() { printf %s "$1" | tr '[:lower:]' '[:upper:]'; }

# send_ok MECH WANT USER PASS LABEL: a real send with auth = MECH must use
# the SASL mechanism WANT and be delivered.
send_ok() {
	local mech=$1 want=$2 user=$3 pass=$4 label=$5 subj n f before
	subj="mech $label $mech $RANDOM"
	mk_account_config "$t/$label-$mech.ini" auth="$mech" user="$user" password="$pass" from="$user"
	n=$(grep -c "sasl_method=$want," "$POSTFIX_LOG" 2>/dev/null)
	before=$(mail_count)
	printf 'To: bob@example.org\nSubject: %s\n\nhello via %s\n' "$subj" "$want" > "$t/msg"
	capture "$POSTERN" -C "$t/$label-$mech.ini" -v -t -i < "$t/msg"
	is "$CAP_RC" 0 "$label: auth = $mech: send exits 0" || diag "$CAP_ERR"
	like "$CAP_ERR" "^--> AUTH $want( |\$)" "$label: auth = $mech: the -v trace shows AUTH $want"
	is "$(printf '%s\n' "$CAP_ERR" | grep -c '^--> AUTH ')" 1 "$label: auth = $mech: one AUTH command"
	unlike "$CAP_ERR" "$pass" "$label: auth = $mech: the password is not in the trace"
	wait_for_mail $((before + 1))
	f=$(grep -l "^Subject: $subj\$" "$MAILDIR"/new/* 2>/dev/null | head -n 1)
	ok "$([ -n "$f" ] && echo 1)" "$label: auth = $mech: delivered"
	[ -n "$f" ] && like "$(cat "$f")" "hello via $want" "$label: auth = $mech: body intact"
	sasl_logged "$want" $((n + 1))
	check_status $? "$label: auth = $mech: Postfix logged sasl_method=$want"
}

# send_bad MECH USER PASS LABEL: the wrong password is refused: exit 77.
send_bad() {
	local mech=$1 user=$2 pass=$3 label=$4 before
	before=$(mail_count)
	mk_account_config "$t/$label-$mech-bad.ini" auth="$mech" user="$user" password="$pass" from="$user"
	printf 'To: bob@example.org\nSubject: must not arrive\n\nno\n' > "$t/msg"
	capture "$POSTERN" -C "$t/$label-$mech-bad.ini" -t -i < "$t/msg"
	is "$CAP_RC" 77 "$label: auth = $mech, wrong password: exit 77" || diag "$CAP_ERR"
	like "$CAP_ERR" "authentication failed" "$label: auth = $mech, wrong password: says authentication failed"
	unlike "$CAP_ERR" "$pass" "$label: auth = $mech, wrong password: not echoed"
	is "$(mail_count)" "$before" "$label: auth = $mech, wrong password: nothing delivered"
}

# The server's offer, to be sure what auth = on chooses from.
mk_account_config "$t/probe.ini" auth=plain
capture "$POSTERN" -C "$t/probe.ini" -v -t -i <<'EOF'
To: bob@example.org
Subject: probe

probe
EOF
is "$CAP_RC" 0 "probe send exits 0" || diag "$CAP_ERR"
wait_for_mail 1
like "$CAP_ERR" "^<-- 250[- ]AUTH .*SCRAM-SHA-256" "after STARTTLS Dovecot offers SCRAM-SHA-256"
like "$CAP_ERR" "^<-- 250[- ]AUTH .*CRAM-MD5" "and CRAM-MD5"

for mech in plain login cram-md5 scram-sha-1 scram-sha-256 on; do
	want=$(upper "$mech")
	[ "$mech" = on ] && want=SCRAM-SHA-256
	send_ok "$mech" "$want" "$TEST_USER" "$TEST_PASS" ascii
	send_bad "$mech" "$TEST_USER" "$TEST_PASS-wrong" ascii
done

# auth = on on implicit TLS (465) too
mk_account_config "$t/on465.ini" port="$SMTPS_PORT" tls=implicit
before=$(mail_count)
capture "$POSTERN" -C "$t/on465.ini" -v bob@example.org <<'EOF'
Subject: on via 465

hello
EOF
is "$CAP_RC" 0 "465: auth = on: exit 0" || diag "$CAP_ERR"
like "$CAP_ERR" "^--> AUTH SCRAM-SHA-256 " "465: auth = on picks SCRAM-SHA-256"
wait_for_mail $((before + 1))
check_status $? "465: auth = on: delivered"

# A UTF-8 password (precomposed, so SASLprep leaves it as it is and
# Dovecot, which does not SASLprep, derives the same SCRAM keys).  Dovecot
# re-reads the passwd-file when it changes, but looks at most once a second.
PWFILE=$SERVER_DIR/dovecot/passwd
UTF8_USER=utf8@example.org
UTF8_PASS='Pässwörd ñ € 密码'
if [ -f "$PWFILE" ]; then
	printf '%s:{PLAIN}%s::::::\n' "$UTF8_USER" "$UTF8_PASS" >> "$PWFILE"
	sleep 1.2
	for mech in plain cram-md5 scram-sha-1 scram-sha-256 on; do
		want=$(upper "$mech")
		[ "$mech" = on ] && want=SCRAM-SHA-256
		send_ok "$mech" "$want" "$UTF8_USER" "$UTF8_PASS" utf8
	done
	send_bad scram-sha-256 "$UTF8_USER" 'Passwörd ñ € 密码' utf8
else
	_fail "passwd-file not found at $PWFILE (tests/server/mailserver.sh changed?)"
fi

tap_done
