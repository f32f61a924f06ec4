#!/bin/bash
# postern setup (issue 10), offline: every discovery step against servers of
# the test's own, in a private network namespace, with postern's resolver
# made the test's only one.
#   - dnsmasq on 127.0.0.1:53 there serves the .test domains below (SRV, MX,
#     A records; nothing else: no /etc/hosts, no upstream);
#   - tests/server/autoconfig.py serves the autoconfig documents over HTTPS
#     on 127.0.0.1:443 (the test CA's certificate), over HTTPS with a
#     certificate for another name on 127.0.0.2:443, and over plain HTTP on
#     127.0.0.3 (443 and 80), logging every request;
#   - the real Postfix + Dovecot listen on 465 and 587 of 127.0.0.1 there,
#     and a forwarder on 127.0.0.5:2525 leads to its cleartext port (which
#     offers STARTTLS);
#   - postern runs in a mount namespace of its own where /etc/resolv.conf
#     names only that dnsmasq and /etc/hosts knows only localhost, and trusts
#     the test CA through SSL_CERT_FILE.  The machine's resolver is untouched.
# Cases: SRV (implicit TLS preferred, priority, weight, a "." target), only
# _submission, autoconfig (first URL, then .well-known; plain sockets
# skipped; username substituted), autoconfig refused over plain HTTP, with a
# bad certificate, behind a redirect or over 64 KiB, the MX of a known
# provider (the table's answer printed, nothing contacted), probing (465
# first, 2525 on a host where only it answers), nothing at all (68), --host,
# --dry-run, a wrong password (77, nothing written or stored), a refused
# port and a certificate for another name (69), --store file and a real
# message sent with the written config, a terminal session (pty), an
# existing config kept byte for byte, a section that exists (73), a
# readable or unparsable config (78), no terminal (64), and the keyring
# (gnome-keyring in a D-Bus session) with the default config path.  Root;
# about 15-30 s.  TAP.
#
# Learnt on the way (Debian bookworm): in a namespace whose only address is
# 127.0.0.1, glibc's AI_ADDRCONFIG asks no DNS at all (`getent ahosts`
# finds nothing), so lo gets the test's other addresses; dnsmasq 2.90 fails
# on `-C /dev/null` ("bad option at line 1"): an empty file works; a TLS
# 1.3 client that refuses the certificate leaves Python's ssl server an
# accepted handshake and an empty connection, not a handshake error.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server dns keyring
require_private_net
for c in dnsmasq dbus-run-session dbus-send gnome-keyring-daemon secret-tool setsid; do
	command -v "$c" >/dev/null || bail "$c not found (packages dnsmasq-base dbus gnome-keyring libsecret-tools util-linux)"
done

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home XDG_CONFIG_HOME=$t/xdg XDG_RUNTIME_DIR=$t/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
ensure_certs
# postern's trust store (tls_trust_decide: $SSL_CERT_FILE): the test CA only
export SSL_CERT_FILE=$CERTS_DIR/ca.pem

netns_start
# The other hosts of the test (web servers, a forwarder).  With only
# 127.0.0.1, glibc's AI_ADDRCONFIG would see no IPv4 address at all and not
# even ask the DNS, unlike on any machine that has a network.
for a in 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5; do "${NS[@]}" ip addr add "$a/32" dev lo || bail "ip addr add $a"; done

# ------------------------------------------------------------------- DNS
# resolv.conf cannot name a port: dnsmasq listens on 53 in the namespace.
# --local makes it answer NXDOMAIN (not REFUSED) for any other name there.
printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:2\n' > "$t/resolv.conf"
printf '127.0.0.1 localhost\n' > "$t/hosts"
DNS_LOG=$t/dnsmasq.log
A1="mail.srv.test other.srv.test mail.sub.test other.sub.test mail.dot.test
    autoconfig.ac.test smtp.ac.test autoconfig.wk.test wk.test smtp.wk.test
    autoconfig.redir.test smtp.redir.test smtp.badcert.test smtp.http.test smtp.probe1.test
    autoconfig.big.test smtp.big.test smtp.slow.test"
