#!/bin/bash
# Ports (issue 8): port = auto against the real Postfix listening on the
# real port numbers 465, 587 and 2525, the remembered port, ports that drop
# packets silently, the wording of connection errors (refused, timed out,
# no route, DNS failure), the port 25 warning, and SOCKS5 through microsocks
# (socks5 and socks5h, a name only the proxy can resolve, a refusing proxy,
# a proxy that is down).  Everything runs in a private network namespace
# of its own, so the real port numbers are free whatever the machine runs.
# TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server net
require_private_net

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home XDG_STATE_HOME=$t/state
mkdir -p "$HOME"
STATE=$XDG_STATE_HOME/postern/auto-ports

# Every command that must see the namespace's loopback runs through $NS.
netns_start
SRV=$t/srv
ensure_certs

# A Postfix start costs seconds; opening and closing a real port number
# costs a forwarder (tests/peer/delay-proxy.py with no delay) from that
# port to one of the running Postfix's ports: the bytes, TLS included, are
# Postfix's own.  open_port PORT TARGET_PORT / close_port PORT
declare -A FWD=()
open_port() {
	local pf=$t/fwd-$1.port
	rm -f "$pf"
	"${NS[@]}" "$PYTHON3" "$DELAY_PROXY" "$1" "$2" 0 --port-file "$pf" --quiet \
		</dev/null >>"$t/fwd.out" 2>&1 &
	FWD[$1]=$!; _bg_pids+=("$!")
	for _ in $(seq 100); do [ -s "$pf" ] && return 0; sleep 0.03; done
	bail "forwarder on port $1 did not start"
}
close_port() {
	[ -n "${FWD[$1]:-}" ] || return 0
	kill "${FWD[$1]}" 2>/dev/null; wait "${FWD[$1]}" 2>/dev/null
	unset "FWD[$1]"
}
close_all() { local p; for p in "${!FWD[@]}"; do close_port "$p"; done; }

# start_drop PORT...: listeners on 127.0.0.1 that never accept, their
# backlog full, so that SYNs to them are dropped (a firewall's silence);
# drop.py is written below, stop_drop ends it
start_drop() {
	"${NS[@]}" "$PYTHON3" "$t/drop.py" "$@" > "$t/drop.out" 2>&1 &
	droppid=$!; _bg_pids+=("$droppid")
	for _ in $(seq 50); do grep -q ready "$t/drop.out" && break; sleep 0.05; done
}
stop_drop() { kill "$droppid" 2>/dev/null; wait "$droppid" 2>/dev/null; }

printf 'Subject: ports\n\nport test\n' > "$t/msg"
# send CONFIG ARGS...: postern -v in the namespace, timed (ELAPSED_MS)
send() {
	local cfg=$1 t0; shift
	t0=$(date +%s%N)
	capture "${NS[@]}" "$POSTERN" -C "$cfg" -v "$@" "$TEST_USER" < "$t/msg"
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
}
delivered() { # delivered WHAT: one more message in the Maildir, with our body
	wait_for_mail "$1" 10 && grep -lq '^port test' $(mail_files | tail -n 1)
}

ns_server "$SRV"
open_port 587 "$SUBMISSION_PORT"
mk_account_config "$t/auto.ini" port=auto tls= defaults.timeout=2

# --- port = auto, only 587 open: 465 is refused, 587 wins
clear_maildir; rm -f "$STATE"
send "$t/auto.ini"
is "$CAP_RC" 0 "auto, only 587: sent"
like "$CAP_ERR" 'port = auto: trying localhost on ports 465, 587, 2525$' "auto, no memory: 465 first"
like "$CAP_ERR" 'connected to localhost port 587 \(starttls\)' "auto, only 587: 587 with STARTTLS"
like "$CAP_ERR" '--> STARTTLS' "auto, only 587: STARTTLS in the transcript"
delivered 1; check_status $? "auto, only 587: delivered"
is "$(cat "$STATE" 2>/dev/null)" "work localhost 587" "auto: 587 remembered in the state file"

