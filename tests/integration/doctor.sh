#!/bin/bash
# postern doctor against the real Postfix + Dovecot on loopback: a good
# account (works, exit 0), a wrong password (authentication refused, 77), a
# closed port while the implicit-TLS port answers (wrong port, 78, with the
# port and tls lines to change), the certificate for another name
# (certificate problem, 69, host line and the pin with the fingerprint that
# openssl computes), a STARTTLS port configured as implicit and the reverse
# (wrong port, 78, the tls line; each wrong port's suggestion is tried and
# works), a port that drops connections silently
# (a listener whose backlog is full: network blocks, 69), and a host where
# nothing listens on any standard port (a private network namespace:
# configuration error, 78), and the SRV records of the from-domain from a
# DNS server of its own (dnsmasq in a private network and mount namespace,
# so that /etc/resolv.conf can name it).  The test server's ports are not the standard
# ones, so --ports names them.  Exact verdict, reasons and fix lines; the
# step lines carry timings and are checked by pattern.  Root.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server dns
require_private_net

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
mkdir -p "$HOME"
server_start "$t/srv"

# mk_account_config puts port = on line 9 and tls = on line 10; timeout = 2
# makes the TCP step's window 2 s (an implicit-TLS port sends no greeting,
# so the doctor waits that long to call it one).
cfg=$t/c.ini
mkcfg() { mk_account_config "$cfg" defaults.timeout=2 "$@"; }

# verdict_of: the verdict and what follows it (no timings there)
verdict_of() { sed -n '/^verdict: /,$p' <<<"$CAP_OUT"; }

# 1. the good account
mkcfg
capture "$POSTERN" doctor -C "$cfg" --ports "$SMTPS_PORT"
is "$CAP_RC" 0 "good account: exit 0"
is "$(verdict_of)" "verdict: works
   the server took the connection, TLS and the login: this account can send" "good account: works"
like "$CAP_OUT" "^1\. configuration: ok \([0-9]+ ms\)$" "step 1 with its time"
like "$CAP_OUT" "^   password from the configuration \(password, line 13\)$" "names the password source"
unlike "$CAP_OUT" "$TEST_PASS" "never the password itself"
like "$CAP_OUT" "^2\. DNS: ok \([0-9]+ ms\)$" "step 2"
like "$CAP_OUT" "^   port $SUBMISSION_PORT: open, SMTP greeting \(STARTTLS\) \(configured\)$" "the configured port greets"
like "$CAP_OUT" "^   port $SMTPS_PORT: open, no greeting: TLS at once \(implicit TLS\)$" "the implicit-TLS port is told apart"
like "$CAP_OUT" "^4\. TLS \(starttls\): ok \([0-9]+ ms\)$" "step 4"
like "$CAP_OUT" "^   names: DNS:localhost, IP:127\.0\.0\.1$" "the certificate's names"
like "$CAP_OUT" "^   expires: [0-9-]+ [0-9:]+ UTC \([0-9]+ days left\)$" "expiry in days"
fp_good=$(openssl x509 -in "$CERTS_DIR/good.pem" -noout -fingerprint -sha256 2>/dev/null | sed 's/^.*=/sha256:/')
like "$CAP_OUT" "^   fingerprint: $fp_good$" "the SHA-256 fingerprint, as openssl prints it"
like "$CAP_OUT" "^   matches the host localhost: yes$" "matches the host"
like "$CAP_OUT" "^5\. EHLO: ok \([0-9]+ ms\)$" "step 5"
like "$CAP_OUT" "^   SIZE [0-9]+, AUTH [A-Z0-9 -]*PLAIN[A-Z0-9 -]*, PIPELINING, CHUNKING, SMTPUTF8, DSN, 8BITMIME$" "capabilities after TLS"
like "$CAP_OUT" "^6\. AUTH: ok \([0-9]+ ms\)$" "step 6"
is "$(mail_count)" 0 "no mail was sent"