dns_args=(
	# srv.test: both services; the lowest priority of _submissions wins
	--srv-host=_submissions._tcp.srv.test,other.srv.test,465,10,1
	--srv-host=_submissions._tcp.srv.test,mail.srv.test,465,0,1
	--srv-host=_submission._tcp.srv.test,mail.srv.test,587,0,1
	# sub.test: only _submission; same priority, the highest weight wins
	--srv-host=_submission._tcp.sub.test,other.sub.test,587,0,1
	--srv-host=_submission._tcp.sub.test,mail.sub.test,587,0,10
	# dot.test: _submissions says "not here" (target "."), _submission answers
	--srv-host=_submissions._tcp.dot.test
	--srv-host=_submission._tcp.dot.test,mail.dot.test,587,0,1
	# mx.test: Google at the lowest preference, Fastmail behind it
	--mx-host=mx.test,in1-smtp.messagingengine.com,10
	--mx-host=mx.test,aspmx.l.google.com,1
	# ms.test: Microsoft 365
	--mx-host=ms.test,ms-test.mail.protection.outlook.com,0
	--host-record=autoconfig.badcert.test,127.0.0.2
	--host-record=badcert.test,127.0.0.2
	--host-record=autoconfig.http.test,127.0.0.3
	--host-record=http.test,127.0.0.3
	--host-record=mail.probe.test,127.0.0.5
	# slow.test: its autoconfig host takes the connection and never answers
	--host-record=autoconfig.slow.test,127.0.0.4
	# a name the certificates do not have
	--host-record=nocert.test,127.0.0.1
)
for h in $A1; do dns_args+=("--host-record=$h,127.0.0.1"); done
: > "$t/dnsmasq.conf"   # none of the machine's (/etc/dnsmasq.conf)
"${NS[@]}" dnsmasq -k -C "$t/dnsmasq.conf" --no-resolv --no-hosts --bind-interfaces \
	--listen-address=127.0.0.1 --port=53 --pid-file= --user=root \
	--log-queries --log-facility="$DNS_LOG" --local=/test/ --local=/com/ "${dns_args[@]}" \
	</dev/null >"$t/dnsmasq.out" 2>&1 &
_bg_pids+=("$!")
for _ in $(seq 100); do grep -q 'started, version' "$DNS_LOG" 2>/dev/null && break; sleep 0.05; done
grep -q 'started, version' "$DNS_LOG" 2>/dev/null || bail "dnsmasq did not start: $(cat "$t/dnsmasq.out" "$DNS_LOG" 2>/dev/null)"

# ------------------------------------------------------------- autoconfig
W=$t/www
FIRST=mail/config-v1.1.xml
WK=.well-known/autoconfig/mail/config-v1.1.xml
mkdir -p "$W/autoconfig.ac.test/mail" "$W/wk.test/${WK%/*}" "$W/autoconfig.redir.test/mail" \
	"$W/autoconfig.badcert.test/mail" "$W/badcert.test/${WK%/*}" \
	"$W/autoconfig.http.test/mail" "$W/http.test/${WK%/*}"
# ac.test: a plain-text server first (never to be taken), then STARTTLS
{
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n'
	printf '  <emailProvider id="ac.test">\n    <domain>ac.test</domain>\n'
	printf '    <incomingServer type="imap">\n      <hostname>imap.ac.test</hostname>\n'
	printf '      <port>993</port>\n      <socketType>SSL</socketType>\n'
	printf '      <username>%%EMAILADDRESS%%</username>\n    </incomingServer>\n'
	printf '    <outgoingServer type="smtp">\n      <hostname>plain.ac.test</hostname>\n'
	printf '      <port>25</port>\n      <socketType>plain</socketType>\n'
	printf '      <username>%%EMAILADDRESS%%</username>\n    </outgoingServer>\n'
	printf '    <outgoingServer type="smtp">\n      <hostname>smtp.ac.test</hostname>\n'
	printf '      <port>587</port>\n      <socketType>STARTTLS</socketType>\n'
	printf '      <username>%%EMAILLOCALPART%%</username>\n'
	printf '      <authentication>password-cleartext</authentication>\n    </outgoingServer>\n'
	printf '  </emailProvider>\n</clientConfig>\n'
} > "$W/autoconfig.ac.test/$FIRST"
# wk.test: autoconfig.wk.test answers 404, the .well-known URL answers
sed -e 's/plain\.ac\.test/plain.wk.test/; s/smtp\.ac\.test/smtp.wk.test/' \
	-e 's/<port>587</<port>465</; s/>STARTTLS</>SSL</' \
	-e 's/%EMAILLOCALPART%/%EMAILLOCALPART%+x@%EMAILDOMAIN%/' \
	"$W/autoconfig.ac.test/$FIRST" > "$W/wk.test/$WK"
# documents that must never be taken: behind a redirect, a bad certificate,
# plain HTTP
echo "https://autoconfig.ac.test/$FIRST" > "$W/autoconfig.redir.test/$FIRST.redirect"
for d in badcert http; do
	sed "s/smtp\.ac\.test/evil.$d.test/" "$W/autoconfig.ac.test/$FIRST" > "$W/autoconfig.$d.test/$FIRST"
	cp "$W/autoconfig.$d.test/$FIRST" "$W/$d.test/$WK"