# --- only 465: the remembered 587 is tried first, refused, then 465
close_all; open_port 465 "$SMTPS_PORT"
clear_maildir
send "$t/auto.ini"
is "$CAP_RC" 0 "auto, only 465: sent"
like "$CAP_ERR" 'port = auto: trying localhost on ports 587, 465, 2525 \(the first worked last time\)' \
	"auto: the remembered port 587 is tried first"
like "$CAP_ERR" 'connected to localhost port 465 \(implicit\)' "auto, only 465: implicit TLS"
unlike "$CAP_ERR" 'STARTTLS' "auto, only 465: no STARTTLS"
delivered 1; check_status $? "auto, only 465: delivered"
is "$(cat "$STATE" 2>/dev/null)" "work localhost 465" "auto: now 465 remembered"

# --- postern doctor with port = auto: it examines the port a message
# would take (only 465 answers here), and says the account works
capture "${NS[@]}" "$POSTERN" doctor -C "$t/auto.ini"
is "$CAP_RC" 0 "doctor, port = auto: exit 0"
like "$CAP_OUT" 'host localhost, port auto, tls by port' "doctor, port = auto: the configuration says auto"
like "$CAP_OUT" 'port = auto: a message would go to port 465 \(implicit\)' "doctor, port = auto: the port it takes"
like "$CAP_OUT" 'port 465: open.* \(port = auto\)' "doctor, port = auto: 465 marked as auto's choice"
like "$CAP_OUT" '4\. TLS \(implicit\): ok' "doctor, port = auto: implicit TLS on 465"
like "$CAP_OUT" 'verdict: works' "doctor, port = auto: works"

# --- only 2525 (STARTTLS offered on a cleartext port, as providers do)
close_all; open_port 2525 "$PLAIN_PORT"
clear_maildir
send "$t/auto.ini"
is "$CAP_RC" 0 "auto, only 2525: sent"
like "$CAP_ERR" 'connected to localhost port 2525 \(starttls\)' "auto, only 2525: 2525 with STARTTLS"
like "$CAP_ERR" '--> STARTTLS' "auto, only 2525: STARTTLS in the transcript"
delivered 1; check_status $? "auto, only 2525: delivered"

# --- all three open, 2525 remembered: 2525 is used, 465 never tried
open_port 465 "$SMTPS_PORT"; open_port 587 "$SUBMISSION_PORT"
clear_maildir
send "$t/auto.ini"
is "$CAP_RC" 0 "auto, all open, 2525 remembered: sent"
like "$CAP_ERR" 'connected to localhost port 2525 \(starttls\)' "auto, all open: the remembered 2525 wins"
unlike "$CAP_ERR" 'trying localhost port 465' "auto, all open: 465 not even tried (2525 connected within 250 ms)"
delivered 1; check_status $? "auto, all open: delivered"

# --- a port that drops SYNs silently (465: a full backlog that never
# accepts): after 250 ms 587 starts and wins; the race does not wait
rm -f "$STATE"
close_all; open_port 587 "$SUBMISSION_PORT"; open_port 25 "$PLAIN_PORT"
cat > "$t/drop.py" <<'EOF'
import socket, sys, time
# listening sockets that never accept, their backlog full: SYNs are dropped
keep = []
for p in sys.argv[1:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(p)))
    s.listen(0)
    keep.append(s)
    for i in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", int(p)))
        except BlockingIOError:
            pass
        keep.append(c)
time.sleep(0.2)
print("ready", flush=True)
time.sleep(600)
EOF
# (timeout = 10: 465 would be given up after 5 s, far from what the race
# takes even under ASan on a loaded machine)
start_drop 465
clear_maildir
mk_account_config "$t/auto10.ini" port=auto tls= defaults.timeout=10
send "$t/auto10.ini"
is "$CAP_RC" 0 "auto, 465 drops packets: sent"
like "$CAP_ERR" 'connected to localhost port 587 \(starttls\)' "auto, 465 drops packets: 587 wins"
ok "$([ "$ELAPSED_MS" -lt 4000 ] && echo 1)" "auto, 465 drops packets: no wait for its 5 s timeout (${ELAPSED_MS} ms)"
delivered 1; check_status $? "auto, 465 drops packets: delivered"

