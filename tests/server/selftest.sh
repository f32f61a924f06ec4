#!/bin/bash
# Self-test of the test infrastructure itself (no postern needed): the
# private Postfix + Dovecot from mailserver.sh checked with swaks, msmtp and
# python's smtplib, the scripted peer and the delay proxy.  TAP; as root.
#
#   bash tests/server/selftest.sh
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/integration/lib.sh"
tap_plan_later
require_servers

t0=$(date +%s%N)
server_start main
diag "server start: $(( ($(date +%s%N) - t0) / 1000000 )) ms"

sw() { swaks -s 127.0.0.1 --from "$TEST_USER" --h-Subject "${SUBJ:-selftest}" "$@"; }

# STARTTLS + each SASL mechanism swaks knows, with certificate verification
for m in PLAIN LOGIN CRAM-MD5; do
    SUBJ="sub $m" check "587 STARTTLS + AUTH $m" \
        sw -p "$SUBMISSION_PORT" -tls --tls-verify --tls-ca-path "$CA_FILE" \
           -a "$m" -au "$TEST_USER" -ap "$TEST_PASS" -t "sub-$m@example.net"
done
SUBJ="smtps" check "465 implicit TLS + AUTH PLAIN (second user)" \
    sw -p "$SMTPS_PORT" -tlsc --tls-verify --tls-ca-path "$CA_FILE" \
       -a PLAIN -au "$TEST_USER2" -ap "$TEST_PASS2" -t smtps@example.net

# SCRAM through msmtp (GNU SASL)
for m in scram-sha-1 scram-sha-256; do
    for mode in starttls implicit; do
        port=$SUBMISSION_PORT st=on
        [ $mode = implicit ] && { port=$SMTPS_PORT; st=off; }
        printf 'account default\nhost localhost\nport %s\ntls on\ntls_starttls %s\ntls_trust_file %s\nauth %s\nuser %s\npassword %s\nfrom %s\n' \
            "$port" "$st" "$CA_FILE" "$m" "$TEST_USER" "$TEST_PASS" "$TEST_USER" | mk_config "$TEST_TMPDIR/msmtprc" -
        check "msmtp $mode AUTH $m" sh -c "printf 'Subject: $m $mode\n\nx\n' | msmtp -C '$TEST_TMPDIR/msmtprc' '$m-$mode@example.net'"
    done
done
wait_for_mail 8; check_status $? "8 messages delivered to the sink Maildir"

out=$(sw -p "$SUBMISSION_PORT" -tls -a PLAIN -au "$TEST_USER" -ap wrong -t x@example.net 2>&1)
like "$out" '535 5\.7\.8' "wrong password: 535 5.7.8"
out=$(sw -p "$SUBMISSION_PORT" -t x@example.net 2>&1)
like "$out" '530 5\.7\.0 Must issue a STARTTLS' "587 refuses mail before STARTTLS"
unlike "$out" '250-AUTH' "587 offers no AUTH before STARTTLS"
out=$(sw -p "$SUBMISSION_PORT" -tls -t x@example.net 2>&1)
like "$out" '554 5\.7\.1' "587 after TLS without AUTH: 554 5.7.1 at RCPT"
SUBJ="plain" check "cleartext port: AUTH LOGIN without TLS" \
    sw -p "$PLAIN_PORT" -a LOGIN -au "$TEST_USER" -ap "$TEST_PASS" -t plain@example.net
SUBJ="open root" check "open port: no AUTH, bare local recipient" sw -p "$OPEN_PORT" -t root
wait_for_mail 10; check_status $? "10 messages"
ok "$(grep -l '^Delivered-To: root@localhost' "$MAILDIR"/new/* 2>/dev/null)" "root is delivered to the sink as root@localhost"

n=$(mail_count)
SUBJ="discard" check "discard port accepts" \
    sw -p "$DISCARD_PORT" -tls --tls-ca-path "$CA_FILE" -a PLAIN -au "$TEST_USER" -ap "$TEST_PASS" -t d@example.net