done
# big.test: a valid document of 70 KiB (a comment first), over the cap
mkdir -p "$W/autoconfig.big.test/mail"
{
	sed -n 1p "$W/autoconfig.ac.test/$FIRST"
	printf '<!-- %s -->\n' "$(head -c 71680 /dev/zero | tr '\0' x)"
	sed -e 1d -e 's/smtp\.ac\.test/evil.big.test/' "$W/autoconfig.ac.test/$FIRST"
} > "$W/autoconfig.big.test/$FIRST"
WEB_LOG=$t/web.log
: > "$WEB_LOG"
"${NS[@]}" "$PYTHON3" "$top_srcdir/tests/server/autoconfig.py" --root "$W" --log "$WEB_LOG" \
	--ready "$t/web.ready" --certs-dir "$CERTS_DIR" --listen 127.0.0.1:443:setup \
	--listen 127.0.0.2:443:wrongname --listen 127.0.0.3:443:plain --listen 127.0.0.3:80:plain \
	</dev/null >"$t/web.out" 2>&1 &
_bg_pids+=("$!")

# ------------------------------------------------------------ mail server
ns_server "$t/srv" CERT=setup SMTPS_PORT=465 SUBMISSION_PORT=587
"${NS[@]}" "$PYTHON3" "$DELAY_PROXY" 2525 "$PLAIN_PORT" 0 --listen-host 127.0.0.5 \
	--port-file "$t/fwd.port" --quiet </dev/null >"$t/fwd.out" 2>&1 &
_bg_pids+=("$!")
for _ in $(seq 100); do [ -s "$t/fwd.port" ] && [ -s "$t/web.ready" ] && break; sleep 0.05; done
[ -s "$t/web.ready" ] || bail "autoconfig.py did not start: $(cat "$t/web.out")"
[ -s "$t/fwd.port" ] || bail "the forwarder on 127.0.0.5:2525 did not start: $(cat "$t/fwd.out")"
# 127.0.0.4:443 accepts connections and never says a word (a stalled web
# server): autoconfig must give up on its deadline, not hang setup
"${NS[@]}" "$PYTHON3" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.4", 443)); s.listen(16); open(sys.argv[1], "w").write("ready\n")
held = []
while True:
    held.append(s.accept()[0])' "$t/stall.ready" </dev/null >"$t/stall.out" 2>&1 &
_bg_pids+=("$!")
for _ in $(seq 100); do [ -s "$t/stall.ready" ] && break; sleep 0.05; done
[ -s "$t/stall.ready" ] || bail "the stalled web server did not start: $(cat "$t/stall.out")"

# -------------------------------------------------------------- helpers
# IN_NS CMD...: CMD in the namespace, in a mount namespace of its own where
# /etc/resolv.conf and /etc/hosts are the test's
IN_NS=("${NS[@]}" unshare -m sh -c
	'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"'
	sh "$t/resolv.conf" "$t/hosts")
# setup ARGS...: postern setup there, without a controlling terminal
# (setsid), stdin as given
setup() { capture "${IN_NS[@]}" setsid -w "$POSTERN" setup "$@"; }
# found: the found: lines of the last run
found() { grep '^found: ' <<<"$CAP_OUT"; }
# section: what follows the found: line from the first "[" line on
section() { sed -n '/^\[/,$p' <<<"$CAP_OUT"; }
# want_section NAME HOST PORT TLS USER FROM: the section the CONTRACT says
want_section() { printf '[%s]\nhost = %s\nport = %s\ntls = %s\nuser = %s\nfrom = %s' "$@"; }
# marks: lines in the DNS and web logs so far (to look at one run's part)
mark() { DNS_MARK=$(wc -l < "$DNS_LOG"); WEB_MARK=$(wc -l < "$WEB_LOG"); }
dns_since() { sleep 0.1; tail -n +"$((DNS_MARK + 1))" "$DNS_LOG" | grep -o 'query\[[A-Z]*\] [^ ]*'; }
web_since() { tail -n +"$((WEB_MARK + 1))" "$WEB_LOG"; }
# dry ADDRESS WHAT FOUND [ARGS...]: a dry run of setup ARGS ADDRESS exits 0
# and says exactly FOUND (its found: line); WHAT names the checks
dry() {
	local addr=$1 what=$2 want=$3; shift 3
	setup --dry-run "$@" "$addr" </dev/null
	is "$CAP_RC" 0 "$what: dry run exits 0" || show
	is "$(found)" "$want" "$what: found"
}
show() { diag "rc $CAP_RC" "--- stdout" "$CAP_OUT" "--- stderr" "$CAP_ERR"; }
smtp_connects() { grep -c 'smtpd.*: connect from' "$POSTFIX_LOG"; }

