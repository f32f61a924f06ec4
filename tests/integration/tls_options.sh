#!/bin/bash
# The TLS options msmtp users rely on, against the real Postfix on loopback
# (its certificate signed by a CA that tls_ca_file does not trust) and the
# scripted peer:
#   tls_fingerprint  the certificate's and the public key's SHA-256 (and
#                    msmtp's form) deliver although the CA check would
#                    refuse; another certificate's pin is exit 69 with the
#                    fingerprints seen, exactly as openssl prints them
#   tls_cert_file    Postfix's CCERT_PORT relays for the test client
#   tls_key_file     certificate only (permit_tls_clientcerts): without it
#                    relaying is refused; a key file mode 0644, or the key
#                    of another certificate, is exit 78 before connecting
#   auth = external  AUTH EXTERNAL = with no password source asked, for a
#                    message and for `postern password check` (the peer:
#                    Postfix's Dovecot SASL client passes no client
#                    certificate, so Dovecot's EXTERNAL cannot work there)
#   tls_min_version  1.3 against a TLS 1.2-only peer: exit 69, saying so;
#                    1.3 against Postfix: delivered over TLSv1.3
#   tls_ciphers      a TLS 1.3 suite reaches Postfix (its log shows it);
#                    a string OpenSSL refuses is exit 78 naming file:line
# Root (servers).  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server

test_tmpdir
t=$TEST_TMPDIR
# no keyring, no .netrc, no terminal: a password lookup would fail
export HOME=$t/home
mkdir -p "$HOME"
unset DBUS_SESSION_BUS_ADDRESS
server_start "$t/srv" unknownca
other_ca=$CERTS_DIR/other-ca.pem
cert=$CERTS_DIR/unknownca.pem

# fingerprints as openssl prints them ("sha256:" added)
fp_cert() { printf 'sha256:%s' "$(openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//')"; }
fp_key() {
    printf 'sha256:%s' "$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
        openssl dgst -sha256 -c | sed 's/.*= *//' | tr a-f A-F)"
}
cert_fp=$(fp_cert "$cert")
key_fp=$(fp_key "$cert")
good_fp=$(fp_cert "$CERTS_DIR/good.pem")
ok "$([ ${#cert_fp} = 102 ] && [ ${#key_fp} = 102 ] && [ "$cert_fp" != "$key_fp" ] && echo 1)" \
    "openssl gives both fingerprints ($cert_fp, $key_fp)"

