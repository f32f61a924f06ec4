#!/bin/bash
# `postern oauth2 authorize` against tests/oauth/idp.py (HTTPS, the test CA):
# what the browser, a person at the terminal, or another local program can
# do to the loopback flow, the pasted URL and the device flow.  Stray
# requests (a favicon, a wrong state, a malformed or oversized request) are
# refused without ending the wait; xdg-open gets the URL alone and only with
# a display; a pasted address with a wrong state is refused (77); the token
# endpoint down is a temporary failure (75); slow_down adds 5 s to the
# device flow's interval; a provider without a device flow, an account
# without OAuth2 are configuration errors (78).  The happy paths and the
# sends are in oauth2.sh.  No server, no root.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_deps_and_postern oauth

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home XDG_STATE_HOME=$t/state
mkdir -p "$HOME" "$t/bin"
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY

idp_start
CA=$CERTS_DIR/ca.pem
cfg=$t/postern.ini
cat > "$cfg" <<INI
[defaults]
host = 127.0.0.1
user = alice@example.org
from = alice@example.org
timeout = 20
auth = xoauth2
oauth2_client_id = $IDP_CLIENT_ID
oauth2_ca_file = $CA

[loop]
oauth2 = custom
oauth2_authorize_endpoint = $IDP_URL/authorize
oauth2_token_endpoint = $IDP_URL/token
oauth2_device_endpoint = $IDP_URL/device
oauth2_scope = mail offline_access

[google]
oauth2 = google

[plain]
auth = plain
password = secret
INI
chmod 600 "$cfg"
# a postern that ended early must fail the checks, not kill the script
# through a write to its closed standard input
trap '' PIPE

# raw PORT BYTES: send BYTES (printf escapes) to 127.0.0.1:PORT as they
# are, print the status line of the answer ("" when none)
raw() {
	"$PYTHON3" - "$1" "$2" <<'PY'
import socket, sys
data = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.sendall(data)
out = b""
try:
    while True:
        c = s.recv(4096)
        if not c:
            break
        out += c
except OSError:
    pass
print(out.split(b"\r\n")[0].decode("latin-1"))
PY
}

# start NAME ACCOUNT [OPTIONS]: `postern oauth2 authorize` in the
# background, standard input a fifo (written with `paste`); waits for the
# URL line and sets URL PORT STATE (empty for the device flow)
start() {
	local n=$1 acct=$2 i
	shift 2
	rm -f "$t/$n.out" "$t/$n.err" "$t/$n.in"
	mkfifo "$t/$n.in"
	timeout -k 5 60 "$POSTERN" oauth2 authorize -C "$cfg" "$@" "$acct" \
		<"$t/$n.in" >"$t/$n.out" 2>"$t/$n.err" &
	AUTH_PID=$!
	exec 9>"$t/$n.in"
	NAME=$n
	for ((i = 0; i < 400; i++)); do
		grep -qE '^open ' "$t/$n.out" 2>/dev/null && break
		sleep 0.025
	done
	URL=$(sed -n 's/^open this URL: //p' "$t/$n.out")
	PORT=$(printf '%s' "$URL" | sed -n 's/.*[?&]redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\([0-9]*\)%2F.*/\1/p')
	STATE=$(printf '%s' "$URL" | sed -n 's/.*[?&]state=\([^&]*\).*/\1/p')
}
paste() { printf '%s' "$1" >&9; }
# finish: close its standard input, wait; sets CAP_RC CAP_OUT CAP_ERR
finish() {
	exec 9>&-
	wait "$AUTH_PID"
	CAP_RC=$?
	CAP_OUT=$(cat "$t/$NAME.out")
	CAP_ERR=$(cat "$t/$NAME.err")
}
browser() { curl -sS -L --max-time 20 --cacert "$CA" "$1"; }
STORED="authorized: refresh token stored in $XDG_STATE_HOME/postern/oauth2/loop"

# ------------------------------------------------ loopback, with noise first
start noise loop --no-browser
like "$URL" "^$IDP_URL/authorize\\?response_type=code&client_id=$IDP_CLIENT_ID&redirect_uri=http%3A%2F%2F127\\.0\\.0\\.1%3A[0-9]+%2F&scope=mail%20offline_access&state=[A-Za-z0-9_-]{22}&code_challenge=[A-Za-z0-9_-]{43}&code_challenge_method=S256\$" \
	"loopback: the authorization URL (PKCE S256, state, scope encoded)"