# The rig itself, before any case: the names come from dnsmasq only, and
# the web server answers with the test CA's certificate (else every case
# below would fail for the rig's sake, not postern's).
resolv_before=$(md5sum < /etc/resolv.conf)
got=$("${IN_NS[@]}" getent ahostsv4 mail.srv.test | awk '{ print $1; exit }')
[ "$got" = 127.0.0.1 ] || bail "the test's resolver does not answer (mail.srv.test: '$got'): $(tail -n 5 "$DNS_LOG")"
"${IN_NS[@]}" getent hosts smtp.gmail.com >/dev/null && bail "names outside the test's DNS resolve in its namespace"
"${IN_NS[@]}" "$PYTHON3" -c 'import ssl, sys, urllib.request
c = ssl.create_default_context(cafile=sys.argv[1])
urllib.request.urlopen(sys.argv[2], context=c, timeout=5).read()' \
	"$SSL_CERT_FILE" "https://autoconfig.ac.test/$FIRST" 2>"$t/rig.err" ||
	bail "the autoconfig server does not answer: $(cat "$t/rig.err")"
: > "$WEB_LOG"

# ============================================================ discovery
# --- SRV: _submissions preferred (lowest priority), nothing else asked
mark
dry alice@srv.test "SRV" \
	"found: mail.srv.test port 465, implicit TLS (from the SRV record _submissions._tcp.srv.test)"
is "$(section)" "$(want_section alice@srv.test mail.srv.test 465 implicit alice@srv.test alice@srv.test)" \
	"SRV: dry run prints the section it would write"
like "$(sed -n '1,/^found: /p' <<<"$CAP_OUT" | head -n -1)" '^  .*_submissions\._tcp\.srv\.test' \
	"SRV: the step is said, indented by two spaces"
is "$(sed -n '1,/^found: /p' <<<"$CAP_OUT" | grep -vc '^  ')" 1 "SRV: every line before found: starts with two spaces"
is "$(web_since)" "" "SRV: no autoconfig fetched once SRV answered"
is "$(dns_since | grep -c 'query\[MX\]')" 0 "SRV: no MX lookup once SRV answered"
unlike "$CAP_OUT" 'Password' "dry run: no password asked"
ok "$([ ! -e "$XDG_CONFIG_HOME" ] && echo 1)" "dry run: nothing written (no $XDG_CONFIG_HOME)"

# --- only _submission, highest weight
dry alice@sub.test "only _submission" \
	"found: mail.sub.test port 587, STARTTLS (from the SRV record _submission._tcp.sub.test)"

# --- "." under _submissions: no service there, _submission answers
dry alice@dot.test "SRV target \".\" under _submissions, taken as no service" \
	"found: mail.dot.test port 587, STARTTLS (from the SRV record _submission._tcp.dot.test)"

# --- autoconfig, first URL: plain skipped, %EMAILLOCALPART% substituted
mark
dry alice@ac.test "autoconfig" \
	"found: smtp.ac.test port 587, STARTTLS (from autoconfig https://autoconfig.ac.test/mail/config-v1.1.xml)"
is "$(section)" "$(want_section alice@ac.test smtp.ac.test 587 starttls alice alice@ac.test)" \
	"autoconfig: <username> %EMAILLOCALPART% becomes the user"
is "$(web_since)" "127.0.0.1:443 autoconfig.ac.test /$FIRST 200" "autoconfig: one request, over HTTPS"
like "$(dns_since | tr '\n' ' ')" 'query\[SRV\] _submissions\._tcp\.ac\.test .*query\[SRV\] _submission\._tcp\.ac\.test .*query\[A\] autoconfig\.ac\.test' \
	"autoconfig: asked after both SRV records"

# --- only the .well-known URL (the first one is a 404)
mark
dry alice@wk.test ".well-known autoconfig" \
	"found: smtp.wk.test port 465, implicit TLS (from autoconfig https://wk.test/.well-known/autoconfig/mail/config-v1.1.xml)"
is "$(section)" "$(want_section alice@wk.test smtp.wk.test 465 implicit alice+x@wk.test alice@wk.test)" \
	".well-known autoconfig: %EMAILLOCALPART% and %EMAILDOMAIN% substituted"
is "$(web_since)" "127.0.0.1:443 autoconfig.wk.test /$FIRST 404
127.0.0.1:443 wk.test /$WK 200" ".well-known autoconfig: tried after autoconfig.DOMAIN"