# 2. a wrong password
mkcfg password=wrong-password
capture "$POSTERN" doctor -C "$cfg" --ports "$SMTPS_PORT"
is "$CAP_RC" 77 "wrong password: exit 77"
is "$(verdict_of | sed -n 1p)" "verdict: authentication refused" "wrong password: authentication refused"
like "$(verdict_of | sed -n 2p)" "^   the server said: localhost port $SUBMISSION_PORT: .*535 5\.7\.8 .*authentication failed" "what the server said"
like "$(verdict_of)" "app password.*OAuth2" "app passwords, OAuth2"
like "$CAP_OUT" "^6\. AUTH: refused \([0-9]+ ms\)$" "step 6 refused"
save_auth=$CAP_OUT

# 3. a closed port; the implicit-TLS port answers
closed=$(free_port)
mkcfg port="$closed"
capture "$POSTERN" doctor -C "$cfg" --ports "$SMTPS_PORT,$SUBMISSION_PORT"
is "$CAP_RC" 78 "closed port: exit 78"
is "$(verdict_of)" "verdict: wrong port
   port $closed: refused (nothing listens); port $SMTPS_PORT answers (open, no greeting: TLS at once (implicit TLS))
   tried with port $SMTPS_PORT and tls = implicit: TLS and the login work there
