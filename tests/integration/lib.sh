# shellcheck shell=bash disable=SC2034
# lib.sh - sourced by postern's integration tests (bash).  TAP on stdout for
# automake's tap-driver; diagnostics as "# " lines.
#
#     . "${top_srcdir:-.}/tests/integration/lib.sh"
#     require_root_and_deps server
#     test_tmpdir; t=$TEST_TMPDIR
#
# Environment from `make check`: top_srcdir, top_builddir, POSTERN, PYTHON3.
# Do not `set -e` in tests: a failing check must be reported, not end the
# script (an unexpected exit leaves no plan, which the driver reports as an
# error -- never as a pass).  Use at_exit, never a `trap ... EXIT` of your
# own: that would replace the library's cleanup, which stops the servers
# and peers and keeps $TEST_TMPDIR when a check failed.
#
# Skips: `make check` must work as an ordinary user without network (as a
# distribution's package build runs it), so nothing here installs anything.
# A test that lacks root or packages prints "1..0 # SKIP why" and exits 0,
# which automake's tap-driver counts as SKIP (it counts exit status 77 as an
# error, not a skip).  tests/run-all.sh installs everything, runs as root
# and fails the run if anything was skipped: a skip is never a pass.
#
# Knobs:  POSTERN_KEEP_TMP=1    keep $TEST_TMPDIR (it is kept anyway when a check failed)
#         POSTERN_TEST_TIMEOUT  seconds for each `capture` (default 60)
#
# TAP:      ok VALUE NAME (pass if VALUE is non-empty and not 0),
#           check_status STATUS NAME (pass if STATUS is 0), is, isnt, like,
#           unlike, check NAME CMD..., skip, diag, bail, tap_plan_later, tap_done
# Needs:    require_root_and_deps [GROUP...] (root, the packages of those
#           groups of tests/server/install-deps.sh -- default: server -- and
#           $POSTERN), require_deps_and_postern [GROUP...] (the same without
#           root; default: base), require_servers (root and the server packages),
#           require_private_net (in_private_net works); when unmet, each
#           skips the whole test with skip_all REASON
# Cleanup:  test_tmpdir (-> $TEST_TMPDIR), at_exit "shell command"
# Servers:  server_start DIR|NAME [CERT|VAR=VALUE...], server_env, server_stop,
#           wait_for_mail N [S], mail_count, mail_files, clear_maildir
# Configs:  mk_config FILE LINE... | mk_config FILE - (stdin),
#           mk_account_config FILE [KEY=VALUE...]
# Peers:    peer_start NAME SCENARIO... [-- OPTS], peer_wait, peer_transcript,
#           proxy_start TARGET_PORT DELAY_MS
# OAuth2:   idp_start [-- OPTS], idp_control JSON, idp_count ERE
# Running:  capture CMD..., free_port, in_private_net CMD... (no listener on
#           any port of its 127.0.0.1, whatever the machine runs)
# Namespace: netns_start (-> NS, a private network namespace for the whole
#           test), ns_server DIR [VAR=VALUE...] (Postfix + Dovecot in it)

# Tests are bash scripts, but `make check` may run them with /bin/sh:
# re-run the sourcing script under bash (dash executes this line before
# parsing the rest of the file).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${POSTERN:=$top_builddir/postern}"
: "${PYTHON3:=python3}"
export top_srcdir top_builddir POSTERN PYTHON3
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

SERVER_SH=$top_srcdir/tests/server/mailserver.sh
INSTALL_DEPS_SH=$top_srcdir/tests/server/install-deps.sh
MKCERTS_SH=$top_srcdir/tests/server/mkcerts.sh
SMTP_PEER=$top_srcdir/tests/peer/smtp-peer.py
DELAY_PROXY=$top_srcdir/tests/peer/delay-proxy.py
IDP_PY=$top_srcdir/tests/oauth/idp.py
SCENARIOS=$top_srcdir/tests/peer/scenarios

# ------------------------------------------------------------------ TAP
_tap_n=0
_tap_failed=0
_tap_plan_printed=

