#!/bin/bash
# OAuth2 end to end: tests/oauth/idp.py (an HTTPS identity provider with the
# test CA) hands out tokens, and the real Postfix + Dovecot check them by
# introspection (Dovecot's oauth2 passdb, mailserver.sh
# OAUTH2_INTROSPECT_URL).  First the rig alone (a token the provider issued
# is taken with XOAUTH2 and OAUTHBEARER, an expired one refused), then
# postern: `postern oauth2 authorize` by the loopback flow (curl plays the
# browser), the device flow and the pasted URL; sends with XOAUTH2 and
# OAUTHBEARER carrying a 2,400-character token; sends after expiry (by the
# clock, and refused by the server) with refresh-token rotation; 20
# concurrent sends refresh once; a revoked refresh token (77, names the
# fix); the token endpoint down (75, queued); status and forget; the
# keyring under a real gnome-keyring and the 0600 file without one; no
# token in any output or log.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server oauth

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
idp_control '{"expire_access": true, "access_token_length": 64}' >/dev/null
is "$("$PYTHON3" "$t/smtp_auth.py" "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" OAUTHBEARER "$tok")" "334 334 535" \
	"rig: an expired token is refused"
is "$(idp_count "^introspect at[0-9]+ -> active$") $(idp_count "^introspect .* -> inactive$")" "2 2" \
	"rig: Dovecot asked the provider each time (introspection)"

tap_done
