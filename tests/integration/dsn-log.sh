#!/bin/bash
# DSN (-N -R -V), SMTPUTF8 and the mail log, against the real Postfix and
# the scripted peer:
# - mutt's argv with -N success,failure -R hdrs -V ENV123: the real Postfix
#   takes the parameters and proves it by sending the success DSN it was
#   asked for (Original-Envelope-Id: ENV123, headers only); through the
#   queue, the scripted peer checks the exact MAIL and RCPT lines;
# - a UTF-8 recipient: delivered by the real Postfix (SMTPUTF8), refused
#   before MAIL with a clear error by a server without SMTPUTF8;
# - log = FILE: exactly one line per outcome (sent, deferred, failed), each
#   field pinned, no password; the default log (stderr not a terminal) is
#   syslog: postern runs in a mount namespace where /dev/log is a datagram
#   socket of this test, which must get facility mail, priority info (<22>).
# TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
unset XDG_CONFIG_HOME XDG_STATE_HOME
mkdir -p "$HOME"
server_start "$t/srv"

TIME='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}'
ID='[0-9a-f]{16}'

# msg FROM TO: a message that needs no header from postern (so that its
# size on the wire is known: octets plus one CR per line)
msg() {
    printf 'From: %s\nTo: %s\nSubject: dsn-log\nDate: Sun, 29 Nov 2026 12:00:00 +0000\nMessage-ID: <dsn-log.%s@example.org>\n\nbody line\n' \
        "$1" "$2" "$RANDOM"
}
wire_size() { echo $(($(wc -c <"$1") + $(wc -l <"$1"))); }

# the log file's lines, and that none of them holds the password in any form
no_secret() {
    local b64
    b64=$(printf '\0%s\0%s' "$TEST_USER" "$TEST_PASS" | base64 -w0)
    unlike "$(cat "$1")" "$TEST_PASS" "$2: no password"
    unlike "$(cat "$1")" "$b64" "$2: no AUTH data"
}

# ---- 1. the real Postfix: DSN parameters taken, and acted upon
mk_account_config "$t/pf.ini" log="$t/pf.log"
msg "$TEST_USER" "$TEST_USER2" > "$t/m1"
capture "$POSTERN" -C "$t/pf.ini" -oem -oi -N success,failure -R hdrs -V ENV123 -- "$TEST_USER2" <"$t/m1"
is "$CAP_RC" 0 "mutt argv with -N -R -V: delivered (exit 0)"
wait_for_mail 2 20
dsn=$(grep -l 'Original-Envelope-Id: ENV123' $(mail_files) 2>/dev/null | head -n 1)
ok "$dsn" "Postfix sent the success DSN it was asked for, with ENVID=ENV123"
if [ -n "$dsn" ]; then
    like "$(cat "$dsn")" '^Action: delivered' "the DSN reports the delivery (NOTIFY=SUCCESS)"
    like "$(cat "$dsn")" 'text/rfc822-headers' "RET=HDRS: headers only"
    like "$(cat "$dsn")" "^Final-Recipient: rfc822; $TEST_USER2" "for the recipient"
fi
size=$(wire_size "$t/m1")
is "$(wc -l <"$t/pf.log")" 1 "log = FILE: one line for the message"
like "$(cat "$t/pf.log")" "^$TIME postern\[[0-9]+\]: account=work, relay=localhost:$SUBMISSION_PORT, from=<$TEST_USER>, to=<$TEST_USER2>, nrcpt=1, size=$size, status=sent \(250 2\.0\.0 Ok: $size bytes queued as [0-9A-F]+\)$" \
    "sent: time, pid, account, relay, sender, recipient, size, the server's reply with its queue ID"
no_secret "$t/pf.log" "sent"
is "$(stat -c %a "$t/pf.log")" 600 "the log file is created 0600"

