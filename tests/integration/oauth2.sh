#!/bin/bash
# OAuth2 end to end: tests/oauth/idp.py (an HTTPS identity provider with the
# test CA) hands out tokens, and the real Postfix + Dovecot check them by
# introspection (Dovecot's oauth2 passdb, mailserver.sh
# OAUTH2_INTROSPECT_URL).  First the rig alone (a token the provider issued
# is taken with XOAUTH2 and OAUTHBEARER, an expired one refused), then
# postern: `postern oauth2 authorize` by the loopback flow (curl plays the
# browser), the device flow (with a slow_down) and the pasted URL; sends
# with XOAUTH2 and OAUTHBEARER carrying a 2,400-character token; sends
# after expiry (by the clock, and refused by the server) with
# refresh-token rotation; 20 concurrent sends refresh once; a fresh token
# refused too (77 after one retry); the token endpoint down (69 with
# queue = never, 75 and queued with queue = auto); a revoked refresh token
# (77, names the fix); status and forget; the keyring under a real
# gnome-keyring and the 0600 file without one; no token in any output or
# log.  About 25 s.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server oauth keyring
for c in dbus-run-session dbus-send gnome-keyring-daemon secret-tool curl; do
	command -v "$c" >/dev/null || bail "$c not found (packages dbus gnome-keyring libsecret-tools curl)"
done

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home XDG_STATE_HOME=$t/state XDG_CONFIG_HOME=$t/config XDG_CACHE_HOME=$t/cache
mkdir -p "$HOME"
# no session bus: the refresh tokens go to files (the keyring part below
# starts its own bus)
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
ALL=$t/all-output     # every stdout and stderr of postern, searched for tokens at the end

idp_start
server_start main OAUTH2_INTROSPECT_URL="$IDP_URL/introspect"

# ------------------------------------------------------------ the rig alone
# smtp_auth MECH TOKEN: AUTH MECH on the submission port after STARTTLS,
# the SASL response after the 334; prints the reply codes ("334 235", or
# "334 334 535" after the server's JSON error and our empty/0x01 answer).
cat > "$t/smtp_auth.py" <<'PY'
import base64, smtplib, ssl, sys
port, ca, user, mech, tok = sys.argv[1:]
s = smtplib.SMTP("127.0.0.1", int(port), timeout=20)
s.starttls(context=ssl.create_default_context(cafile=ca))
s.ehlo()
if mech == "XOAUTH2":
    ir = "user=%s\x01auth=Bearer %s\x01\x01" % (user, tok)
else:
    ir = "n,a=%s,\x01host=localhost\x01port=%s\x01auth=Bearer %s\x01\x01" % (user, port, tok)
codes = []
code, _ = s.docmd("AUTH", mech)
codes.append(code)
if code == 334:
    code, _ = s.docmd(base64.b64encode(ir.encode()).decode())
    codes.append(code)
    if code == 334:
        code, _ = s.docmd("AQ==" if mech == "OAUTHBEARER" else "")
        codes.append(code)
