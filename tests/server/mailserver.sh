#!/bin/sh
# A private Postfix 3.7 + Dovecot 2.3 (SASL only) submission server on
# 127.0.0.1, with all state under one directory, so that several instances
# can run side by side (tests run in parallel).  Needs root (Postfix drops
# privileges itself) and the packages from install-deps.sh.
#
# Usage:
#   tests/server/mailserver.sh start DIR    start (or restart) the instance in DIR
#   tests/server/mailserver.sh stop DIR     stop that instance only
#   tests/server/mailserver.sh status DIR   exit 0 if its master and dovecot run
#
# Environment for `start` (ports: unset or "auto" = a free high port):
#   SUBMISSION_PORT   STARTTLS required (encrypt), AUTH only after TLS
#   SMTPS_PORT        implicit TLS (wrappermode), AUTH
#   PLAIN_PORT        cleartext, AUTH offered without TLS (STARTTLS offered too)
#   OPEN_PORT         cleartext, no AUTH needed: any client on 127.0.0.1 may send
#   DISCARD_PORT      like SUBMISSION_PORT but mail is discarded (benchmarks)
#   DISCARD_SMTPS_PORT like SMTPS_PORT but mail is discarded (benchmarks)
#   CCERT_PORT        STARTTLS required, asks for a client certificate, no AUTH:
#                     relays only for the certificate CERTS_DIR/client.pem
#                     (permit_tls_clientcerts, its SHA-256 in relay_clientcerts)
#   CERT=good|wrongname|expired|selfsigned|unknownca|setup   server certificate (default good;
#                       setup: the names of tests/integration/setup.sh)
#   CERTS_DIR=path      certificates made by mkcerts.sh (default DIR/certs, made
#                       if missing); share one between instances so that
#                       one CA_FILE trusts all of them
#   STARTUP_TIMEOUT=20  seconds to wait for all ports
#   OAUTH2_INTROSPECT_URL=https://127.0.0.1:PORT/introspect   also offer
#                       XOAUTH2 and OAUTHBEARER, checked by Dovecot's oauth2
#                       passdb through RFC 7662 introspection at that URL
#                       (tests/oauth/idp.py); the other mechanisms keep the
#                       passwd-file.  The URL's certificate is verified
#                       against OAUTH2_CA_FILE (default: the test CA).
#
# Every accepted recipient, of any domain, is delivered to the Maildir
# DIR/mail/sink/ (new/ holds one file per recipient).  A bare local name such
# as `root` is qualified as root@localhost and lands in the sink too.
# Users (Dovecot passwd-file, PLAIN scheme: PLAIN, LOGIN, CRAM-MD5,
# SCRAM-SHA-1, SCRAM-SHA-256 all work):
#   alice@example.org / "Tr0ub4dor&3 horse"     bob@example.org / bob-pass
#
# Ports are on 127.0.0.1 only (not ::1: a client given "localhost" may try
# ::1 first and must fall back).  No port 25.  message_size_limit is 50 MB.
# A failed AUTH is answered after up to 0.5 s (Dovecot flushes failures on a
# 500 ms timer even with auth_failure_delay = 0); its per-IP auth penalty is
# switched off, so a wrong-password test does not slow the tests after it.
# Restarting an instance keeps the mail already in its Maildir.
# Logs: DIR/log/postfix.log, DIR/log/dovecot.log.  MAILSERVER_DEBUG=1 times
# the steps.
#
# After a successful start DIR/env is a shell-sourceable file with
# SUBMISSION_PORT SMTPS_PORT PLAIN_PORT OPEN_PORT DISCARD_PORT DISCARD_SMTPS_PORT
# CCERT_PORT CA_FILE MAILDIR TEST_USER TEST_PASS TEST_USER2 TEST_PASS2 SERVER_CERT
# POSTFIX_LOG DOVECOT_LOG SERVER_DIR.
set -eu

PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
here=$(cd "$(dirname "$0")" && pwd)

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
case $2 in
/*) dir=$2 ;;
*) dir=$(pwd)/$2 ;;
esac

conf=$dir/postfix
spool=$dir/spool
data=$dir/data
dcdir=$dir/dovecot
logdir=$dir/log
sink=$dir/mail/sink

log() { echo "mailserver: $*" >&2; }
getv() { eval "printf '%s' \"\${$1:-}\""; }   # value of the variable named $1
dbg() { [ -z "${MAILSERVER_DEBUG:-}" ] || echo "mailserver: $(date +%s.%N | cut -c7-14) $*" >&2; }

# This instance's Postfix master: the pid in its pid file, if that process
# is a master started with MAIL_CONFIG=$conf (never another instance's).
postfix_pid() {
    [ -f "$spool/pid/master.pid" ] || return 1
    p=$(tr -dc 0-9 < "$spool/pid/master.pid" 2>/dev/null || true)
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
    { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null | grep -qx "MAIL_CONFIG=$conf" || return 1
    echo "$p"
}
# This instance's Dovecot master: started with -c $dcdir/dovecot.conf.
dovecot_pid() {
    [ -f "$dcdir/run/master.pid" ] || return 1
    p=$(tr -dc 0-9 < "$dcdir/run/master.pid" 2>/dev/null || true)
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
    { tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "-c $dcdir/dovecot.conf" || return 1
    echo "$p"
}

do_stop() {
    dbg stop
    # This instance's two masters, found by their own pid files (and checked
    # to be this instance's: never another one's).  "postfix stop" would
    # SIGTERM the master and poll once a second; "dovecot stop" waits
    # seconds for a graceful shutdown.  Neither is needed here: TERM both
    # masters and their children at once, wait up to 0.3 s, then KILL what
    # is left (Dovecot serves only SASL; Postfix's master lingers trying to
    # log its exit to the postlogd it just stopped).
    pids=
    if p=$(postfix_pid); then pids="$pids $p"; fi
    if p=$(dovecot_pid); then pids="$pids $p"; fi
    if [ -n "$pids" ]; then
        kids=
        for p in $pids; do kids="$kids $(pgrep -P "$p" 2>/dev/null | tr '\n' ' ')"; done
        kill -TERM $pids $kids 2>/dev/null || true
        i=0
        while [ $i -lt 6 ]; do
            alive=
            for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
            [ -n "$alive" ] || break
            sleep 0.05; i=$((i+1))
        done
        kids2=
        for p in $pids; do kids2="$kids2 $(pgrep -P "$p" 2>/dev/null | tr '\n' ' ')"; done
        kill -KILL $pids $kids $kids2 2>/dev/null || true
    fi
    dbg stopped
    rm -f "$dcdir/run/master.pid"
    # A stale postlog socket makes every postfix command retry for seconds.
    rm -f "$spool/public/postlog"
    return 0
}

free_port() {
    # Ask the kernel for a free port on 127.0.0.1 (it rarely reuses one soon).
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# listeners PORT: how many listening TCP sockets use PORT (any address).
# Postfix sets SO_REUSEPORT on its listeners, so a second instance on a port
# already in use starts without error and the kernel then spreads the
# connections over both: check before and after start.
# (reads $_ss, a snapshot taken by snap_listeners: one ss run for all ports)
snap_listeners() { _ss=$(ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }'); }
listeners() {
    printf '%s\n' "$_ss" | grep -cx -- "$1" || true
}

port_open() {
    python3 - "$@" <<'PY'
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", int(p)))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

write_config() {
    mkdir -p "$conf" "$spool" "$data" "$dcdir/run" "$logdir" "$sink/new" "$sink/cur" "$sink/tmp"
    # Postfix daemons (user postfix) and virtual(8) (user nobody) must reach DIR.
    chmod 755 "$dir" "$conf" "$spool" "$dcdir" "$logdir" "$dir/mail"
    chown postfix:postfix "$data"
    chmod 700 "$data"
    chown -R nobody:nogroup "$sink"
    chmod -R 700 "$sink"

    certdir=${CERTS_DIR:-$dir/certs}
    [ -f "$certdir/.done" ] || sh "$here/mkcerts.sh" "$certdir" >/dev/null
    chmod 755 "$certdir"
    cert=${CERT:-good}
    case $cert in
    good|wrongname|expired|selfsigned|unknownca|setup) ;;
    *) log "unknown CERT=$cert"; exit 2 ;;
    esac

    # --- Postfix: main.cf written from scratch (no copy of /etc/postfix).
    cat > "$conf/main.cf" <<EOF
# private test instance, generated by tests/server/mailserver.sh
compatibility_level = 3.6
queue_directory = $spool
data_directory = $data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-test
maillog_file = $logdir/postfix.log
maillog_file_prefixes = $logdir
myhostname = localhost
mydomain = localdomain
myorigin = localhost
mydestination =
relay_domains =
relayhost =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
recipient_delimiter =
default_transport = error:no outbound mail from the test instance
relay_transport = error:no outbound mail from the test instance

# deliver every recipient of every domain to one Maildir
virtual_mailbox_domains = static:all
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:sink/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_minimum_uid = 1
virtual_mailbox_limit = 0
mailbox_size_limit = 0
message_size_limit = 52428800

# no artificial slowness
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_rate_limit = 0
smtpd_delay_reject = yes
smtpd_banner = \$myhostname ESMTP postern-test
smtpd_helo_required = no
disable_vrfy_command = yes

# SASL through this instance's Dovecot
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = yes
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject

# TLS
smtpd_tls_chain_files = $certdir/$cert.key, $certdir/$cert-chain.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_session_cache_database =
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
tls_random_source = dev:/dev/urandom
smtp_tls_security_level = none
# CCERT_PORT: the client certificate's SHA-256 (3.6+ compatibility level)
smtpd_tls_fingerprint_digest = sha256
relay_clientcerts = texthash:$conf/relay_clientcerts
EOF
    fp=$(openssl x509 -in "$certdir/client.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
    echo "$fp postern-test-client" > "$conf/relay_clientcerts"

    # --- master.cf: only what is needed; no port 25; chroot off everywhere.
    s=127.0.0.1
    {
        cat <<EOF
# private test instance, generated by tests/server/mailserver.sh
$s:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix-test/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
$s:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix-test/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=no
$s:$PLAIN_PORT inet n - n - - smtpd
  -o syslog_name=postfix-test/plain
  -o smtpd_tls_security_level=may
  -o smtpd_tls_auth_only=no
$s:$OPEN_PORT inet n - n - - smtpd
  -o syslog_name=postfix-test/open
  -o smtpd_tls_security_level=none
  -o smtpd_sasl_auth_enable=no
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
$s:$DISCARD_PORT inet n - n - - smtpd
  -o syslog_name=postfix-test/discard
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o content_filter=discard:
$s:$DISCARD_SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix-test/discard-smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o content_filter=discard:
$s:$CCERT_PORT inet n - n - - smtpd
  -o syslog_name=postfix-test/ccert
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_CAfile=$certdir/ca.pem
  -o smtpd_sasl_auth_enable=no
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
  -o smtpd_recipient_restrictions=permit_tls_clientcerts,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    } > "$conf/master.cf"

    # Postfix commands sleep until main.cf is at least a couple of seconds
    # old (they wait out edits in progress); backdate the fresh files.
    touch -d '-10 seconds' "$conf/main.cf" "$conf/master.cf"

    # --- Dovecot: SASL only, its own base_dir, passwd-file with PLAIN passwords.
    cat > "$dcdir/passwd" <<'EOF'
alice@example.org:{PLAIN}Tr0ub4dor&3 horse::::::
bob@example.org:{PLAIN}bob-pass::::::
EOF
    chown root:dovecot "$dcdir/passwd"
    chmod 640 "$dcdir/passwd"
    inst=postern-$(printf %s "$dir" | cksum | cut -d' ' -f1)
    mechs="plain login cram-md5 scram-sha-1 scram-sha-256"
    oauth_passdb=
    if [ -n "${OAUTH2_INTROSPECT_URL:-}" ]; then
        # The auth process (user dovecot) reads the args file and the CA:
        # copies it may read (mkcerts.sh makes its files 0600).
        cp "${OAUTH2_CA_FILE:-$certdir/ca.pem}" "$dcdir/oauth2-ca.pem"
        # active_attribute: Dovecot itself checks RFC 7662's "active",
        # rather than relying on an inactive answer naming no user.
        cat > "$dcdir/oauth2.conf" <<EOF
introspection_mode = post
introspection_url = $OAUTH2_INTROSPECT_URL
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
tls_ca_cert_file = $dcdir/oauth2-ca.pem
EOF
        chmod 644 "$dcdir/oauth2.conf" "$dcdir/oauth2-ca.pem"
        oauth_passdb="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dcdir/oauth2.conf
}"
    fi
    cat > "$dcdir/dovecot.conf" <<EOF
# private test instance, generated by tests/server/mailserver.sh
instance_name = $inst
base_dir = $dcdir/run
state_dir = $dcdir/state
protocols =
ssl = no
log_path = $logdir/dovecot.log
info_log_path = $logdir/dovecot.log
auth_mechanisms = $mechs${OAUTH2_INTROSPECT_URL:+ xoauth2 oauthbearer}
auth_failure_delay = 0
disable_plaintext_auth = no
auth_verbose = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dcdir/passwd
  mechanisms = $mechs
}
$oauth_passdb
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $spool/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
# No auth penalty: after a failed login Dovecot delays the next logins from
# the same IP by up to 15 s (auth_failure_delay does not cover it), which
# would slow down every test after a wrong-password test.  The auth process
# (user dovecot) cannot open a mode-0 socket, so it disables penalties.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0600
  }
}
EOF
    mkdir -p "$dcdir/state"
}

do_start() {
    command -v postfix >/dev/null && command -v dovecot >/dev/null || {
        log "postfix/dovecot not installed: run tests/server/install-deps.sh"; exit 1; }
    [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
    mkdir -p "$dir"
    # Postfix (user postfix) and virtual(8) (user nobody) must traverse
    # every directory above DIR.  mktemp -d makes 0700 ones: below the temp
    # directory they get o+x (search only, no listing); elsewhere we stop.
    tmp=$(cd "${TMPDIR:-/tmp}" 2>/dev/null && pwd -P || echo /tmp)
    a=$(cd "$(dirname "$dir")" && pwd -P)
    while [ "$a" != / ]; do
        if [ -z "$(find "$a" -maxdepth 0 -perm -001 2>/dev/null)" ]; then
            case $a in
            "$tmp"/*|/tmp/*) chmod o+x "$a" ;;
            *) log "$a is not searchable by other users: chmod o+x it, or use another DIR"
               exit 1 ;;
            esac
        fi
        a=$(dirname "$a")
    done
    do_stop

    timeout=${STARTUP_TIMEOUT:-20}
    tries=0
    # Instances start one at a time: picking a free port and binding it are
    # two steps, and Postfix's SO_REUSEPORT lets a second instance share a
    # port silently, so two starts racing for one port must not overlap.
    exec 9>"${TMPDIR:-/tmp}/postern-mailserver.lock"
    flock -w 120 9 || { log "could not get the start lock"; exit 1; }
    while :; do
        tries=$((tries+1))
        auto=
        busy=
        snap_listeners
        for v in SUBMISSION_PORT SMTPS_PORT PLAIN_PORT OPEN_PORT DISCARD_PORT DISCARD_SMTPS_PORT CCERT_PORT; do
            val=$(getv "$v")
            # unset/auto ports, and on a retry the ones picked last time
            if [ -z "$val" ] || [ "$val" = auto ] || [ -n "$(getv "_auto_$v")" ]; then
                val=$(free_port)
                eval "$v=\$val; _auto_$v=1"
                auto=1
            fi
            case $val in
            ''|*[!0-9]*) log "$v=$val is not a port number"; exit 2 ;;
            esac
            if [ "$(listeners "$val")" != 0 ]; then
                log "$v: port $val is already in use"
                if [ -n "$(getv "_auto_$v")" ]; then busy=${busy:-auto}; else busy=fixed; fi
            fi
        done
        if [ -n "$busy" ]; then
            if [ "$busy" = auto ] && [ $tries -lt 3 ]; then continue; fi
            exit 1
        fi
        export SUBMISSION_PORT SMTPS_PORT PLAIN_PORT OPEN_PORT DISCARD_PORT DISCARD_SMTPS_PORT CCERT_PORT

        dbg write_config
        write_config
        rm -f "$dir/env"
        : > "$logdir/postfix.log"
        dbg create-missing
        # Create queue directories, then skip the (slow, system-wide)
        # integrity scan that `postfix start` would run each time.
        # (create-missing touches only this instance's queue directory.)
        postfix -c "$conf" post-install create-missing </dev/null 9>&- >/dev/null 2>&1 ||
            postfix -c "$conf" check </dev/null >/dev/null 2>&1 || true
        [ -d "$spool/private" ] || { log "queue directory not created"; exit 1; }

        dbg dovecot start
        dovecot -c "$dcdir/dovecot.conf" </dev/null 9>&- >>"$logdir/dovecot-start.out" 2>&1 || { log "dovecot failed:"; cat "$logdir/dovecot-start.out" >&2; exit 1; }
        dbg postfix start
        touch "$spool/quick-start"
        if ! postfix -c "$conf" start </dev/null 9>&- >"$logdir/postfix-start.out" 2>&1; then
            log "postfix start failed:"; cat "$logdir/postfix-start.out" >&2
            tail -n 20 "$logdir/postfix.log" >&2 || true
            do_stop; exit 1
        fi

        dbg poll
        ports="$SUBMISSION_PORT $SMTPS_PORT $PLAIN_PORT $OPEN_PORT $DISCARD_PORT $DISCARD_SMTPS_PORT $CCERT_PORT"
        t0=$(date +%s)
        up=
        while :; do
            if port_open $ports && [ -S "$spool/private/auth" ]; then
                up=1
                snap_listeners
                for p in $ports; do
                    if [ "$(listeners "$p")" != 1 ]; then
                        log "port $p was taken by someone else meanwhile"
                        up=
                    fi
                done
                break
            fi
            # A port taken by someone else: master logs "bind ... Address already in use".
            if grep -q 'Address already in use' "$logdir/postfix.log" 2>/dev/null; then break; fi
            [ $(( $(date +%s) - t0 )) -lt "$timeout" ] || break
            sleep 0.05
        done
        dbg polled
        [ -n "$up" ] && break
        log "ports not up after try $tries ($ports)"
        grep -E 'fatal|error|panic' "$logdir/postfix.log" "$logdir/dovecot.log" 2>/dev/null | tail -n 10 >&2 || true
        do_stop
        if [ -n "$auto" ] && [ $tries -lt 3 ]; then continue; fi
        exit 1
    done

    exec 9>&-
    cat > "$dir/env.tmp" <<EOF
SERVER_DIR='$dir'
SUBMISSION_PORT=$SUBMISSION_PORT
SMTPS_PORT=$SMTPS_PORT
PLAIN_PORT=$PLAIN_PORT
OPEN_PORT=$OPEN_PORT
DISCARD_PORT=$DISCARD_PORT
DISCARD_SMTPS_PORT=$DISCARD_SMTPS_PORT
CCERT_PORT=$CCERT_PORT
CA_FILE='$certdir/ca.pem'
CERTS_DIR='$certdir'
SERVER_CERT=${CERT:-good}
MAILDIR='$sink'
TEST_USER='alice@example.org'
TEST_PASS='Tr0ub4dor&3 horse'
TEST_USER2='bob@example.org'
TEST_PASS2='bob-pass'
POSTFIX_LOG='$logdir/postfix.log'
DOVECOT_LOG='$logdir/dovecot.log'
EOF
    mv "$dir/env.tmp" "$dir/env"
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
status) postfix_pid >/dev/null && dovecot_pid >/dev/null ;;
*) usage ;;
esac