# ---- 2. a UTF-8 recipient, real Postfix (smtputf8_enable = yes)
clear_maildir
msg "$TEST_USER" "jörg@example.org" > "$t/m2"
capture "$POSTERN" -C "$t/pf.ini" -v -- "jörg@example.org" <"$t/m2"
is "$CAP_RC" 0 "UTF-8 recipient: delivered by Postfix (exit 0)"
like "$CAP_ERR" "^--> MAIL FROM:<$TEST_USER> SIZE=$(wire_size "$t/m2") BODY=8BITMIME SMTPUTF8$" \
    "SMTPUTF8 declared on MAIL (and 8BITMIME: the To header has UTF-8)"
wait_for_mail 1 20
like "$(cat $(mail_files) 2>/dev/null)" '^Delivered-To: jörg@example.org' "the UTF-8 address arrived as it is"
like "$(tail -n 1 "$t/pf.log")" ", to=<jörg@example.org>, nrcpt=1, .*status=sent \(250 " "logged with the UTF-8 address"

# ---- 3. the scripted peer: deferred, then sent by a queue run with the DSN
# parameters kept in the queue, exactly as RFC 3461 writes them
cat > "$t/dsn.scn" <<'SCN'
send 220 peer.test ESMTP
expect EHLO
send 250-peer.test
send 250-DSN
send 250 8BITMIME
expect-re MAIL FROM:<alice@example\.org> RET=hdrs ENVID=ENV\+2B123
send 250 2.1.0 Ok
expect-re RCPT TO:<bob@peer\.test> NOTIFY=success,failure
send 250 2.1.5 Ok
expect DATA
send 354 go
read-data
send 250 2.0.0 Ok: queued as PEER2
expect QUIT
send 221 Bye
SCN
peer_start q tempfail-mail "$t/dsn.scn" -- --count 2
mk_account_config "$t/q.ini" host=127.0.0.1 port="$PEER_PORT" tls=off auth=off \
    defaults.queue=auto defaults.queue_dir="$t/queue" defaults.background_retry=no log="$t/q.log"
msg "$TEST_USER" bob@peer.test > "$t/m3"
size=$(wire_size "$t/m3")
capture "$POSTERN" -C "$t/q.ini" -N success,failure -R hdrs -V ENV+123 bob@peer.test <"$t/m3"
is "$CAP_RC" 75 "451 to MAIL: queued (exit 75)"
is "$(wc -l <"$t/q.log")" 1 "one line for the deferred attempt"
like "$(cat "$t/q.log")" "^$TIME postern\[[0-9]+\]: id=$ID, account=work, relay=127\.0\.0\.1:$PEER_PORT, from=<$TEST_USER>, to=<bob@peer\.test>, nrcpt=1, size=$size, status=deferred \(127\.0\.0\.1 port $PEER_PORT: server refused the sender <$TEST_USER>: 451 4\.3\.0 Local error in processing; try again later\), dsn=ignored \(not offered\)$" \
    "deferred: the queue ID and the server's reply"
qid=$(sed -n 's/.* id=\([0-9a-f]*\),.*/\1/p' "$t/q.log")
capture "$POSTERN" queue run --all -C "$t/q.ini"
is "$CAP_RC" 0 "queue run: sent (exit 0)"
peer_wait 20
is "$PEER_RC" 0 "the queue run sent RET=, ENVID= (xtext) and NOTIFY= from the queued -N -R -V" || peer_transcript
is "$(wc -l <"$t/q.log")" 2 "one more line for the queue run's attempt"
like "$(tail -n 1 "$t/q.log")" "^$TIME postern\[[0-9]+\]: id=$qid, account=work, relay=127\.0\.0\.1:$PEER_PORT, from=<$TEST_USER>, to=<bob@peer\.test>, nrcpt=1, size=$size, status=sent \(250 2\.0\.0 Ok: queued as PEER2\)$" \
    "the queue run's line: the same ID, sent, the reply"

# ---- 4. a UTF-8 recipient and a server without SMTPUTF8, nor DSN
cat > "$t/noutf8.scn" <<'SCN'
send 220 peer.test ESMTP
expect EHLO
send 250-peer.test
send 250 8BITMIME
expect QUIT
send 221 Bye
SCN
peer_start u "$t/noutf8.scn"
mk_account_config "$t/u.ini" host=127.0.0.1 port="$PEER_PORT" tls=off auth=off \
    defaults.queue=auto defaults.queue_dir="$t/queue" defaults.background_retry=no log="$t/u.log"