n=0
# send LABEL [KEY=VALUE ...]: a message through an account of the current
# server; sets CAP_RC/CAP_ERR and SUBJ
send() {
    local label=$1; shift
    n=$((n + 1))
    SUBJ="tls options $n $label"
    mk_account_config "$t/$n.ini" "$@"
    printf 'To: bob@example.org\nSubject: %s\n\nhello\n' "$SUBJ" > "$t/msg"
    capture "$POSTERN" -C "$t/$n.ini" -t -i < "$t/msg"
}
# delivered: the last message arrived
delivered() {
    local i
    for ((i = 0; i < 100; i++)); do
        grep -qs "^Subject: $SUBJ\$" "$MAILDIR"/new/* && return 0
        sleep 0.05
    done
    return 1
}

# --- the pin ------------------------------------------------------------
send "no pin" port="$SMTPS_PORT" tls=implicit
is "$CAP_RC" 69 "without a pin the CA check refuses the server: exit 69"
like "$CAP_ERR" "is not signed by a CA in" "without a pin: the untrusted issuer is named"

send "cert pin" port="$SMTPS_PORT" tls=implicit tls_fingerprint="$cert_fp"
is "$CAP_RC" 0 "pin of the certificate: delivered although tls_ca_file does not trust it" ||
    diag "$CAP_ERR"
delivered; check_status $? "pin of the certificate: the message arrived"

send "key pin" port="$SUBMISSION_PORT" tls=starttls tls_fingerprint="$key_fp"
is "$CAP_RC" 0 "pin of the public key, over STARTTLS: delivered" || diag "$CAP_ERR"
delivered; check_status $? "pin of the public key: the message arrived"

msmtp_form=$(printf %s "${cert_fp#sha256:}" | tr A-F a-f)
send "msmtp pin" port="$SMTPS_PORT" tls=implicit tls_fingerprint="$msmtp_form"
is "$CAP_RC" 0 "msmtp's form (no sha256:, lower case): delivered" || diag "$CAP_ERR"

send "wrong pin" port="$SMTPS_PORT" tls=implicit tls_fingerprint="$good_fp" defaults.tls_ca_file="$other_ca"
is "$CAP_RC" 69 "pin of another certificate: exit 69 (even with a CA file that trusts the server)"
is "$(head -n 1 <<<"$CAP_ERR")" "postern: the certificate of localhost port $SMTPS_PORT does not match tls_fingerprint: it has the fingerprint $cert_fp and its public key $key_fp (DNS:localhost, IP:127.0.0.1, issued by CN = postern untrusted CA); if the server's operator changed it (ask them), set tls_fingerprint to one of these, else this connection is being intercepted" \
    "pin of another certificate: both fingerprints seen, as openssl prints them"
unlike "$(cat "$MAILDIR"/new/* 2>/dev/null)" "Subject: $SUBJ" "pin of another certificate: nothing delivered"

sha1=$(openssl x509 -in "$cert" -noout -fingerprint -sha1 | sed 's/.*=//')
send "sha1 pin" port="$SMTPS_PORT" tls=implicit tls_fingerprint="$sha1"
is "$CAP_RC" 78 "a SHA-1 pin: exit 78"
like "$CAP_ERR" "^postern: $t/$n.ini:[0-9]+: tls_fingerprint = $sha1: SHA-1 and MD5 fingerprints are refused" \
    "a SHA-1 pin: file:line and why"

# --- client certificates (Postfix's CCERT_PORT: no AUTH) ---------------
ccert=(port="$CCERT_PORT" tls=starttls auth=off user= password= defaults.tls_ca_file="$other_ca")
send "no client cert" "${ccert[@]}"
is "$CAP_RC" 67 "client-certificate port without a certificate: exit 67"
is "$(head -n 1 <<<"$CAP_ERR")" "postern: localhost port $CCERT_PORT: recipient refused: <bob@example.org> (554 5.7.1 <bob@example.org>: Recipient address rejected: Access denied)" \
    "without a certificate: Postfix refuses to relay"

send "client cert" "${ccert[@]}" tls_cert_file="$CERTS_DIR/client.pem" tls_key_file="$CERTS_DIR/client.key"
is "$CAP_RC" 0 "with tls_cert_file/tls_key_file: delivered" || diag "$CAP_ERR"
delivered; check_status $? "with a client certificate: the message arrived"
grep -q "postfix-test/ccert/smtpd.*: Trusted TLS connection established from .* client-signature" "$POSTFIX_LOG"
check_status $? "Postfix verified the client certificate (Trusted TLS connection, client-signature)"

cp "$CERTS_DIR/client.key" "$t/open.key"
chmod 644 "$t/open.key"
send "key 0644" "${ccert[@]}" tls_cert_file="$CERTS_DIR/client.pem" tls_key_file="$t/open.key"
is "$CAP_RC" 78 "a key file mode 0644: exit 78"
is "$(head -n 1 <<<"$CAP_ERR")" "postern: tls_key_file = $t/open.key can be read or changed by others (mode 0644); run: chmod 600 $t/open.key" \
    "a key file mode 0644: refused, naming the chmod"

send "wrong key" "${ccert[@]}" tls_cert_file="$CERTS_DIR/client.pem" tls_key_file="$CERTS_DIR/good.key"
is "$CAP_RC" 78 "the key of another certificate: exit 78"
is "$(head -n 1 <<<"$CAP_ERR")" "postern: the key in tls_key_file = $CERTS_DIR/good.key does not belong to the certificate in tls_cert_file = $CERTS_DIR/client.pem; give the key the certificate was made for" \
    "the key of another certificate: says so"

# --- tls_min_version, tls_ciphers ---------------------------------------
send "tls 1.3" port="$SMTPS_PORT" tls=implicit tls_fingerprint="$cert_fp" tls_min_version=1.3 \
    tls_ciphers=TLS_CHACHA20_POLY1305_SHA256
is "$CAP_RC" 0 "tls_min_version = 1.3 with a TLS 1.3 suite: delivered" || diag "$CAP_ERR"
for ((i = 0; i < 100; i++)); do
    grep -q "postfix-test/smtps.*TLSv1.3 with cipher TLS_CHACHA20_POLY1305_SHA256" "$POSTFIX_LOG" && break
    sleep 0.05
done
grep -q "postfix-test/smtps.*TLSv1.3 with cipher TLS_CHACHA20_POLY1305_SHA256" "$POSTFIX_LOG"
check_status $? "tls_ciphers reached OpenSSL: Postfix logged TLSv1.3 with TLS_CHACHA20_POLY1305_SHA256"

send "bogus ciphers" port="$SMTPS_PORT" tls=implicit tls_ciphers=NO-SUCH-CIPHER
is "$CAP_RC" 78 "tls_ciphers that OpenSSL refuses: exit 78"
like "$CAP_ERR" "^postern: $t/$n.ini:[0-9]+: OpenSSL refuses tls_ciphers = NO-SUCH-CIPHER" \
    "bogus tls_ciphers: file:line and the key"

peer_start tls12 tls12-only -- --tls-max 1.2
send "tls 1.3 vs 1.2" port="$PEER_PORT" tls=implicit defaults.tls_ca_file="$CA_FILE" \
    tls_min_version=1.3
is "$CAP_RC" 69 "tls_min_version = 1.3 against a TLS 1.2-only server: exit 69"
like "$CAP_ERR" "^postern: TLS handshake with localhost port $PEER_PORT failed: .*\(the server does not offer TLS 1\.3, which tls_min_version = 1\.3 requires; set tls_min_version = 1\.2 to accept TLS 1\.2\)\$" \
    "TLS 1.2-only server: the message says which version is missing and what to change"
peer_wait 10
is "$PEER_RC" 1 "the TLS 1.2-only peer saw the handshake fail, no SMTP command" || peer_transcript

# --- auth = external (the peer checks what the client sent) -------------
peer_start ext auth-external
send "external" port="$PEER_PORT" tls=implicit auth=external user= password= \
    defaults.tls_ca_file="$CA_FILE" tls_cert_file="$CERTS_DIR/client.pem" tls_key_file="$CERTS_DIR/client.key"
is "$CAP_RC" 0 "auth = external without any password: exit 0" || diag "$CAP_ERR"
peer_wait 10
is "$PEER_RC" 0 "auth = external: the peer got AUTH EXTERNAL = and the message" || peer_transcript
unlike "$CAP_ERR" "password" "auth = external: no password source was asked"

peer_start extcheck auth-external-check
(umask 077; sed "s/^port = .*/port = $PEER_PORT/" "$t/$n.ini" > "$t/check.ini")
capture "$POSTERN" password check -C "$t/check.ini"
is "$CAP_RC" 0 "password check with auth = external: exit 0" || diag "$CAP_ERR"
is "$CAP_OUT" "[work] has auth = external: the client certificate logs in, no password is used
authentication succeeded: localhost port $PEER_PORT accepted the client certificate" \
    "password check with auth = external: no password looked up, the certificate logged in"
peer_wait 10
is "$PEER_RC" 0 "password check: the peer got AUTH EXTERNAL = and QUIT" || peer_transcript

tap_done