# --- autoconfig that must not be believed: probing finds Postfix instead
for d in badcert http redir big; do
	mark
	dry "alice@$d.test" "autoconfig refused ($d), falls through to probing" \
		"found: smtp.$d.test port 465, implicit TLS (from probing smtp.$d.test)"
	unlike "$CAP_OUT" "evil\.$d\.test" "autoconfig refused ($d): the document is not used"
	case $d in
	badcert) is "$(web_since | grep -cE '^127\.0\.0\.2:443 (handshake failed|no request)$') $(web_since | wc -l)" "2 2" \
		"bad certificate: both URLs refused in the handshake, nothing asked" ;;
	http) unlike "$(web_since)" "127.0.0.3:80 " "plain HTTP: port 80 never asked"
	      unlike "$(web_since)" " 200$" "plain HTTP: nothing fetched" ;;
	redir) is "$(web_since)" "127.0.0.1:443 autoconfig.redir.test /$FIRST 302" \
		"redirect: not followed" ;;
	big) is "$(web_since)" "127.0.0.1:443 autoconfig.big.test /$FIRST 200" \
		"70 KiB document: fetched, then refused (the cap is 64 KiB)" ;;
	esac
done

# --- a stalled autoconfig server: given up on its deadline (8 s), then
# probing answers
s0=$(date +%s%N)
dry alice@slow.test "stalled autoconfig" \
	"found: smtp.slow.test port 465, implicit TLS (from probing smtp.slow.test)"
ms=$((($(date +%s%N) - s0) / 1000000))
like "$CAP_OUT" '^  autoconfig https://autoconfig\.slow\.test/mail/config-v1\.1\.xml: .*[Tt]ime' \
	"stalled autoconfig: the step says it timed out"
ok "$([ "$ms" -ge 7500 ] && [ "$ms" -lt 20000 ] && echo 1)" \
	"stalled autoconfig: setup waited for the deadline, not forever ($ms ms)"

# --- the MX of a known provider: the table's answer, nothing contacted
mark
setup --dry-run alice@mx.test </dev/null
is "$CAP_RC" 0 "MX Google: exit 0" || show
like "$(found)" '^found: smtp\.gmail\.com port 465, implicit TLS \(from the MX host aspmx\.l\.google\.com: .*Google.*\)$' \
	"MX Google: smtp.gmail.com 465 from the lowest-preference MX"
like "$CAP_OUT" 'postern oauth2 authorize alice@mx\.test' "MX Google: OAuth2, and the command to authorize"
like "$(sed -n '/^found: /,/^\[/p' <<<"$CAP_OUT")" '[Aa]pp[ -]?[Pp]assword.*https://|https://.*[Aa]pp[ -]?[Pp]assword' \
	"MX Google: where to make an app password"
like "$(section)" '^host = smtp\.gmail\.com$' "MX Google: the section's host"
like "$(dns_since | tr '\n' ' ')" 'query\[SRV\] _submissions\._tcp\.mx\.test .*query\[SRV\] _submission\._tcp\.mx\.test .*query\[A\] autoconfig\.mx\.test .*query\[MX\] mx\.test' \
	"MX Google: the MX looked up after SRV and autoconfig"
unlike "$(dns_since)" 'smtp\.gmail\.com' "MX Google: smtp.gmail.com not even looked up"
unlike "$(dns_since)" 'query\[A+\] .*google' "MX Google: nor the MX host's address"
unlike "$(dns_since)" 'smtp\.mx\.test' "MX Google: no probing after the table answered"
is "$(web_since)" "" "MX Google: no web request (nothing at autoconfig.mx.test)"

setup --dry-run alice@ms.test </dev/null
is "$CAP_RC" 0 "MX Microsoft: exit 0" || show
like "$(found)" '^found: smtp\.office365\.com port 587, STARTTLS \(from the MX host ms-test\.mail\.protection\.outlook\.com: .*Microsoft.*\)$' \
	"MX Microsoft 365: smtp.office365.com 587 STARTTLS"
like "$CAP_OUT" 'postern oauth2 authorize alice@ms\.test' "MX Microsoft 365: the OAuth2 handoff"

# --- probing: 465 on smtp. first; on mail.probe.test only 2525 answers
dry alice@probe1.test "probing smtp." \
	"found: smtp.probe1.test port 465, implicit TLS (from probing smtp.probe1.test)"
dry alice@probe.test "probing mail." \
	"found: mail.probe.test port 2525, STARTTLS (from probing mail.probe.test)"
is "$(section)" "$(want_section alice@probe.test mail.probe.test 2525 starttls alice@probe.test alice@probe.test)" \
	"probing: the section"

# --- nothing at all
setup --dry-run alice@none.test </dev/null
is "$CAP_RC" 68 "nothing found: exit 68 (EX_NOHOST)" || show
is "$CAP_ERR" "postern: cannot find the mail server for none.test: no SRV record, no autoconfig, no known MX, nothing answers on smtp.none.test or mail.none.test; give it with --host" \
	"nothing found: the message"
is "$(found)" "" "nothing found: no found: line"