print(" ".join(map(str, codes)))
s.quit()
PY
# token_by_hand: the code flow done with curl alone -> an access token
token_by_hand() {
	local v ch loc code
	v=$("$PYTHON3" -c 'import secrets; print(secrets.token_urlsafe(48))')
	ch=$("$PYTHON3" -c 'import base64, hashlib, sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode().rstrip("="))' "$v")
	loc=$(curl -sS --cacert "$CA_FILE" -o /dev/null -w '%{redirect_url}' \
		"$IDP_URL/authorize?response_type=code&client_id=$IDP_CLIENT_ID&redirect_uri=http://127.0.0.1:9/cb&code_challenge=$ch&code_challenge_method=S256&state=s1&scope=mail")
	code=$(printf %s "$loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
	curl -sS --cacert "$CA_FILE" -d grant_type=authorization_code -d "code=$code" \
		-d redirect_uri=http://127.0.0.1:9/cb -d "code_verifier=$v" -d "client_id=$IDP_CLIENT_ID" "$IDP_URL/token" |
		"$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
idp_control '{"access_token_length": 2400}' >/dev/null
tok=$(token_by_hand)
is "${#tok}" 2400 "rig: the provider issues a 2,400-character access token"
is "$("$PYTHON3" "$t/smtp_auth.py" "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" XOAUTH2 "$tok")" "334 235" \
	"rig: Postfix+Dovecot take the token with XOAUTH2 (after the 334)"
is "$("$PYTHON3" "$t/smtp_auth.py" "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" OAUTHBEARER "$tok")" "334 235" \
	"rig: and with OAUTHBEARER"
is "$("$PYTHON3" "$t/smtp_auth.py" "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" XOAUTH2 "${tok%????}abcd")" "334 334 535" \
	"rig: an unknown token: 334 with the JSON error, then 535"
idp_control '{"expire_access": true, "revoke_refresh": true, "access_token_length": 64}' >/dev/null
is "$("$PYTHON3" "$t/smtp_auth.py" "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" OAUTHBEARER "$tok")" "334 334 535" \
	"rig: an expired token is refused"
is "$(idp_count "^introspect at[0-9]+ -> active$") $(idp_count "^introspect .* -> inactive$")" "2 2" \
	"rig: Dovecot asked the provider each time (introspection)"


# ------------------------------------------------------------ postern
# oauth_config FILE ACCOUNT [KEY=VALUE...]: an account of the test server
# whose password is an access token from the provider (oauth2 = custom).
oauth_config() {
	local f=$1 acct=$2; shift 2
	mk_account_config "$f" defaults.default_account="$acct" auth=xoauth2 password= \
		oauth2=custom oauth2_client_id="$IDP_CLIENT_ID" \
		oauth2_authorize_endpoint="$IDP_URL/authorize" oauth2_token_endpoint="$IDP_URL/token" \
		oauth2_device_endpoint="$IDP_URL/device" oauth2_scope=mail oauth2_ca_file="$CA_FILE" "$@"
}
# keep: append the last capture's output to $ALL
keep() { printf '%s\n%s\n' "$CAP_OUT" "$CAP_ERR" >> "$ALL"; }
# send CONFIG SUBJECT [postern options]: a verbose send of one message
send() {
	local cfg=$1 subj=$2; shift 2
	printf 'To: bob@example.org\nSubject: %s\n\nhello\n' "$subj" > "$t/msg"
	capture "$POSTERN" -C "$cfg" -v "$@" -t -i < "$t/msg"
	keep
}
# delivered SUBJECT: the message with that subject is in the Maildir
delivered() { grep -lq "^Subject: $1\$" "$MAILDIR"/new/* 2>/dev/null; }
# sasl_logged MECH N: Postfix's log holds N lines with sasl_method=MECH
sasl_logged() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c "sasl_method=$1," "$POSTFIX_LOG" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# wait_line FILE ERE [SECONDS]: until a line of FILE matches (default 10 s)
wait_line() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# authorize_bg NAME CONFIG ACCOUNT [OPTIONS]: `postern oauth2 authorize` in
# the background, stdout in $t/NAME.out, stderr in $t/NAME.err, stdin from
# the fifo $t/NAME.in (opened on fd 7); sets AZ_PID.
authorize_bg() {
	local name=$1 cfg=$2 acct=$3; shift 3
	rm -f "$t/$name.in"; mkfifo "$t/$name.in"
	timeout -k 5 60 "$POSTERN" oauth2 authorize -C "$cfg" "$@" "$acct" \
		<"$t/$name.in" >"$t/$name.out" 2>"$t/$name.err" &
	AZ_PID=$!
	exec 7>"$t/$name.in"
}
# authorize_end NAME: close its stdin, wait; sets CAP_RC CAP_OUT CAP_ERR
authorize_end() {
	wait "$AZ_PID"; CAP_RC=$?
	exec 7>&-
	CAP_OUT=$(cat "$t/$1.out"); CAP_ERR=$(cat "$t/$1.err")
	keep
}
# authorize_loopback NAME CONFIG ACCOUNT: the loopback flow, curl playing
# the browser; sets URL (the printed one), BROWSER_CODE (the HTTP status the
# browser ended with) and CAP_RC CAP_OUT CAP_ERR
authorize_loopback() {
	authorize_bg "$1" "$2" "$3" --no-browser
	wait_line "$t/$1.out" '^open this URL: '
	URL=$(sed -n 's/^open this URL: //p' "$t/$1.out")
	BROWSER_CODE=$(curl -sS -L --max-time 20 --cacert "$CA_FILE" -o "$t/$1.html" -w '%{http_code}' "$URL")
	authorize_end "$1"
}
# file_mode PATH: its permission bits, e.g. 600
file_mode() { stat -c %a "$1" 2>/dev/null; }
SDIR=$XDG_STATE_HOME/postern/oauth2

# --- the loopback flow (curl plays the browser), 2,400-character tokens
idp_control '{"access_token_length": 2400, "expires_in": 3600}' >/dev/null
oauth_config "$t/loop.ini" loop
n_code=$(idp_count '^token grant=authorization_code -> 200 ')
authorize_loopback loop "$t/loop.ini" loop
url=$URL
like "$url" "^$IDP_URL/authorize\\?" "loopback: prints one 'open this URL:' line with the authorize endpoint"
like "$url" "[?&]code_challenge_method=S256(&|\$)" "loopback: PKCE with S256"
like "$url" "[?&]redirect_uri=http(%3A|:)(%2F%2F|//)127\\.0\\.0\\.1(%3A|:)[0-9]+" "loopback: redirect_uri is postern's listener on 127.0.0.1"
is "$BROWSER_CODE" 200 "loopback: the browser (curl) ends on postern's page with 200"
is "$CAP_RC" 0 "loopback: authorize exits 0" || diag "$CAP_ERR"
is "$CAP_OUT" "open this URL: $url
authorized: refresh token stored in $SDIR/loop" "loopback: stdout is the URL line, then where the refresh token went"
is "$CAP_ERR" "postern: warning: no keyring answers; the OAuth2 refresh token of account [loop] goes to $SDIR/loop (mode 0600)" \
	"loopback: with no keyring, a warning says where the token went instead"
is "$(file_mode "$SDIR/loop")" 600 "loopback: the refresh token file is 0600"
is "$(idp_count '^token grant=authorization_code -> 200 ')" $((n_code + 1)) "loopback: one code exchange at the provider (PKCE verified)"

# --- sends with the 2,400-character token: XOAUTH2, then OAUTHBEARER
n_ref=$(idp_count '^token grant=refresh_token ')
send "$t/loop.ini" "oauth xoauth2"
is "$CAP_RC" 0 "XOAUTH2: send exits 0" || diag "$CAP_ERR"
like "$CAP_ERR" '^--> AUTH XOAUTH2$' "XOAUTH2: the 2,400-character token goes after the 334, not inline"
like "$CAP_ERR" '^--> <redacted>$' "XOAUTH2: the -v trace shows the SASL response redacted"
sasl_logged XOAUTH2 1; check_status $? "XOAUTH2: Postfix logged sasl_method=XOAUTH2"
ok "$(delivered "oauth xoauth2" && echo 1)" "XOAUTH2: delivered"
oauth_config "$t/loop-bearer.ini" loop auth=oauthbearer
send "$t/loop-bearer.ini" "oauth oauthbearer"
is "$CAP_RC" 0 "OAUTHBEARER: send exits 0" || diag "$CAP_ERR"
like "$CAP_ERR" '^--> AUTH OAUTHBEARER$' "OAUTHBEARER: the token goes after the 334"
sasl_logged OAUTHBEARER 1; check_status $? "OAUTHBEARER: Postfix logged sasl_method=OAUTHBEARER"
ok "$(delivered "oauth oauthbearer" && echo 1)" "OAUTHBEARER: delivered"
is "$(idp_count '^token grant=refresh_token ')" "$n_ref" "the cached access token served both sends (no refresh)"

# --- the server refuses the cached token (expired at the provider):
# refresh once, rotated refresh token stored, retry once
idp_control '{"rotate": true, "expire_access": true, "access_token_length": 64, "expires_in": 30}' >/dev/null
old_rt=$(idp_control '{}' | "$PYTHON3" -c 'import json, sys; print([r for r in json.load(sys.stdin)["refresh"] if r["active"]][-1]["token"])')
send "$t/loop.ini" "oauth after refusal"
is "$CAP_RC" 0 "refused token: the send refreshes and succeeds" || diag "$CAP_ERR"
is "$(idp_count '^token grant=refresh_token ')" $((n_ref + 1)) "refused token: exactly one refresh"
is "$(printf '%s\n' "$CAP_ERR" | grep -c '^--> AUTH XOAUTH2')" 2 "refused token: AUTH twice (the refused one, the retry)"
ok "$(delivered "oauth after refusal" && echo 1)" "refused token: delivered"
grep '^token grant=refresh_token ' "$IDP_LOG" | tail -n 1 > "$t/last-refresh"
new_id=$(sed -n 's/.* -> 200 access=at[0-9]* refresh=\(rt[0-9]*\)$/\1/p' "$t/last-refresh")
ok "$([ -n "$new_id" ] && echo 1)" "rotation: the provider issued a new refresh token"
is "$(curl -sS --cacert "$CA_FILE" -d grant_type=refresh_token --data-urlencode "refresh_token=$old_rt" \
	-d "client_id=$IDP_CLIENT_ID" "$IDP_URL/token" | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin).get("error"))')" \
	invalid_grant "rotation: the old refresh token no longer works at the provider"

# --- expired by the clock (the cached token has 30 s left, less than the
# 60 s margin): refreshed before AUTH, with the rotated refresh token
n_intro_bad=$(idp_count '^introspect .* -> inactive$')
idp_control '{"expires_in": 30}' >/dev/null
send "$t/loop.ini" "oauth clock expiry"
is "$CAP_RC" 0 "clock expiry: send exits 0" || diag "$CAP_ERR"
is "$(idp_count "^token grant=refresh_token refresh=$new_id -> 200 ")" 1 "clock expiry: refreshed with the rotated refresh token postern stored"
is "$(printf '%s\n' "$CAP_ERR" | grep -c '^--> AUTH XOAUTH2')" 1 "clock expiry: refreshed before AUTH (one AUTH)"
is "$(idp_count '^introspect .* -> inactive$')" "$n_intro_bad" "clock expiry: the server never saw a stale token"

# --- 20 concurrent sends after expiry refresh once
idp_control '{"expires_in": 3600}' >/dev/null
n_ref=$(idp_count '^token grant=refresh_token ')
before=$(mail_count)
printf 'To: bob@example.org\nSubject: storm\n\nhello\n' > "$t/storm.msg"
pids=()
for ((i = 0; i < 20; i++)); do
	timeout -k 5 60 "$POSTERN" -C "$t/loop.ini" -t -i < "$t/storm.msg" >"$t/storm.$i.out" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
cat "$t"/storm.*.out >> "$ALL"
is "$fails" 0 "storm: 20 concurrent sends after expiry all exit 0" || diag "$(cat "$t"/storm.*.out | sort | uniq -c)"
is "$(idp_count '^token grant=refresh_token ')" $((n_ref + 1)) "storm: exactly one refresh at the provider"
wait_for_mail $((before + 20)); check_status $? "storm: 20 messages delivered"

# --- the server refuses even a freshly refreshed token (an admin switched
# SMTP AUTH off for the mailbox): one refresh, one retry, then 77
idp_control '{"reject_tokens": true}' >/dev/null
n_ref=$(idp_count '^token grant=refresh_token ')
before=$(mail_count)
send "$t/loop.ini" "oauth refused twice"
is "$CAP_RC" 77 "refused twice: exit 77" || diag "$CAP_ERR"
like "$CAP_ERR" "^postern: .*535 5\.7\.8 .*; a freshly refreshed OAuth2 token was refused too: run postern oauth2 authorize loop \\(and check that the provider allows SMTP AUTH for this mailbox\\)\$" \
	"refused twice: the server's reply quoted, the fix named"
is "$(idp_count '^token grant=refresh_token ')" $((n_ref + 1)) "refused twice: exactly one refresh"
is "$(printf '%s\n' "$CAP_ERR" | grep -c '^--> AUTH XOAUTH2')" 2 "refused twice: AUTH twice, no more"
is "$(mail_count)" "$before" "refused twice: nothing delivered"
idp_control '{"reject_tokens": false}' >/dev/null

# --- the token endpoint down: a temporary failure, queued (75), never 77
idp_control '{"expires_in": 3600, "expire_access": true, "fail": 500}' >/dev/null
Q=$t/queue
oauth_config "$t/loop-q.ini" loop defaults.queue=auto "defaults.queue_dir=$Q" defaults.background_retry=no
send "$t/loop.ini" "oauth endpoint 500 never"
is "$CAP_RC" 69 "token endpoint 500, queue = never: exit 69, a temporary failure (not 77)" || diag "$CAP_ERR"
send "$t/loop-q.ini" "oauth endpoint 500"
is "$CAP_RC" 75 "token endpoint 500, queue = auto: exit 75" || diag "$CAP_ERR"
like "$CAP_ERR" "^postern: queued as [0-9a-f]+, next attempt at [0-9-]+ [0-9:]+: the server refused the access token, and refreshing it failed: the token endpoint 127\.0\.0\.1:$IDP_PORT answered HTTP 500; try again later\$" \
	"token endpoint 500: the message is queued, the cause said"
idp_control '{"fail": 0, "drop": true}' >/dev/null
send "$t/loop-q.ini" "oauth endpoint drops"
is "$CAP_RC" 75 "token endpoint closes the connection: exit 75" || diag "$CAP_ERR"
like "$CAP_ERR" "^postern: queued as [0-9a-f]+, next attempt at [0-9-]+ [0-9:]+: the server refused the access token, and refreshing it failed: cannot reach 127\.0\.0\.1:$IDP_PORT: " \
	"token endpoint closes the connection: queued, the cause said"
idp_control '{"drop": false}' >/dev/null

# --- a revoked refresh token: 77, and the message names the fix
idp_control '{"revoke_refresh": true, "expire_access": true}' >/dev/null
before=$(mail_count)
send "$t/loop.ini" "oauth revoked"
is "$CAP_RC" 77 "revoked refresh token: exit 77" || diag "$CAP_ERR"
like "$CAP_ERR" "^postern: the server refused the access token, and refreshing it failed: the identity provider refused the refresh token of account \\[loop\\] \\(invalid_grant: Token has been expired or revoked\\.\\); run: postern oauth2 authorize loop\$" \
	"revoked refresh token: the message quotes the provider and names 'postern oauth2 authorize loop'"
is "$(mail_count)" "$before" "revoked refresh token: nothing delivered"

# --- status and forget (file store)
capture "$POSTERN" oauth2 status -C "$t/loop.ini" loop; keep
is "$CAP_RC" 0 "status: exits 0"
like "$CAP_OUT" "^refresh token: stored in $SDIR/loop\$" "status: says where the refresh token is"
like "$CAP_OUT" "^access token: cached, expires 20[0-9-]{8} [0-9:]{8} UTC \\(in 5[89] min\\)\$" "status: the access token's expiry"
like "$CAP_OUT" "^scopes: mail\$" "status: the scopes"
rt=$(cat "$SDIR/loop" 2>/dev/null)
ok "$([ -n "$rt" ] && echo 1)" "status: (the refresh token file is not empty)"
unlike "$CAP_OUT$CAP_ERR" "${rt:-no token}" "status: never shows the refresh token"
capture "$POSTERN" oauth2 forget -C "$t/loop.ini" loop; keep
is "$CAP_RC" 0 "forget: exits 0" || diag "$CAP_ERR"
like "$CAP_OUT" "^removed $SDIR/loop\$" "forget: says what it removed"
ok "$([ ! -e "$SDIR/loop" ] && [ ! -e "$SDIR/loop.access" ] && echo 1)" "forget: the refresh token file and the cache are gone"
capture "$POSTERN" oauth2 status -C "$t/loop.ini" loop; keep
is "$CAP_RC" 0 "status after forget: exits 0"
like "$CAP_OUT" "^refresh token: none \\(.*\\); run: postern oauth2 authorize loop\$" "status after forget: no refresh token, and the fix"
like "$CAP_OUT" "^access token: none cached\$" "status after forget: no access token"
send "$t/loop.ini" "oauth forgotten"
is "$CAP_RC" 77 "after forget: a send exits 77" || diag "$CAP_ERR"
like "$CAP_ERR" "^postern: no OAuth2 refresh token for account \\[loop\\] \\(.*no file $SDIR/loop\\); run: postern oauth2 authorize loop\$" \
	"after forget: the message says none is stored and names the fix"

# --- the device flow (the test approves through the control channel)
oauth_config "$t/dev.ini" dev
authorize_bg dev "$t/dev.ini" dev --device
wait_line "$t/dev.out" '^open .* and enter the code '
ucode=$(sed -n 's/^device -> 200 user_code=//p' "$IDP_LOG" | tail -n 1)
wait_line "$IDP_LOG" 'device_code -> 400 authorization_pending$' 10
# RFC 8628 3.5: after slow_down, poll 5 s less often (so 6 s here)
idp_control '{"slow_down_once": true}' >/dev/null
wait_line "$IDP_LOG" 'device_code -> 400 slow_down forced$' 10
t0=$(date +%s%N)
idp_control '{"approve_device": true}' >/dev/null
wait_line "$IDP_LOG" 'device_code -> 200 ' 20
t1=$(date +%s%N)
ok "$([ $(((t1 - t0) / 1000000)) -ge 5500 ] && echo 1)" "device: after slow_down the next poll waits 5 s more" ||
	diag "  next poll after $(((t1 - t0) / 1000000)) ms"
authorize_end dev
is "$CAP_RC" 0 "device: authorize exits 0 once approved" || diag "$CAP_ERR"
is "$CAP_OUT" "open $IDP_URL/device-login and enter the code $ucode
(or open $IDP_URL/device-login?user_code=$ucode, which holds the code)
authorized: refresh token stored in $SDIR/dev" "device: prints the verification URL and the provider's user code, then where the refresh token went"
is "$(idp_count 'device_code -> 400 slow_down$')" 0 "device: postern never polls faster than the interval"
is "$(idp_count 'device_code -> 400 authorization_pending$')" 1 "device: polled once before the slow_down (interval 1 s)"
send "$t/dev.ini" "oauth device"
is "$CAP_RC" 0 "device: a send with the new grant exits 0" || diag "$CAP_ERR"

# --- the pasted URL (curl without following redirects prints the Location)
oauth_config "$t/paste.ini" paste auth=oauthbearer
authorize_bg paste "$t/paste.ini" paste --paste
wait_line "$t/paste.out" 'https://'
url=$(grep -Eo "$IDP_URL/authorize[^ ]*" "$t/paste.out" | head -n 1)
loc=$(curl -sS --max-time 10 --cacert "$CA_FILE" -o /dev/null -w '%{redirect_url}' "$url")
like "$loc" '^http://.*[?&]code=' "paste: the provider redirects with a code"
# (in a subshell: if postern is gone, SIGPIPE must not end this script)
(printf '%s\n' "$loc" >&7) 2>/dev/null
authorize_end paste
is "$CAP_RC" 0 "paste: authorize exits 0 with the pasted URL" || diag "$CAP_ERR"
is "$CAP_OUT" "open this URL: $url
authorized: refresh token stored in $SDIR/paste" "paste: stdout is the URL line, then where the refresh token went"
send "$t/paste.ini" "oauth paste"
is "$CAP_RC" 0 "paste: a send with OAUTHBEARER exits 0" || diag "$CAP_ERR"

# ------------------------------------------------------------ a real keyring
# gnome-keyring in a private D-Bus session (as tests/integration/keyring.sh
# does): the refresh token goes there, under service = postern-oauth2.
dbus-run-session -- sh -c 'echo "$DBUS_SESSION_BUS_ADDRESS" > "$1.tmp"; mv "$1.tmp" "$1"; echo $$ > "$2"; exec sleep 100000' \
	sh "$t/bus.addr" "$t/bus.holder" </dev/null >/dev/null 2>"$t/dbus.log" &
SESSION_PID=$!
wait_line "$t/bus.addr" . 5
export DBUS_SESSION_BUS_ADDRESS=$(cat "$t/bus.addr")
at_exit 'kill "$(cat "$t/bus.holder")" 2>/dev/null; wait "$SESSION_PID" 2>/dev/null'
has_secrets() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
export XDG_RUNTIME_DIR=$t/run
mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
printf %s unlock-me | gnome-keyring-daemon --unlock --components=secrets >"$t/gkd.env" 2>>"$t/gkd.log"
for ((i = 0; i < 100; i++)); do has_secrets && break; sleep 0.05; done
has_secrets || bail "gnome-keyring-daemon did not take org.freedesktop.secrets: $(cat "$t/gkd.log")"
KEYRING_PID=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ { print $2 }')
at_exit "kill $KEYRING_PID 2>/dev/null"

oauth_config "$t/kr.ini" kr
authorize_loopback kr "$t/kr.ini" kr
is "$CAP_RC" 0 "keyring: authorize exits 0" || diag "$CAP_ERR"
is "$(printf '%s\n' "$CAP_OUT" | tail -n 1)" "authorized: refresh token stored in keyring" "keyring: says the keyring"
is "$CAP_ERR" "" "keyring: no warning"
ok "$([ ! -e "$SDIR/kr" ] && echo 1)" "keyring: no refresh token file"
rt=$(idp_control '{}' | "$PYTHON3" -c 'import json, sys; print([r for r in json.load(sys.stdin)["refresh"] if r["active"]][-1]["token"])')
stored=$(secret-tool lookup service postern-oauth2 account kr user "$TEST_USER" 2>/dev/null)
ok "$([ -n "$stored" ] && [ "$stored" = "$rt" ] && echo 1)" "keyring: the provider's refresh token is in the keyring (service postern-oauth2, account, user)"
send "$t/kr.ini" "oauth keyring"
is "$CAP_RC" 0 "keyring: a send exits 0" || diag "$CAP_ERR"
capture "$POSTERN" oauth2 status -C "$t/kr.ini" kr; keep
is "$CAP_RC" 0 "keyring: status exits 0"
like "$CAP_OUT" "^refresh token: stored in keyring\$" "keyring: status says where"
unlike "$CAP_OUT$CAP_ERR" "$stored" "keyring: status never shows the refresh token"
capture "$POSTERN" oauth2 forget -C "$t/kr.ini" kr; keep
is "$CAP_RC" 0 "keyring: forget exits 0" || diag "$CAP_ERR"
like "$CAP_OUT" "^removed the refresh token from the keyring\$" "keyring: forget says what it removed"
is "$(secret-tool lookup service postern-oauth2 account kr user "$TEST_USER" 2>/dev/null)" "" "keyring: forget removed the entry"

# ------------------------------------------------------------ no token anywhere
# Every token the provider issued, searched in every output of postern, the
# -v transcripts included, and in the server's logs.
idp_control '{}' | "$PYTHON3" -c 'import json, sys
d = json.load(sys.stdin)
for k in ("access", "refresh"):
    for x in d[k]:
        print(x["token"])' > "$t/tokens"
leaks=0
while IFS= read -r tk; do
	for f in "$ALL" "$POSTFIX_LOG" "$DOVECOT_LOG"; do
		if grep -qF -- "$tk" "$f"; then leaks=$((leaks + 1)); diag "token ${tk%%.*} found in $f"; fi
	done
done < "$t/tokens"
ok "$([ "$(wc -l < "$t/tokens")" -ge 10 ] && echo 1)" "no leak: the provider issued tokens to look for"
is "$leaks" 0 "no leak: no token in postern's outputs, -v transcripts, Postfix's or Dovecot's log"

tap_done