is "$(raw "$PORT" 'GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 404 Not Found" "loopback: a favicon request gets 404"
is "$(raw "$PORT" 'GET /?code=forged&state=wrong HTTP/1.1\r\n\r\n')" "HTTP/1.1 400 Bad Request" "loopback: a code with a wrong state gets 400"
is "$(raw "$PORT" 'GET /?code=forged HTTP/1.1\r\n\r\n')" "HTTP/1.1 400 Bad Request" "loopback: a code without state gets 400"
is "$(raw "$PORT" "GET /?code=a%zz&state=$STATE HTTP/1.1\\r\\n\\r\\n")" "HTTP/1.1 400 Bad Request" "loopback: a bad percent escape gets 400"
is "$(raw "$PORT" "GET /?code=a&code=b&state=$STATE HTTP/1.1\\r\\n\\r\\n")" "HTTP/1.1 400 Bad Request" "loopback: a code given twice gets 400"
is "$(raw "$PORT" 'POST /?code=a HTTP/1.1\r\n\r\n')" "HTTP/1.1 400 Bad Request" "loopback: POST gets 400"
is "$(raw "$PORT" "GET /?code=$(head -c 9000 /dev/zero | tr '\0' a)")" "HTTP/1.1 400 Bad Request" \
	"loopback: a request line over 8 KiB gets 400"
page=$(browser "$URL")
finish
is "$page" '<!DOCTYPE html>
<html><head><title>postern</title></head><body><p>postern: authorized, you can close this tab</p></body></html>' \
	"loopback: the real redirect, after all that, gets the success page"
is "$CAP_RC" 0 "loopback: exit 0 after the noise" || diag "$CAP_ERR"
is "$CAP_OUT" "open this URL: $URL
$STORED" "loopback: stdout is the URL line, then where the refresh token went"
is "$(printf '%s\n' "$CAP_ERR" | grep -c 'ignored a redirect whose state is not the one postern sent')" 2 \
	"loopback: the two wrong-state redirects are each said on the terminal"
is "$(idp_count '^token grant=authorization_code -> 200 ')" 1 "loopback: one code exchange (the provider checked PKCE)"
rt=$(cat "$XDG_STATE_HOME/postern/oauth2/loop" 2>/dev/null)
ok "$([ -n "$rt" ] && echo 1)" "loopback: the refresh token file has content"
unlike "$CAP_OUT$CAP_ERR" "${rt:-no-token-stored}" "loopback: the refresh token is not shown"

# ---------------------------------------------------------------- xdg-open
cat > "$t/bin/xdg-open" <<SH
#!/bin/sh
# the browser: records its arguments, then follows the URL
printf '%s\n' "\$#" "\$@" > "$t/xdg-open.args"
exec curl -sS -L --max-time 20 --cacert "$CA" "\$1" >/dev/null
SH
chmod +x "$t/bin/xdg-open"
rm -f "$t/xdg-open.args"
export PATH="$t/bin:$PATH"
DISPLAY=:99 start xdg loop
finish
is "$CAP_RC" 0 "xdg-open: with a display, the browser is opened and the flow completes" || diag "$CAP_ERR"
is "$(cat "$t/xdg-open.args" 2>/dev/null)" "1
$URL" "xdg-open: it gets one argument, the URL"

rm -f "$t/xdg-open.args"
DISPLAY=:99 start nob loop --no-browser
browser "$URL" >/dev/null
finish
is "$CAP_RC" 0 "--no-browser: the flow completes by hand" || diag "$CAP_ERR"
ok "$([ ! -e "$t/xdg-open.args" ] && echo 1)" "--no-browser: xdg-open is not run"
start nodisp loop
browser "$URL" >/dev/null
finish
is "$CAP_RC" 0 "no display: the flow completes by hand" || diag "$CAP_ERR"
ok "$([ ! -e "$t/xdg-open.args" ] && echo 1)" "no display: xdg-open is not run"