# --- the winner's TLS or greeting fails: the race goes on.  2525 is
# remembered and greets with 554; 465 answers in cleartext, so its TLS
# handshake fails; 587 (the real Postfix) works.
stop_drop
cat > "$t/fake.py" <<'EOF'
import socket, threading, time
def serve(port, banner):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(5)
    while True:
        c, _ = s.accept()
        c.sendall(banner)
        time.sleep(0.2)
        c.close()
threading.Thread(target=serve, args=(2525, b"554 5.3.2 not today\r\n"), daemon=True).start()
threading.Thread(target=serve, args=(465, b"220 cleartext, not TLS\r\n"), daemon=True).start()
time.sleep(0.3)
print("ready", flush=True)
time.sleep(600)
EOF
"${NS[@]}" "$PYTHON3" "$t/fake.py" > "$t/fake.out" 2>&1 &
fakepid=$!; _bg_pids+=("$fakepid")
for _ in $(seq 50); do grep -q ready "$t/fake.out" && break; sleep 0.05; done
mkdir -p "${STATE%/*}"; echo "work localhost 2525" > "$STATE"
clear_maildir
send "$t/auto.ini"
is "$CAP_RC" 0 "auto, 2525 greets 554 and 465 fails TLS: sent"
like "$CAP_ERR" 'localhost port 2525 did not work: .*554 5\.3\.2 not today' "auto: 2525's refusal seen, the race goes on"
like "$CAP_ERR" 'localhost port 465 did not work: TLS handshake with localhost port 465 failed' "auto: 465's failed TLS seen, the race goes on"
like "$CAP_ERR" 'connected to localhost port 587 \(starttls\)' "auto: 587 wins in the end"
delivered 1; check_status $? "auto, after two failed ports: delivered"
is "$(cat "$STATE" 2>/dev/null)" "work localhost 587" "auto: 587 remembered, not the failed 2525"
kill "$fakepid" 2>/dev/null; wait "$fakepid" 2>/dev/null

# fixed port 465 that drops: given up after the timeout (2 s), in words
start_drop 465
mk_config "$t/drop.ini" "[d]" "host = 127.0.0.1" "port = 465" "timeout = 2" "queue = never" "from = a@example.org"
send "$t/drop.ini"
is "$CAP_RC" 69 "fixed port dropping packets: exit 69"
like "$CAP_ERR" '^postern: connection to server 127\.0\.0\.1 port 465 \(127\.0\.0\.1\) timed out after 2 s: the host is down or a firewall drops the traffic; try port 465, 587 or 2525 \(or port = auto\), or another network$' \
	"fixed port dropping packets: timed out, in words"
ok "$([ "$ELAPSED_MS" -ge 1900 ] && [ "$ELAPSED_MS" -lt 4000 ] && echo 1)" \
	"fixed port dropping packets: given up after 2 s (${ELAPSED_MS} ms)"
stop_drop

# all three ports drop packets: one error naming each, after the short
# timeout (2 s here), not one timeout after the other
close_port 587
rm -f "$STATE"
mk_config "$t/auto4.ini" "[a]" "host = 127.0.0.1" "port = auto" "timeout = 2" "queue = never" "from = a@example.org"
start_drop 465 587 2525
send "$t/auto4.ini"
is "$CAP_RC" 69 "auto, all three drop packets: exit 69"
like "$CAP_ERR" '^postern: cannot connect to 127\.0\.0\.1 on any submission port: 465 \(127\.0\.0\.1\): timed out after 2 s; 587 \(127\.0\.0\.1\): timed out after 2 s; 2525 \(127\.0\.0\.1\): timed out after 2 s; a firewall may drop the traffic: try another network, or a proxy \(proxy = socks5h://\.\.\.\)$' \
	"auto, all three drop packets: each port named, timed out"