# tap_plan_later: the plan (1..N) comes at the end, from tap_done.
tap_plan_later() { :; }

# diag TEXT...: each line as a "# " comment
diag() { local l; printf '%s\n' "$@" | while IFS= read -r l; do printf '# %s\n' "$l"; done; }

_pass() { _tap_n=$((_tap_n + 1)); printf 'ok %d - %s\n' "$_tap_n" "$1"; return 0; }
_fail() {
    _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
    printf 'not ok %d - %s\n' "$_tap_n" "$1"; return 1
}

# ok VALUE NAME: passes when VALUE is non-empty and not 0
#   ok "$([ -n "$f" ] && echo 1)" "delivered"
ok() {
    if [ -n "$1" ] && [ "$1" != 0 ]; then _pass "$2"; else _fail "$2"; fi
}

# check_status STATUS NAME: passes when STATUS (an exit status) is 0
#   cmp -s a b; check_status $? "same bytes"
check_status() {
    [ "$1" = 0 ] && { _pass "$2"; return 0; }
    _fail "$2"; diag "  status $1"; return 1
}

# check NAME CMD ARGS...: passes when the command exits 0; its output is
# shown as diagnostics when it fails.
check() {
    local name=$1 out st; shift
    out=$("$@" 2>&1); st=$?
    [ "$st" = 0 ] && { _pass "$name"; return 0; }
    _fail "$name"; diag "command: $*" "exit status: $st"; [ -z "$out" ] || diag "$out"
    return 1
}

# is GOT WANT NAME / isnt GOT UNWANTED NAME
is() {
    [ "$1" = "$2" ] && { _pass "$3"; return 0; }
    _fail "$3"; diag "  got  [$1]" "  want [$2]"; return 1
}
isnt() {
    [ "$1" != "$2" ] && { _pass "$3"; return 0; }
    _fail "$3"; diag "  got  [$1]" "  want anything else"; return 1
}

# like TEXT ERE NAME: passes when a line of TEXT matches, or TEXT with its
# newlines turned into spaces does (so /EHLO.*STARTTLS.*EHLO/ spans lines).
like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2" ||
       printf '%s' "$1" | tr '\n' ' ' | grep -Eq -- "$2"; then
        _pass "$3"; return 0
    fi
    _fail "$3"; diag "  no match for /$2/ in:"; diag "$(printf '%s\n' "$1" | head -n 30)"
    return 1
}

# unlike TEXT PATTERN NAME: passes when PATTERN occurs in TEXT neither as a
# fixed string nor as an extended regex (safe for passwords with & or .).
unlike() {
    if printf '%s\n' "$1" | grep -Fq -- "$2" ||
       printf '%s\n' "$1" | grep -Eq -- "$2" 2>/dev/null; then
        _fail "$3"; diag "  unexpected /$2/"; return 1
    fi
    _pass "$3"
}

# skip REASON [N]: N skipped checks ("ok N # SKIP REASON"): automake counts
# them as SKIP, and tests/run-all.sh fails a run that has any.
skip() {
    local why=$1 n=${2:-1} i
    for ((i = 0; i < n; i++)); do
        _tap_n=$((_tap_n + 1)); printf 'ok %d # SKIP %s\n' "$_tap_n" "$why"
    done
}

# bail REASON: abort the whole test file (the driver reports an error).
bail() { printf 'Bail out! %s\n' "$*"; exit 1; }

# tap_done: print the plan and exit (1 if a check failed or none ran).
tap_done() {
    [ "$_tap_n" -gt 0 ] || _fail "no checks ran"
    printf '1..%d\n' "$_tap_n"
    _tap_plan_printed=1
    [ "$_tap_failed" = 0 ] && exit 0
    exit 1
}

# --------------------------------------------------------------- cleanup
_cleanups=()
_servers=()
_bg_pids=()

# at_exit "shell command": run at exit (last registered runs first).
at_exit() { _cleanups+=("$1"); }