# --- --host: no discovery; the port and TLS defaults of the config
mark
dry alice@none.test "--host alone: 587 STARTTLS" \
	"found: mail.srv.test port 587, STARTTLS (from the command line)" --host mail.srv.test
is "$(dns_since | grep -c 'query\[SRV\]\|query\[MX\]')" 0 "--host: no discovery (no SRV or MX query)"
dry alice@none.test "--host --port 465: implicit TLS" \
	"found: mail.srv.test port 465, implicit TLS (from the command line)" \
	--host mail.srv.test --port 465 --account work --user u1
is "$(section)" "$(want_section work mail.srv.test 465 implicit u1 alice@none.test)" \
	"--account and --user name the section and the user"
dry alice@none.test "--host --port --tls" \
	"found: mail.srv.test port 2525, STARTTLS (from the command line)" \
	--host mail.srv.test --port 2525 --tls starttls
dry alice@none.test "--host --tls implicit: port 465" \
	"found: mail.srv.test port 465, implicit TLS (from the command line)" \
	--host mail.srv.test --tls implicit

# ================================================================ login
# --- no terminal, no --yes, no --password-stdin: a usage error
setup alice@srv.test </dev/null
is "$CAP_RC" 64 "no terminal: exit 64" || show
like "$CAP_ERR" 'no terminal to ask on; use --password-stdin and --yes' "no terminal: says what to use"

# --- a wrong password: 77, nothing written
c0=$(smtp_connects)
setup -C "$t/wrong.ini" --user "$TEST_USER" --password-stdin --yes --store file alice@srv.test <<<"not-the-password"
is "$CAP_RC" 77 "wrong password: exit 77 (EX_NOPERM)" || show
like "$CAP_ERR" "^postern: mail\.srv\.test port 465: authentication failed for $TEST_USER: 535 5\.7\.8 .*" \
	"wrong password: the server's refusal, named"
ok "$([ ! -e "$t/wrong.ini" ] && echo 1)" "wrong password: no config file written"
unlike "$CAP_OUT" 'login: ok' "wrong password: no login: ok"
unlike "$CAP_OUT$CAP_ERR" 'not-the-password' "wrong password: never shown"
ok "$([ "$(smtp_connects)" -gt "$c0" ] && echo 1)" "wrong password: it did connect to Postfix to log in"

# --- the login fails on the way (refused, certificate for another name):
# the wording of send, exit 69 (EX_UNAVAILABLE), nothing written
setup -C "$t/net.ini" --host mail.srv.test --port 2526 --tls starttls --user "$TEST_USER" \
	--password-stdin --yes --store file alice@srv.test <<<"$TEST_PASS"
is "$CAP_RC" 69 "connection refused: exit 69" || show
like "$CAP_ERR" '^postern: connection to server mail\.srv\.test port 2526 \(127\.0\.0\.1\) refused: nothing listens there' \
	"connection refused: in the words of send"
setup -C "$t/net.ini" --host nocert.test --port 465 --user "$TEST_USER" \
	--password-stdin --yes --store file alice@srv.test <<<"$TEST_PASS"
is "$CAP_RC" 69 "certificate for another name: exit 69" || show
like "$CAP_ERR" '^postern: certificate name mismatch: nocert\.test port 465 presented a certificate for DNS:localhost, .*, not for nocert\.test; ' \
	"certificate for another name: in the words of send"
ok "$([ ! -e "$t/net.ini" ] && echo 1)" "failed logins: no config file written"

# --- the right password, --store file: written 0600, then a real message
clear_maildir
setup -C "$t/file.ini" --user "$TEST_USER" --password-stdin --yes --store file alice@srv.test <<<"$TEST_PASS"
is "$CAP_RC" 0 "--store file: exit 0" || show
is "$(tail -n 2 <<<"$CAP_OUT")" "login: ok
wrote account alice@srv.test to $t/file.ini" "--store file: login: ok, then wrote"
is "$(stat -c %a "$t/file.ini" 2>/dev/null)" 600 "--store file: the config is 0600"
is "$(cat "$t/file.ini" 2>/dev/null)" "[alice@srv.test]
host = mail.srv.test
port = 465
tls = implicit
user = $TEST_USER
from = alice@srv.test
password = $TEST_PASS" "--store file: the section, with the password"
unlike "$CAP_OUT$CAP_ERR" "$TEST_PASS" "--store file: the password is not shown"
unlike "$CAP_OUT$CAP_ERR" 'Password for' "--password-stdin: no prompt"
printf 'Subject: setup test\n\nwritten by postern setup\n' > "$t/msg"
capture "${IN_NS[@]}" "$POSTERN" -C "$t/file.ini" -f alice@srv.test "$TEST_USER2" < "$t/msg"
is "$CAP_RC" 0 "the written config sends" || show
wait_for_mail 1 15; check_status $? "the written config: delivered through Postfix"
grep -q '^written by postern setup' $(mail_files | tail -n 1) 2>/dev/null
check_status $? "the written config: our message"