ok "$([ "$ELAPSED_MS" -ge 2400 ] && [ "$ELAPSED_MS" -lt 4500 ] && echo 1)" \
	"auto, all three drop packets: given up together after ~2.5 s (${ELAPSED_MS} ms)"
stop_drop
open_port 587 "$SUBMISSION_PORT"

# --- port 25 with AUTH: one warning, and the message still goes
clear_maildir
mk_account_config "$t/p25.ini" port=25
send "$t/p25.ini"
is "$CAP_RC" 0 "port 25 with AUTH: sent"
is "$(grep -c 'warning: account \[work\] uses port 25 with a password: port 25 is the relay port between mail servers, often blocked for clients; port 587 (STARTTLS) or 465 (implicit TLS) is meant for sending' <<<"$CAP_ERR")" 1 \
	"port 25 with AUTH: the warning, once"
delivered 1; check_status $? "port 25 with AUTH: delivered"
# a queue run of two messages on port 25: still one warning (per process)
clear_maildir
mk_account_config "$t/q25.ini" port=25 defaults.queue=auto "defaults.queue_dir=$t/q25" \
	defaults.background_retry=no
for i in 1 2; do "$POSTERN" -C "$t/q25.ini" -odq "$TEST_USER" < "$t/msg"; done
capture "${NS[@]}" "$POSTERN" queue run --all -C "$t/q25.ini"
is "$CAP_RC" 0 "port 25, queue run of two messages: sent"
is "$(grep -c 'uses port 25 with a password' <<<"$CAP_ERR")" 1 "port 25, queue run of two messages: one warning"
wait_for_mail 2 10; check_status $? "port 25, queue run: both delivered"
mk_account_config "$t/p587.ini" port=587
send "$t/p587.ini"
unlike "$CAP_ERR" 'relay port' "port 587: no warning"

# --- SOCKS5 through microsocks, in front of the real Postfix
MS_PORT=1080
"${NS[@]}" microsocks -i 127.0.0.1 -p $MS_PORT > "$t/microsocks.log" 2>&1 & mspid=$!
_bg_pids+=("$mspid")
for _ in $(seq 40); do "${NS[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$MS_PORT" 2>/dev/null && break; sleep 0.05; done
for kind in socks5 socks5h; do
	clear_maildir
	mk_account_config "$t/$kind.ini" port=587 proxy=$kind://127.0.0.1:$MS_PORT
	send "$t/$kind.ini"
	is "$CAP_RC" 0 "$kind: sent through the proxy"
	like "$CAP_ERR" "connecting to localhost port 587 through the SOCKS5 proxy 127\.0\.0\.1 port $MS_PORT" \
		"$kind: -v says so"
	delivered 1; check_status $? "$kind: delivered"
done
# a closed port through the proxy: the SOCKS reply in words
mk_account_config "$t/sclosed.ini" port=2526 proxy=socks5://127.0.0.1:$MS_PORT
send "$t/sclosed.ini"
is "$CAP_RC" 69 "proxy refuses (closed port behind it): exit 69"
like "$CAP_ERR" '^postern: proxy 127\.0\.0\.1 port 1080: the SOCKS5 proxy could not connect to localhost port 2526: connection refused: nothing listens there \(SOCKS reply 5\)$' \
	"proxy refuses: the SOCKS reply in words"
kill "$mspid" 2>/dev/null; wait "$mspid" 2>/dev/null
# the proxy is down
send "$t/socks5h.ini"
is "$CAP_RC" 69 "proxy down: exit 69"
like "$CAP_ERR" '^postern: connection to SOCKS5 proxy 127\.0\.0\.1 port 1080 \(127\.0\.0\.1\) refused: nothing listens there; is the proxy running \(e\.g\. ssh -D\)\?$' \
	"proxy down: says the proxy is not running"