# ------------------------------------------------------------------- paste
# redirect_of URL: where the provider sends the browser (not followed)
redirect_of() { curl -sS --max-time 20 --cacert "$CA" -o /dev/null -w '%{redirect_url}' "$1"; }
start paste loop --paste
loc=$(redirect_of "$URL")
paste "
   $loc  "$'\r\n'
finish
is "$CAP_RC" 0 "paste: a blank line, then the address with spaces around it: exit 0" || diag "$CAP_ERR"
is "$CAP_OUT" "open this URL: $URL
$STORED" "paste: stdout"
like "$CAP_ERR" "paste here the address your browser is sent to" "paste: the terminal says what to paste"

start pwrong loop --paste
loc=$(redirect_of "$URL")
paste "${loc/state=$STATE/state=x$STATE}"$'\n'
finish
is "$CAP_RC" 77 "paste: a wrong state: exit 77" || diag "$CAP_ERR"
like "$CAP_ERR" "state does not match the one postern sent" "paste: a wrong state is said"

start pjunk loop --paste
paste $'http://127.0.0.1:1/favicon.ico\n'
finish
is "$CAP_RC" 64 "paste: an address without a code: exit 64"
like "$CAP_ERR" "the pasted line holds no code" "paste: ...said so"

start peof loop --paste
finish
is "$CAP_RC" 64 "paste: standard input ends: exit 64"
like "$CAP_ERR" "standard input ended without the URL" "paste: ...said so"

# ------------------------------------------- the token endpoint is down
idp_control '{"fail": 503}' >/dev/null
start down loop --no-browser
page=$(browser "$URL")
finish
idp_control '{"fail": 0}' >/dev/null
is "$CAP_RC" 75 "token endpoint 503 on the code exchange: exit 75 (try later)" || diag "$CAP_ERR"
like "$page" "postern: the authorization failed; the terminal says why" "token endpoint 503: the browser is told it failed"
unlike "$CAP_OUT" "authorized:" "token endpoint 503: nothing claimed stored"

# ------------------------------------------------------------------ device
n0=$(idp_count '^token grant=urn:ietf:params:oauth:grant-type:device_code ')
idp_control '{"slow_down_once": true}' >/dev/null
t0=$(date +%s.%N)
start dev loop --device
idp_control '{"approve_device": true}' >/dev/null
finish
t1=$(date +%s.%N)
is "$CAP_RC" 0 "device: exit 0" || diag "$CAP_ERR"
like "$(printf '%s\n' "$CAP_OUT" | head -n 1)" "^open $IDP_URL/device-login and enter the code [0-9]{4}-[0-9]{4}\$" \
	"device: 'open URL and enter the code CODE' on one line"
like "$CAP_OUT" "$STORED\$" "device: stored"
is "$(idp_count '^token grant=urn:ietf:params:oauth:grant-type:device_code ')" $((n0 + 2)) \
	"device: two polls (slow_down, then the tokens)"
ok "$("$PYTHON3" -c 'import sys; print(1 if float(sys.argv[2]) - float(sys.argv[1]) >= 6 else 0)' "$t0" "$t1")" \
	"device: after slow_down the next poll waits 5 s more (interval 1 + 5)"

# ------------------------------------------------------ configuration errors
capture "$POSTERN" oauth2 authorize -C "$cfg" --device google
is "$CAP_RC" 78 "google --device: exit 78"
like "$CAP_ERR" "no device flow for mail \\(Google refuses its mail scope there\\); use postern oauth2 authorize google" \
	"google --device: says to use the loopback flow"
capture "$POSTERN" oauth2 authorize -C "$cfg" plain
is "$CAP_RC" 78 "an account without oauth2 =: exit 78"
like "$CAP_ERR" "account \\[plain\\] does not use OAuth2" "...said so"
capture "$POSTERN" oauth2 authorize -C "$cfg" --device --paste loop
is "$CAP_RC" 64 "--device with --paste: exit 64"
capture "$POSTERN" oauth2 status -C "$cfg" --no-browser loop
is "$CAP_RC" 64 "status --no-browser: exit 64"
capture "$POSTERN" oauth2 bogus
is "$CAP_RC" 64 "an unknown subcommand: exit 64"

tap_done