SUBJ="discard" check "discard smtps port accepts" \
    sw -p "$DISCARD_SMTPS_PORT" -tlsc --tls-ca-path "$CA_FILE" -a PLAIN -au "$TEST_USER" -ap "$TEST_PASS" -t d@example.net
sleep 0.5
is "$(mail_count)" "$n" "discarded mail does not reach the Maildir"

export SMTPS_PORT CA_FILE TEST_USER TEST_PASS
check "40 MB message over implicit TLS (python smtplib)" "$PYTHON3" -c '
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA_FILE"])
s = smtplib.SMTP_SSL("localhost", int(os.environ["SMTPS_PORT"]), context=ctx)
s.login(os.environ["TEST_USER"], os.environ["TEST_PASS"])
s.sendmail(os.environ["TEST_USER"], ["big@example.net"],
           "Subject: big\r\n\r\n" + ("x" * 998 + "\r\n") * 40000)
s.quit()'
wait_for_mail $((n + 1)); check_status $? "40 MB message delivered"

# certificates: a second instance, at the same time, with each bad certificate
for c in wrongname expired selfsigned unknownca; do
    server_start "bad-$c" "$c"
    out=$(echo QUIT | openssl s_client -connect "127.0.0.1:$SMTPS_PORT" -CAfile "$CA_FILE" \
          -verify_hostname localhost -verify_return_error 2>&1)
    case $c in
    wrongname) want='hostname mismatch' ;;
    expired) want='certificate has expired' ;;
    selfsigned) want='self-signed certificate' ;;
    unknownca) want='self-signed certificate in certificate chain|unable to get local issuer' ;;
    esac
    like "$out" "$want" "CERT=$c: verification fails with /$want/"
    server_stop "bad-$c"
done
server_env main
out=$(echo QUIT | openssl s_client -connect "127.0.0.1:$SMTPS_PORT" -CAfile "$CA_FILE" \
      -verify_hostname localhost -verify_return_error 2>&1)
like "$out" 'Verify return code: 0' "main instance still serves the good certificate"
check "main instance still running after the others stopped" sh "$SERVER_SH" status "$SERVER_DIR"

# scripted peer
peer_start greet greeting-421
out=$(sw -p "$PEER_PORT" -t x@example.net 2>&1)
like "$out" '421 4\.3\.2' "peer greeting-421 sends 421"
peer_wait; check_status $? "peer greeting-421 ran to the end"
peer_start okp ok-plain
sw -p "$PEER_PORT" -t x@example.net --body $'.dot line\nend' >/dev/null 2>&1
peer_wait; check_status $? "peer ok-plain: swaks completed the scenario"
like "$(cat "$PEER_DATA")" '^\.\.dot line' "peer saved the DATA as received (dot-stuffed by swaks)"
peer_start inj starttls-injection
sw -p "$PEER_PORT" -tls -t x@example.net >/dev/null 2>&1
peer_wait
is "$PEER_RC" 1 "peer starttls-injection flags swaks, which goes on with the TLS handshake"
peer_start tls ok-starttls-auth
sw -p "$PEER_PORT" -tls --tls-verify --tls-ca-path "$CA_FILE" -a PLAIN -au u -ap p -t x@example.net >/dev/null 2>&1
peer_wait; check_status $? "peer ok-starttls-auth with a verified certificate"

# delay proxy: 25 ms each way
proxy_start "$SUBMISSION_PORT" 25
export PROXY_PORT
rtt=$("$PYTHON3" -c '
import os, socket, time
s = socket.create_connection(("127.0.0.1", int(os.environ["PROXY_PORT"])))
s.recv(512)
t = time.monotonic(); s.sendall(b"NOOP\r\n"); s.recv(512)
print(int((time.monotonic() - t) * 1000)); s.sendall(b"QUIT\r\n"); s.close()')
ok "$([ "$rtt" -ge 50 ] && [ "$rtt" -lt 150 ] && echo 1)" "delay proxy: NOOP round trip $rtt ms (50 expected)"

t0=$(date +%s%N)
server_stop main
diag "server stop: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
tap_done