# --- on a terminal: asked to confirm, then the password without echo (a
# pty; each answer typed once its question is shown)
cat > "$t/on-tty.py" <<'PY'
import os, pty, select, sys, termios, time
pw = os.environ["PW"].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, echo_at_password = b"", None
def read_until(token, limit=30):
    global out
    end = time.time() + limit
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
    return token in out
if read_until(b"[Y/n] "):
    os.write(fd, b"y\n")
    if read_until(b"Password for "):
        read_until(b": ", 5)
        echo_at_password = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
        os.write(fd, pw + b"\n")
read_until(b"\0", 30)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
sys.stdout.write("echo at the password prompt: %s\n" % echo_at_password)
sys.exit(os.waitstatus_to_exitcode(status))
PY
capture env PW="$TEST_PASS" "$PYTHON3" "$t/on-tty.py" "${IN_NS[@]}" "$POSTERN" setup -C "$t/tty.ini" \
	--user "$TEST_USER" --store file alice@srv.test </dev/null
is "$CAP_RC" 0 "on a terminal: exit 0" || show
like "$CAP_OUT" '^Use mail\.srv\.test port 465\? \[Y/n\] y$' "on a terminal: asked to confirm, before the password"
like "$CAP_OUT" "^Password for $TEST_USER at mail\\.srv\\.test: " "on a terminal: the password prompt"
like "$CAP_OUT" '^echo at the password prompt: False$' "on a terminal: echo off for the password"
unlike "$CAP_OUT" "$TEST_PASS" "on a terminal: the password not echoed"
like "$CAP_OUT" "^wrote account alice@srv\\.test to $t/tty\\.ini$" "on a terminal: written"
like "$(cat "$t/tty.ini" 2>/dev/null)" "^password = $TEST_PASS$" "on a terminal: the typed password stored"

# --- an existing config: comments, blank lines, another account kept (in
# a directory of its own, to see that no temporary file is left there)
mkdir -m 700 "$t/cfg"; E=$t/cfg/exist.ini
cat > "$E" <<'EOF'
# my accounts   (a comment that must stay)
[defaults]
timeout = 30

; the old one, with odd spacing
[old]
host=localhost
port = 587   
from = old@example.org
EOF
chmod 600 "$E"; cp -p "$E" "$t/exist.orig"
setup -C "$E" --account new --user "$TEST_USER" --password-stdin --yes --store file alice@sub.test <<<"$TEST_PASS"
is "$CAP_RC" 0 "existing config: exit 0" || show
is "$(tail -n 1 <<<"$CAP_OUT")" "wrote account new to $E" "existing config: wrote"
n=$(stat -c %s "$t/exist.orig")
cmp -s -n "$n" "$t/exist.orig" "$E"; check_status $? "existing config: its bytes kept, unchanged, at the start"
is "$(tail -c +"$((n + 1))" "$E" | sed '/./,$!d')" "[new]
host = mail.sub.test
port = 587
tls = starttls
user = $TEST_USER
from = alice@sub.test
password = $TEST_PASS" "existing config: the new section appended"
is "$(stat -c %a "$E")" 600 "existing config: mode kept"
is "$(ls -A "$t/cfg")" "exist.ini" "existing config: no temporary file left beside it"
clear_maildir
capture "${IN_NS[@]}" "$POSTERN" -C "$E" -a new "$TEST_USER2" < "$t/msg"
is "$CAP_RC" 0 "existing config: the new account sends (587 STARTTLS)" || show
wait_for_mail 1 15; check_status $? "existing config: delivered"

# --- the same section again: 73, unchanged
cp -p "$E" "$t/exist.before"
setup -C "$E" --account new --user "$TEST_USER" --password-stdin --yes --store file alice@sub.test <<<"$TEST_PASS"
is "$CAP_RC" 73 "section exists: exit 73 (EX_CANTCREAT)" || show
like "$CAP_ERR" "^postern: .*$t/cfg/exist\\.ini already has an account \\[new\\]" "section exists: names the file and the section"
cmp -s "$t/exist.before" "$E"; check_status $? "section exists: the file unchanged"
unlike "$CAP_OUT" 'wrote account' "section exists: nothing written"