_lib_cleanup() {
    local st=$? i d p
    trap - EXIT INT TERM HUP
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" || true; done
    for p in "${_bg_pids[@]}"; do
        kill "$p" 2>/dev/null && { sleep 0.1; kill -9 "$p" 2>/dev/null; }
        wait "$p" 2>/dev/null
    done
    for d in "${_servers[@]}"; do
        sh "$SERVER_SH" stop "$d" >/dev/null 2>&1 || true
    done
    # background retriers (postern queue run --until-empty) of this test's
    # configurations must not outlive it
    [ -z "${TEST_TMPDIR:-}" ] || pkill -f "queue run --until-empty -C $TEST_TMPDIR" 2>/dev/null
    if [ -n "${TEST_TMPDIR:-}" ] && [ -d "$TEST_TMPDIR" ]; then
        if [ -n "${POSTERN_KEEP_TMP:-}" ] || [ "$_tap_failed" != 0 ] || [ -z "$_tap_plan_printed" ]; then
            printf '# test files kept in %s\n' "$TEST_TMPDIR"
        else
            rm -rf "$TEST_TMPDIR"
        fi
    fi
    exit $st
}
trap _lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# test_tmpdir: the per-test temp dir (created on first use) -> $TEST_TMPDIR
test_tmpdir() {
    if [ -z "${TEST_TMPDIR:-}" ]; then
        TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/postern-$(basename "$0" .sh).XXXXXX") ||
            bail "cannot create a temp dir"
        chmod 755 "$TEST_TMPDIR"   # Postfix (user postfix) must reach the servers in it
        export TEST_TMPDIR
    fi
}

# ------------------------------------------------------------ requirements
# skip_all REASON: the whole test is skipped ("1..0 # SKIP REASON", exit 0:
# the tap-driver counts that as one SKIP; an exit status of 77 would be an
# error to it).  Only before the first check.
skip_all() {
    printf '1..0 # SKIP %s\n' "$*"
    _tap_plan_printed=1
    exit 0
}

# require_root_and_deps [GROUP...]: root, the packages of those groups of
# tests/server/install-deps.sh (default: server) and the postern binary.
require_root_and_deps() { _require_root; _require_deps "$@"; _require_postern; }

# require_servers: what server_start needs (root and the server packages).
require_servers() { _require_root; _require_deps server; }

# require_deps_and_postern [GROUP...]: for a test that runs as any user
# (no server, no namespace): the packages of those groups and the binary.
require_deps_and_postern() { _require_deps "${@:-base}"; _require_postern; _require_loopback; }

# A build without network (a distribution's package build) may have no
# loopback either: tests that need 127.0.0.1 skip there rather than fail.
_require_loopback() {
    "$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.create_connection(s.getsockname(), timeout=2)' 2>/dev/null && return 0
    skip_all "no usable loopback (127.0.0.1): cannot listen and connect there"
}

# Postfix and Dovecot start as root and drop privileges; unshare -n, chown
# and setuid files need root too.
# POSTERN_ROOT_TESTS=no turns them off: tests/run-all.sh's make distcheck
# (the tarball's third run of the suite) after the two full passes ran them.
_require_root() {
    [ "${POSTERN_ROOT_TESTS:-yes}" = no ] &&
        skip_all "root tests turned off (POSTERN_ROOT_TESTS=no: tests/run-all.sh ran them in its two full passes)"
    [ "$(id -u)" = 0 ] && return 0
    skip_all "needs root (servers on loopback, private network namespaces); tests/run-all.sh runs it as root"
}

# The packages are checked, never installed here (no apt-get inside make check).
_require_deps() {
    local out
    out=$(sh "$INSTALL_DEPS_SH" --check "${@:-server}" 2>&1) && return 0
    skip_all "packages ${out#missing: } are not installed; tests/server/install-deps.sh (run by tests/run-all.sh) installs them"
}

# require_private_net: in_private_net works here (root is not enough in a
# container without CAP_SYS_ADMIN).
require_private_net() {
    local out
    out=$(in_private_net true 2>&1) && return 0
    skip_all "cannot make a private network namespace (unshare -n, ip link): ${out:-failed}"
}