fix: change \`port = $closed\` to \`port = $SMTPS_PORT\` on line 9 of $cfg
fix: change \`tls = starttls\` to \`tls = implicit\` on line 10 of $cfg" "closed port: names the port that answers and the lines"
like "$CAP_OUT" "^4\. TLS: skipped$" "no session on a closed port"
like "$CAP_OUT" "^7\. port $SMTPS_PORT with tls = implicit: works \([0-9]+ ms\)$" "step 7 tries the port that answers"
save_closed=$CAP_OUT

# 4. a STARTTLS port configured as implicit TLS
mkcfg tls=implicit
capture "$POSTERN" doctor -C "$cfg" --ports "$SMTPS_PORT"
is "$CAP_RC" 78 "implicit on a STARTTLS port: exit 78"
is "$(verdict_of)" "verdict: wrong port
   port $SUBMISSION_PORT speaks SMTP first and offers STARTTLS, but the account expects TLS at once (tls = implicit)
   tried with port $SUBMISSION_PORT and tls = starttls: TLS and the login work there
fix: change \`tls = implicit\` to \`tls = starttls\` on line 10 of $cfg" "implicit on a STARTTLS port: the tls line"
save_impl=$CAP_OUT

# 5. the reverse: an implicit-TLS port configured as STARTTLS
mkcfg port="$SMTPS_PORT" tls=starttls
capture "$POSTERN" doctor -C "$cfg" --ports "$SUBMISSION_PORT"
is "$CAP_RC" 78 "STARTTLS on an implicit-TLS port: exit 78"
is "$(verdict_of)" "verdict: wrong port
   port $SMTPS_PORT waits for TLS at once (implicit TLS), but the account waits for an SMTP greeting (tls = starttls)
   tried with port $SMTPS_PORT and tls = implicit: TLS and the login work there
fix: change \`tls = starttls\` to \`tls = implicit\` on line 10 of $cfg" "STARTTLS on an implicit-TLS port: the tls line"
save_start=$CAP_OUT

# 6. a port that drops connections: a listener that never accepts, its
# backlog full, so that the kernel drops further SYNs without an answer
"$PYTHON3" - "$t/drop.port" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = []
for _ in range(3):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(s.getsockname())
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.3)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
EOF
drop_pid=$!
at_exit "kill $drop_pid 2>/dev/null"
for _ in $(seq 100); do [ -s "$t/drop.port" ] && break; sleep 0.05; done
drop=$(cat "$t/drop.port")
mkcfg port="$drop"
capture "$POSTERN" doctor -C "$cfg" --ports "$drop"
is "$CAP_RC" 69 "dropped port: exit 69"
is "$(verdict_of)" "verdict: network blocks submission ports
   no answer at all on port $drop: a firewall on this network (or the provider's) drops them silently
   try: port 2525 if the provider offers it; another network (a phone's hotspot) to confirm; or a tunnel: \`ssh -D 1080 a-host-you-can-reach\` and \`proxy = socks5://127.0.0.1:1080\`" \
    "dropped port: network blocks, what to try"
like "$CAP_OUT" "^   port $drop: no answer \(silently dropped\) \(configured\)$" "step 3 says dropped"
save_drop=$CAP_OUT

# 7. nothing listens on any standard port (a private network: 25, 465,
# 587 and 2525 of its 127.0.0.1 are closed whatever this machine runs)
mkcfg host=127.0.0.1 port=
capture unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$POSTERN" doctor -C "$cfg"
is "$CAP_RC" 78 "nothing listens: exit 78"
is "$(verdict_of)" "verdict: configuration error
   nothing listens at 127.0.0.1 on port 587 nor on any other submission port: is it the provider's submission server?
fix: check \`host = 127.0.0.1\` in [work] of $cfg against the provider's documentation" "nothing listens: check host ="
like "$CAP_OUT" "^   port 587: refused \(nothing listens\) \(configured\)$" "587 probed"
like "$CAP_OUT" "^   port 2525: refused \(nothing listens\)$" "2525 probed"
like "$CAP_OUT" "^   port 25: refused \(nothing listens\)$" "25 probed"
save_none=$CAP_OUT

# 8. the certificate for another name
server_start "$t/wrong" wrongname
mkcfg
capture "$POSTERN" doctor -C "$cfg" --ports "$SMTPS_PORT"
fp_wrong=$(openssl x509 -in "$CERTS_DIR/wrongname.pem" -noout -fingerprint -sha256 2>/dev/null | sed 's/^.*=/sha256:/')
is "$CAP_RC" 69 "certificate for another name: exit 69"
is "$(verdict_of | sed -n 1p)" "verdict: certificate problem" "certificate problem"
like "$(verdict_of | sed -n 2p)" "^   the certificate is for another name: .*wrong\.example" "which problem"
is "$(verdict_of | sed -n '/^fix: /p')" "fix: change \`host = localhost\` to \`host = wrong.example\` in [work] of $cfg (if that name is your provider's server)
fix: or pin this very certificate, once its fingerprint is confirmed by the provider: add \`tls_fingerprint = $fp_wrong\` to [work] in $cfg" \
    "the host line, or the pin with the seen fingerprint"
like "$CAP_OUT" "^   matches the host localhost: no$" "does not match the host"
save_cert=$CAP_OUT

# 9. DNS: A and the RFC 6186/8314 SRV records from a resolver of its own
echo "nameserver 127.0.0.2" >"$t/resolv.conf"
mkcfg host=mail.example.test port= tls= from=alice@example.test
capture unshare -n -m sh -c '
    ip link set lo up || exit 90
    mount --bind "$1" /etc/resolv.conf || exit 91
    dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.2 \
        --port=53 --pid-file= \
        --srv-host=_submissions._tcp.example.test,mail.example.test,465,0,1 \
        --srv-host=_submission._tcp.example.test,mail.example.test,587,10,1 \
        --address=/mail.example.test/127.0.0.1 2>"$2" &
    dns=$!
    i=0; while [ $i -lt 100 ] && ! grep -q "started" "$2"; do sleep 0.05; i=$((i + 1)); done
    shift 2
    "$@"; rc=$?
    kill $dns
    exit $rc' sh "$t/resolv.conf" "$t/dnsmasq.log" "$POSTERN" doctor -C "$cfg"
is "$CAP_RC" 78 "DNS case: nothing listens there (exit 78)"
like "$CAP_OUT" "^   mail\.example\.test: 127\.0\.0\.1$" "step 2: the host's address"
like "$CAP_OUT" "^   SRV _submissions\._tcp\.example\.test: 0 1 465 mail\.example\.test$" "step 2: the implicit-TLS SRV record"
like "$CAP_OUT" "^   SRV _submission\._tcp\.example\.test: 10 1 587 mail\.example\.test$" "step 2: the STARTTLS SRV record"
[ "$CAP_RC" = 78 ] || diag "$CAP_OUT" "$CAP_ERR" "$(cat "$t/dnsmasq.log" 2>/dev/null)"

# DOCTOR_SAVE=FILE: the doctor's output of each failure, for the record
if [ -n "${DOCTOR_SAVE:-}" ]; then
    printf '%s\n\n' "$save_auth" "$save_closed" "$save_impl" "$save_start" "$save_drop" "$save_none" "$save_cert" >"$DOCTOR_SAVE"
fi

tap_done