# refused WHAT MODE RC ERE: a config FILE made of stdin with MODE; setup
# --store file into it exits RC, says ERE on stderr and leaves it as it was
refused() {
	local what=$1 f=$t/refused.ini rc=$3 ere=$4
	cat > "$f"; chmod "$2" "$f"; cp -p "$f" "$f.before"
	setup -C "$f" --user "$TEST_USER" --password-stdin --yes --store file alice@srv.test <<<"$TEST_PASS"
	is "$CAP_RC" "$rc" "$what: exit $rc" || show
	like "$CAP_ERR" "$ere" "$what: says why"
	cmp -s "$f.before" "$f"; check_status $? "$what: unchanged"
}
# --- a password into a config others may read: refused (78)
refused "--store file into a readable config" 644 78 "$t/refused\.ini.*(read|mode 0?644).*chmod" \
	<<<$'[old]\nhost = localhost'

# --- a config postern cannot parse: 78 naming file:line
refused "unparsable config" 600 78 "$t/refused\.ini:3" <<<$'[a]\nhost = localhost\nthis line is not a key'

# ============================================================== keyring
# gnome-keyring in a D-Bus session inside the namespace (the bus's socket
# may be abstract, and so belong to the network namespace)
# The session lasts as long as its child, a sleep: ending the sleep ends
# the session and its bus (the keyring daemon is killed before).
"${NS[@]}" dbus-run-session -- sh -c 'echo $$ > "$2"; echo "$DBUS_SESSION_BUS_ADDRESS" > "$1.tmp"; mv "$1.tmp" "$1"; exec sleep 3600' \
	sh "$t/bus.addr" "$t/bus.holder" </dev/null >/dev/null 2>"$t/dbus.log" &
SESSION_PID=$!
_bg_pids+=("$SESSION_PID")
for _ in $(seq 100); do [ -s "$t/bus.addr" ] && [ -s "$t/bus.holder" ] && break; sleep 0.05; done
at_exit 'kill "$(cat "$t/bus.holder")" 2>/dev/null; for _ in $(seq 40); do kill -0 $SESSION_PID 2>/dev/null || break; sleep 0.05; done' 
[ -s "$t/bus.addr" ] || bail "dbus-run-session did not start: $(cat "$t/dbus.log")"
export DBUS_SESSION_BUS_ADDRESS; DBUS_SESSION_BUS_ADDRESS=$(cat "$t/bus.addr")
bus_has_secrets() {
	"${NS[@]}" dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
printf %s 'unlock-me' | "${NS[@]}" gnome-keyring-daemon --unlock --components=secrets >"$t/gkd.env" 2>"$t/gkd.log"
for _ in $(seq 100); do bus_has_secrets && break; sleep 0.05; done
bus_has_secrets || bail "gnome-keyring did not start: $(cat "$t/gkd.log")"
GKD_PID=$("${NS[@]}" dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ { print $2 }')
[ -n "$GKD_PID" ] && at_exit "kill $GKD_PID 2>/dev/null"
lookup() { "${NS[@]}" secret-tool lookup host "$1" service smtp user "$TEST_USER" 2>/dev/null; }
DEFAULT_CFG=$XDG_CONFIG_HOME/postern/config.ini

# --- a wrong password with the keyring: nothing stored, nothing written
setup --user "$TEST_USER" --password-stdin --yes alice@dot.test <<<"wrong-again"
is "$CAP_RC" 77 "keyring, wrong password: exit 77" || show
is "$(lookup mail.dot.test)" "" "keyring, wrong password: nothing stored"
ok "$([ ! -e "$DEFAULT_CFG" ] && echo 1)" "keyring, wrong password: no config written"

# --- the right one: stored, the default path made 0700/0600, and it sends
setup --user "$TEST_USER" --password-stdin --yes alice@sub.test <<<"$TEST_PASS"
is "$CAP_RC" 0 "keyring: exit 0" || show
is "$(tail -n 2 <<<"$CAP_OUT")" "login: ok
wrote account alice@sub.test to $DEFAULT_CFG" "keyring: login: ok, then wrote, to the default path"
is "$(lookup mail.sub.test)" "$TEST_PASS" "keyring: the password stored under host/service/user"
is "$(stat -c %a "$XDG_CONFIG_HOME/postern" 2>/dev/null) $(stat -c %a "$DEFAULT_CFG" 2>/dev/null)" "700 600" \
	"keyring: directory 0700, file 0600"
is "$(cat "$DEFAULT_CFG" 2>/dev/null)" "$(want_section alice@sub.test mail.sub.test 587 starttls "$TEST_USER" alice@sub.test)" \
	"keyring: the section, no password in it"
clear_maildir
capture "${IN_NS[@]}" "$POSTERN" -f alice@sub.test "$TEST_USER2" < "$t/msg"
is "$CAP_RC" 0 "keyring: the default config sends with the stored password" || show
wait_for_mail 1 15; check_status $? "keyring: delivered"

# and the machine's resolver was never touched
is "$(md5sum < /etc/resolv.conf)" "$resolv_before" "the machine's /etc/resolv.conf unchanged"

tap_done