_require_postern() {
    [ -x "$POSTERN" ] || bail "postern binary not found at $POSTERN (build it first)"
}

# ---------------------------------------------------------------- servers
# Certificates shared by every server and peer that this test starts through
# the library, so that one CA_FILE trusts them all: $CERTS_DIR, by default
# certs/ beside the first server's DIR, or $TEST_TMPDIR/certs.
ensure_certs() {
    if [ -z "${CERTS_DIR:-}" ]; then
        test_tmpdir
        CERTS_DIR=$TEST_TMPDIR/certs
    fi
    export CERTS_DIR
    [ -f "$CERTS_DIR/.done" ] || sh "$MKCERTS_SH" "$CERTS_DIR" >/dev/null 2>&1 ||
        bail "tests/server/mkcerts.sh $CERTS_DIR failed"
}

# _server_dir DIR|NAME: sets _sd (not in a subshell: test_tmpdir must stick)
_server_dir() {
    case $1 in
    */*) _sd=$1 ;;
    *) test_tmpdir; _sd=$TEST_TMPDIR/server-$1 ;;
    esac
}

# server_start [DIR|NAME] [CERT | VAR=VALUE ...]: a private Postfix + Dovecot
# in DIR (a path) or $TEST_TMPDIR/server-NAME (default NAME: main), on free
# ports unless given; CERT (good wrongname expired selfsigned unknownca) or
# VAR=VALUE settings for mailserver.sh:
#     server_start "$t/srv"            server_start bad CERT=expired
#     server_start "$t/wrong" wrongname
# Then its env is loaded: SUBMISSION_PORT SMTPS_PORT PLAIN_PORT OPEN_PORT
# DISCARD_PORT DISCARD_SMTPS_PORT CCERT_PORT CA_FILE CERTS_DIR MAILDIR TEST_USER
# TEST_PASS TEST_USER2 TEST_PASS2 POSTFIX_LOG DOVECOT_LOG SERVER_DIR.
# Servers started here are stopped at exit (unless the test replaced the
# library's EXIT trap: then stop them yourself).
server_start() {
    local dir out
    _server_dir "${1:-main}"; dir=$_sd
    [ $# -gt 0 ] && shift
    local -a settings=()
    if [ $# -gt 0 ] && [ "${1#*=}" = "$1" ]; then settings=("CERT=$1"); shift; fi
    settings+=("$@")
    [ -n "${CERTS_DIR:-}" ] || { mkdir -p "$(dirname "$dir")"; CERTS_DIR=$(dirname "$dir")/certs; }
    ensure_certs
    # Postfix and Dovecot drop privileges: they must be able to reach DIR.
    mkdir -p "$(dirname "$dir")" && chmod go+x "$(dirname "$dir")"
    _servers+=("$dir")
    if ! out=$(env -u SUBMISSION_PORT -u SMTPS_PORT -u PLAIN_PORT -u OPEN_PORT \
                   -u DISCARD_PORT -u DISCARD_SMTPS_PORT -u CCERT_PORT -u CERT \
                   CERTS_DIR="$CERTS_DIR" "${settings[@]}" \
                   sh "$SERVER_SH" start "$dir" </dev/null 2>&1); then
        diag "$out"
        bail "could not start the test mail server in $dir"
    fi
    server_env "$dir"
}

# server_env [DIR|NAME]: load a started server's env (to switch between two).
server_env() {
    local f
    _server_dir "${1:-main}"; f=$_sd/env
    [ -f "$f" ] || bail "no server started in ${f%/env}"
    # shellcheck disable=SC1090
    . "$f"
}

# server_stop [DIR|NAME]
server_stop() {
    _server_dir "${1:-main}"
    sh "$SERVER_SH" stop "$_sd" >/dev/null 2>&1 || true
}

# mail_count: files in the current server's Maildir new/
mail_count() {
    local n
    n=$(find "$MAILDIR/new" -maxdepth 1 -type f 2>/dev/null | wc -l)
    echo $((n))
}

# wait_for_mail N [SECONDS]: until the Maildir holds at least N messages
# (default 20 s).  Returns 1 on timeout (with a diagnostic).
wait_for_mail() {
    local want=$1 limit=${2:-20} end
    end=$(($(date +%s) + limit))
    while [ "$(mail_count)" -lt "$want" ]; do
        if [ "$(date +%s)" -ge "$end" ]; then
            diag "wait_for_mail: $(mail_count) of $want messages after ${limit}s in $MAILDIR"
            [ -f "${POSTFIX_LOG:-}" ] && diag "$(tail -n 15 "$POSTFIX_LOG")"
            return 1
        fi
        sleep 0.05
    done
    return 0
}

# mail_files: every message file in the Maildir, oldest first
mail_files() {
    ls -tr "$MAILDIR/new" 2>/dev/null | sed "s|^|$MAILDIR/new/|"
}

# clear_maildir: forget delivered messages (between checks)
clear_maildir() {
    find "$MAILDIR/new" "$MAILDIR/cur" -maxdepth 1 -type f -delete 2>/dev/null
}

# ----------------------------------------------------------------- config
# mk_config FILE LINE...: a postern configuration made of these lines, mode 0600.
#     mk_config "$t/a.ini" "[a]" "host = localhost" "port = $SUBMISSION_PORT"
# mk_config FILE - : the configuration from stdin (mode 0600).
mk_config() {
    local f=$1
    shift
    if [ "$#" = 1 ] && [ "$1" = - ]; then
        (umask 077; cat > "$f")
    else
        (umask 077; printf '%s\n' "$@" > "$f")
    fi
    chmod 600 "$f"
}

# mk_account_config FILE [KEY=VALUE ...]: a complete configuration for the
# current server (mode 0600): [defaults] default_account = work,
# tls_ca_file = $CA_FILE, timeout = 30, queue = never (the queue turns
# failures into "queued": tests/integration/queue.sh tests that); [work]
# host = localhost, port = $SUBMISSION_PORT, tls = starttls, auth = on,
# user/password/from = $TEST_USER/$TEST_PASS/$TEST_USER.  KEY=VALUE sets a key of [work]
# (defaults.KEY=VALUE: of [defaults]); KEY= (empty) leaves the key out.
#     mk_account_config "$t/c.ini" port=$SMTPS_PORT tls=implicit
#     mk_account_config "$t/c.ini" port=$PLAIN_PORT tls=off password=wrong
mk_account_config() {
    local file=$1 kv key val k; shift
    local -A D=() W=()
    local -a dorder=(default_account tls_ca_file timeout queue) worder=(host port tls auth user password from)
    D[default_account]=work
    D[tls_ca_file]=${CA_FILE:-${CERTS_DIR:-.}/ca.pem}
    D[timeout]=30
    # the engine's and the keeping's tests see failures as they are, not as
    # the queue turns them (tests/integration/queue.sh tests that)
    D[queue]=never
    W[host]=localhost
    W[port]=${SUBMISSION_PORT:-587}
    W[tls]=starttls
    W[auth]=on
    W[user]=${TEST_USER:-alice@example.org}
    W[password]=${TEST_PASS:-Tr0ub4dor&3 horse}
    W[from]=${TEST_USER:-alice@example.org}
    for kv in "$@"; do
        key=${kv%%=*}; val=${kv#*=}
        [ "$key" != "$kv" ] || bail "mk_account_config: not KEY=VALUE: $kv"
        if [ "${key#defaults.}" != "$key" ]; then
            k=${key#defaults.}
            [ -n "${D[$k]+x}" ] || dorder+=("$k")
            if [ -z "$val" ]; then unset "D[$k]"; else D[$k]=$val; fi
        else
            [ -n "${W[$key]+x}" ] || worder+=("$key")
            if [ -z "$val" ]; then unset "W[$key]"; else W[$key]=$val; fi
        fi
    done
    (
        umask 077
        {
            echo "[defaults]"
            for k in "${dorder[@]}"; do [ -z "${D[$k]+x}" ] || echo "$k = ${D[$k]}"; done
            echo
            echo "[${D[default_account]:-work}]"
            for k in "${worder[@]}"; do [ -z "${W[$k]+x}" ] || echo "$k = ${W[$k]}"; done
        } > "$file"
    )
    chmod 600 "$file"
}

# ---------------------------------------------------------------- running
# free_port: a port on 127.0.0.1 that nobody listens on (now)
free_port() {
    "$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# in_private_net CMD ARGS...: run CMD in a network namespace of its own
# whose loopback is up and empty: every port of 127.0.0.1 (25 included) is
# closed there, whatever the machine runs (Debian's exim4 listens on 25).
# Root only (require_root_and_deps, require_private_net).  Its status is CMD's.
in_private_net() {
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
}

# netns_start: a private network namespace for the rest of the test (its
# first process, a sleep, holds it; it ends with the test); sets NS, the
# command prefix that runs a command in it (nsenter --net=...), and brings
# its loopback up.  Unlike in_private_net, the servers and clients of many
# commands meet there, on real port numbers (465, 587, 53, 443...) that are
# free whatever the machine runs.  Root only (require_private_net).
netns_start() {
    local i
    ( exec unshare -n sleep 3600 ) & NS_PID=$!
    _bg_pids+=("$NS_PID")
    for ((i = 0; i < 40; i++)); do
        [ "$(readlink "/proc/$NS_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.05
    done
    NS=(nsenter "--net=/proc/$NS_PID/ns/net")
    "${NS[@]}" ip link set lo up || bail "cannot bring up the namespace's loopback"
}

# ns_server DIR [VAR=VALUE...]: start (or restart) a Postfix + Dovecot in
# DIR inside the namespace of netns_start, with those mailserver.sh settings
# (SMTPS_PORT=465 ...; the ports not given: free high ports there), then
# load its env.  Stopped at exit.
ns_server() {
    local dir=$1 out d; shift
    ensure_certs
    for d in "${_servers[@]}"; do [ "$d" = "$dir" ] && break; done
    [ "${d:-}" = "$dir" ] || _servers+=("$dir")
    out=$("${NS[@]}" env -u SUBMISSION_PORT -u SMTPS_PORT -u PLAIN_PORT -u OPEN_PORT \
        -u DISCARD_PORT -u DISCARD_SMTPS_PORT -u CCERT_PORT -u CERT CERTS_DIR="$CERTS_DIR" "$@" \
        sh "$SERVER_SH" start "$dir" </dev/null 2>&1) || { diag "$out"; bail "mail server in the namespace did not start"; }
    server_env "$dir"
}

# capture CMD ARGS...: run with a time limit (POSTERN_TEST_TIMEOUT, default
# 60 s), stdin passed through; sets CAP_RC, CAP_OUT (stdout), CAP_ERR
# (stderr).  Never fails itself.
capture() {
    test_tmpdir
    local o=$TEST_TMPDIR/capture.out e=$TEST_TMPDIR/capture.err
    timeout -k 5 "${POSTERN_TEST_TIMEOUT:-60}" "$@" >"$o" 2>"$e"
    CAP_RC=$?
    CAP_OUT=$(cat "$o")
    CAP_ERR=$(cat "$e")
    [ "$CAP_RC" = 124 ] && diag "capture: timed out: $*"
    return 0
}

# ------------------------------------------------------------------ peers
# _wait_port_file FILE PID: until the helper PID wrote its port into FILE
# (up to 5 s); fails when it died or took longer.
_wait_port_file() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.025
    done
    [ -s "$1" ]
}

# peer_start NAME SCENARIO... [-- extra smtp-peer.py options]: start a
# scripted SMTP server on a free port.  SCENARIO is a file or a name in
# tests/peer/scenarios (without .scn).  Sets PEER_PORT PEER_PID PEER_LOG
# PEER_DATA.  It serves one connection (pass -- --count N for more).
peer_start() {
    local name=$1 s pf; shift
    local -a scen=() extra=()
    while [ $# -gt 0 ]; do
        if [ "$1" = -- ]; then shift; extra=("$@"); break; fi
        s=$1; [ -f "$s" ] || s=$SCENARIOS/$1.scn
        [ -f "$s" ] || bail "peer_start: no scenario $1"
        scen+=("$s"); shift
    done
    ensure_certs
    pf=$TEST_TMPDIR/peer-$name.port
    PEER_LOG=$TEST_TMPDIR/peer-$name.log
    PEER_DATA=$TEST_TMPDIR/peer-$name.data
    rm -f "$pf" "$PEER_LOG" "$PEER_DATA"
    "$PYTHON3" "$SMTP_PEER" --port-file "$pf" --log "$PEER_LOG" --data-file "$PEER_DATA" \
        --certs-dir "$CERTS_DIR" "${extra[@]}" "${scen[@]}" \
        </dev/null >>"$TEST_TMPDIR/peer-$name.out" 2>&1 &
    PEER_PID=$!
    _bg_pids+=("$PEER_PID")
    _wait_port_file "$pf" "$PEER_PID" || { diag "$(cat "$TEST_TMPDIR/peer-$name.out" 2>/dev/null)"; bail "peer $name did not start"; }
    PEER_PORT=$(cat "$pf")
}

# peer_wait [SECONDS]: wait for the last started peer to finish (default
# 30 s; killed after that) and return its exit status (0 = scenario ran to
# the end, 1 = a step failed, 3 = nobody connected).  Sets PEER_RC.
peer_wait() {
    local limit=${1:-30} i
    for ((i = 0; i < limit * 20; i++)); do
        kill -0 "$PEER_PID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$PEER_PID" 2>/dev/null; then
        kill "$PEER_PID" 2>/dev/null
        diag "peer_wait: peer still running after ${limit}s, killed"
    fi
    wait "$PEER_PID" 2>/dev/null
    PEER_RC=$?
    return $PEER_RC
}

# peer_transcript: the last peer's transcript, as diagnostics
peer_transcript() { diag "--- peer transcript ($PEER_LOG)"; diag "$(cat "$PEER_LOG" 2>/dev/null)"; }

# proxy_start TARGET_PORT DELAY_MS: a delay proxy in front of TARGET_PORT
# (one-way delay DELAY_MS, so RTT + 2*DELAY_MS).  Sets PROXY_PORT PROXY_PID.
proxy_start() {
    test_tmpdir
    local pf=$TEST_TMPDIR/proxy.$$.$RANDOM.port
    "$PYTHON3" "$DELAY_PROXY" 0 "$1" "$2" --port-file "$pf" --quiet \
        </dev/null >>"$TEST_TMPDIR/proxy.out" 2>&1 &
    PROXY_PID=$!
    _bg_pids+=("$PROXY_PID")
    _wait_port_file "$pf" "$PROXY_PID" || bail "delay proxy did not start"
    PROXY_PORT=$(cat "$pf")
}

# ------------------------------------------------------------------ OAuth2
# idp_start [-- idp.py options]: the test identity provider
# (tests/oauth/idp.py) on a free port of 127.0.0.1, HTTPS with the shared
# test certificates (start it before server_start so that one CA trusts
# both; give the server OAUTH2_INTROSPECT_URL=$IDP_URL/introspect).  Sets
# IDP_PORT IDP_URL (https://127.0.0.1:PORT) IDP_LOG (one line per request:
# see idp.py) IDP_PID IDP_CLIENT_ID.
idp_start() {
    local pf
    [ "${1:-}" = -- ] && shift
    ensure_certs
    pf=$TEST_TMPDIR/idp.port
    IDP_LOG=$TEST_TMPDIR/idp.log
    IDP_CLIENT_ID=postern-test-client
    rm -f "$pf" "$IDP_LOG"
    "$PYTHON3" "$IDP_PY" --certs-dir "$CERTS_DIR" --port-file "$pf" --log "$IDP_LOG" \
        --client-id "$IDP_CLIENT_ID" "$@" </dev/null >>"$TEST_TMPDIR/idp.out" 2>&1 &
    IDP_PID=$!
    _bg_pids+=("$IDP_PID")
    _wait_port_file "$pf" "$IDP_PID" || { diag "$(cat "$TEST_TMPDIR/idp.out" 2>/dev/null)"; bail "identity provider did not start"; }
    IDP_PORT=$(cat "$pf")
    IDP_URL=https://127.0.0.1:$IDP_PORT
}

# idp_control JSON: tell the identity provider to expire, revoke, rotate,
# delay, fail... (see tests/oauth/idp.py); prints its state as JSON.
# Fails (status 1, a diagnostic) when it does not answer.
idp_control() {
    curl -sS --fail --max-time 10 --cacert "$CERTS_DIR/ca.pem" -H 'Content-Type: application/json' \
        --data-binary "$1" "$IDP_URL/control" || { diag "idp_control $1: no answer"; return 1; }
}

# idp_count ERE: how many lines of the identity provider's log match
idp_count() {
    local n
    n=$(grep -cE -- "$1" "$IDP_LOG" 2>/dev/null)
    echo $((n))
}

# --------------------------------------------------------------- keyring
# A real keyring in a private D-Bus session: dbus-run-session (whose child,
# a sleep, writes the bus address first; ending the sleep ends the session
# and its bus), then gnome-keyring-daemon on that bus.  Needs HOME and
# XDG_RUNTIME_DIR of the test (packages dbus gnome-keyring libsecret-tools).

# session_bus_start: export DBUS_SESSION_BUS_ADDRESS of a new session bus;
# sets SESSION_PID and BUS_PID; the session ends at exit.
session_bus_start() {
    local i d
    test_tmpdir
    d=$TEST_TMPDIR
    dbus-run-session -- sh -c 'echo "$DBUS_SESSION_BUS_ADDRESS" > "$1.tmp"; mv "$1.tmp" "$1"; echo $$ > "$2"; exec sleep 100000' \
        sh "$d/bus.addr" "$d/bus.holder" </dev/null >/dev/null 2>"$d/dbus.log" &
    SESSION_PID=$!
    for ((i = 0; i < 100; i++)); do [ -s "$d/bus.holder" ] && [ -s "$d/bus.addr" ] && break; sleep 0.05; done
    [ -s "$d/bus.addr" ] || bail "dbus-run-session did not start: $(cat "$d/dbus.log")"
    DBUS_SESSION_BUS_ADDRESS=$(cat "$d/bus.addr")
    export DBUS_SESSION_BUS_ADDRESS
    BUS_PID=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.DBus | awk '/uint32/ { print $2 }')
    at_exit _session_bus_end
}
# At exit: end the holder, let dbus-run-session stop its bus, and make sure.
_session_bus_end() {
    local i
    kill "$(cat "$TEST_TMPDIR/bus.holder")" 2>/dev/null
    for ((i = 0; i < 40; i++)); do kill -0 "$SESSION_PID" 2>/dev/null || break; sleep 0.05; done
    kill "$SESSION_PID" 2>/dev/null
    [ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
    wait "$SESSION_PID" 2>/dev/null
}

# bus_has_secrets: whether a Secret Service owns its name on the bus
bus_has_secrets() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
keyring_pid() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
        awk '/uint32/ { print $2 }'
}
# keyring_start: gnome-keyring-daemon, unlocked with KEYRING_PASS (default
# unlock-me; creating the login keyring the first time), then wait until
# it owns its bus name; sets KEYRING_PID, killed at exit.  Status 1 when
# it does not come up.
keyring_start() {
    local i
    printf %s "${KEYRING_PASS:-unlock-me}" |
        gnome-keyring-daemon --unlock --components=secrets >"$TEST_TMPDIR/gkd.env" 2>>"$TEST_TMPDIR/gkd.log"
    for ((i = 0; i < 100; i++)); do bus_has_secrets && break; sleep 0.05; done
    bus_has_secrets || return 1
    KEYRING_PID=$(keyring_pid)
    at_exit "kill $KEYRING_PID 2>/dev/null"
}