# --- all closed: one error naming the three ports and their causes
close_all
rm -f "$STATE"
send "$t/auto4.ini"
is "$CAP_RC" 69 "auto, all closed: exit 69"
like "$CAP_ERR" '^postern: cannot connect to 127\.0\.0\.1 on any submission port: 465 \(127\.0\.0\.1\): refused, nothing listens; 587 \(127\.0\.0\.1\): refused, nothing listens; 2525 \(127\.0\.0\.1\): refused, nothing listens; is host = right\?$' \
	"auto, all closed: each port named with its cause"
ok "$([ ! -e "$STATE" ] && echo 1)" "auto, all closed: nothing remembered"

# --- the wording of refused, no route and DNS failure (fixed ports)
mk_config "$t/refused.ini" "[r]" "host = 127.0.0.1" "port = 587" "queue = never" "from = a@example.org"
send "$t/refused.ini"
is "$CAP_RC" 69 "refused: exit 69"
like "$CAP_ERR" '^postern: connection to server 127\.0\.0\.1 port 587 \(127\.0\.0\.1\) refused: nothing listens there; if your network blocks port 587, try port = 465 \(tls = implicit\), port = 2525 or port = auto$' \
	"refused: in words, with host, address and port"
mk_config "$t/noroute.ini" "[n]" "host = 10.255.255.1" "port = 587" "queue = never" "from = a@example.org"
send "$t/noroute.ini"
is "$CAP_RC" 69 "no route: exit 69"
like "$CAP_ERR" '^postern: connection to server 10\.255\.255\.1 port 587 \(10\.255\.255\.1\) failed: no route to that address \(Network is unreachable\); are you online\?$' \
	"no route: in words"
mk_config "$t/dns.ini" "[n]" "host = mail.nowhere.test" "port = 587" "queue = never" "from = a@example.org"
send "$t/dns.ini"
is "$CAP_RC" 69 "DNS failure: exit 69"
like "$CAP_ERR" '^postern: DNS failure: cannot look up host mail\.nowhere\.test \(port 587\): Temporary failure in name resolution; check your network and DNS$' \
	"DNS failure: in words"

# a name only the proxy can resolve: postern runs with an /etc/hosts of
# its own that lacks localhost (and no DNS server is reachable in the
# namespace), the proxy with the machine's.  socks5h works (the name goes
# to the proxy), socks5 is a DNS failure here.  (This way round, the
# server's certificate for localhost still fits, and no second Postfix is
# started.)
printf '127.0.0.1 not-localhost\n' > "$t/postern-hosts"
"${NS[@]}" microsocks -i 127.0.0.1 -p $MS_PORT > "$t/microsocks2.log" 2>&1 & mspid=$!
_bg_pids+=("$mspid")
for _ in $(seq 40); do "${NS[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$MS_PORT" 2>/dev/null && break; sleep 0.05; done
open_port 587 "$SUBMISSION_PORT"
# send_nohosts CONFIG: send, in a mount namespace with that /etc/hosts
send_nohosts() {
	capture "${NS[@]}" unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		sh "$t/postern-hosts" "$POSTERN" -C "$1" -v "$TEST_USER" < "$t/msg"
}
send_nohosts "$t/p587.ini"
like "$CAP_ERR" 'DNS failure' "control: without the proxy, localhost cannot be resolved there" || diag "$CAP_ERR"
clear_maildir
send_nohosts "$t/socks5h.ini"
is "$CAP_RC" 0 "socks5h: a name only the proxy knows: sent"
delivered 1; check_status $? "socks5h: a name only the proxy knows: delivered"
send_nohosts "$t/socks5.ini"
is "$CAP_RC" 69 "socks5: the same name: exit 69"
like "$CAP_ERR" '^postern: DNS failure: cannot find host localhost \(port 587\) here: Temporary failure in name resolution; with proxy = socks5h://\.\.\. the proxy looks it up instead$' \
	"socks5: the same name is a DNS failure here, with the way out"
kill "$mspid" 2>/dev/null; wait "$mspid" 2>/dev/null

tap_done