msg "$TEST_USER" "jörg@peer.test" > "$t/m4"
size=$(wire_size "$t/m4")
capture "$POSTERN" -C "$t/u.ini" -v -N failure "jörg@peer.test" <"$t/m4"
is "$CAP_RC" 65 "SMTPUTF8 needed, not offered: a permanent data error (exit 65)"
like "$CAP_ERR" 'an address of this message has non-ASCII characters, which needs SMTPUTF8 \(RFC 6531\), and the server does not offer it' \
    "the error says why"
like "$CAP_ERR" "kept in the failed messages as $ID" "the message is kept, as for other permanent failures"
unlike "$CAP_ERR" '> MAIL FROM' "nothing sent before the refusal"
peer_wait 20
is "$PEER_RC" 0 "the peer saw EHLO then QUIT" || peer_transcript
is "$(wc -l <"$t/u.log")" 1 "one line for the failure"
like "$(cat "$t/u.log")" "^$TIME postern\[[0-9]+\]: id=$ID, account=work, relay=127\.0\.0\.1:$PEER_PORT, from=<$TEST_USER>, to=<jörg@peer\.test>, nrcpt=1, size=$size, status=failed \(127\.0\.0\.1 port $PEER_PORT: an address of this message has non-ASCII characters, which needs SMTPUTF8 \(RFC 6531\), and the server does not offer it; write the address in ASCII \(its domain as xn--\.\.\.\), or use a server that has SMTPUTF8\), dsn=ignored \(not offered\)$" \
    "failed: the error, and the DSN request left out"
like "$CAP_ERR" 'the server does not offer DSN: -N, -R and -V were left out' "-v notes the DSN left out"

# ---- 5. the default log when stderr is not a terminal: syslog, facility mail
cat > "$t/syslogd.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(30)
with open(sys.argv[2], "wb") as out:
    try:
        while True:
            out.write(s.recv(65536) + b"\n")
            out.flush()
    except socket.timeout:
        pass
PY
"$PYTHON3" "$t/syslogd.py" "$t/log.sock" "$t/syslog.out" &
_bg_pids+=("$!")
for _ in $(seq 100); do [ -e "$t/log.sock.ready" ] && break; sleep 0.05; done
peer_start s ok-plain
mk_account_config "$t/s.ini" host=127.0.0.1 port="$PEER_PORT" tls=off auth=off
msg "$TEST_USER" bob@peer.test > "$t/m5"
size=$(wire_size "$t/m5")
# a /dev of its own in the namespace: the real one bound back in, plus
# /dev/log, the test's socket (the machine's /dev is left alone)
mkdir -p "$t/realdev"
capture unshare -m sh -c '
    mount --make-rprivate / && mount --rbind /dev "$1/realdev" &&
    mount -t tmpfs -o mode=755 tmpfs /dev || exit 99
    for n in null zero random urandom; do
        touch "/dev/$n" && mount --bind "$1/realdev/$n" "/dev/$n" || exit 99
    done
    ln -s /proc/self/fd /dev/fd
    touch /dev/log && mount --bind "$1/log.sock" /dev/log || exit 99
    exec "$2" -C "$1/s.ini" bob@peer.test <"$1/m5"' sh "$t" "$POSTERN"
is "$CAP_RC" 0 "sent, with stderr not a terminal"
peer_wait 20
for _ in $(seq 100); do [ -s "$t/syslog.out" ] && break; sleep 0.05; done
is "$(wc -l <"$t/syslog.out" 2>/dev/null)" 1 "syslog got one line"
like "$(cat "$t/syslog.out" 2>/dev/null)" "^<22>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} postern\[[0-9]+\]: account=work, relay=127\.0\.0\.1:$PEER_PORT, from=<$TEST_USER>, to=<bob@peer\.test>, nrcpt=1, size=$size, status=sent \(250 2\.0\.0 Ok: queued as PEER1\)$" \
    "syslog: facility mail, priority info (<22>), ident postern[pid], the line"

tap_done
