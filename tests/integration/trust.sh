#!/bin/bash
# Where postern finds trusted CAs when tls_ca_file is not set, against the
# real Postfix + Dovecot on loopback (certificate from a throwaway CA): the
# SSL_CERT_FILE and SSL_CERT_DIR variables, and the layouts of the
# distributions, made by bind-mounting a fake certificate tree over this
# OpenSSL's own (in a private mount namespace: `unshare -m`):
#   Fedora/RHEL-like  the default directory holds bundles but no hash links,
#                     the default file (cert.pem) holds the CA
#   openSUSE/Alpine   no default file either: /etc/ssl/ca-bundle.pem or
#                     /etc/ssl/cert.pem
#   Debian-like       the default directory has hash links (the fast path:
#                     the bundle is then not read at all)
# An untrusted server is refused with exit 69 and a message naming the
# store that was used; nothing loadable, or an SSL_CERT_FILE that cannot be
# loaded, says what to do.  Root (mounts, servers).  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
mkdir -p "$HOME"
server_start "$t/srv"
other_ca=$CERTS_DIR/other-ca.pem

# This OpenSSL's defaults (X509_get_default_cert_dir/_file are OPENSSLDIR's
# certs and cert.pem) and, symlinks resolved, the tree the fake layouts
# replace: on Debian /usr/lib/ssl/certs -> /etc/ssl/certs, and cert.pem ->
# /etc/ssl/certs/ca-certificates.crt, so the fake /etc/ssl holds both.
ssldir=$(openssl version -d | sed -n 's/^OPENSSLDIR: "\(.*\)"$/\1/p')
[ -n "$ssldir" ] || bail "cannot read OPENSSLDIR from openssl version -d"
def_dir=$ssldir/certs
def_file=$ssldir/cert.pem
real_dir=$(readlink -f "$def_dir")
ssl_root=$(dirname "$real_dir")
file_target=$(readlink -f "$def_file")
case $file_target in
"$ssl_root"/*) file_rel=${file_target#"$ssl_root"/} ;;
*) bail "the default file $def_file resolves to $file_target, outside $ssl_root: this rig cannot model it" ;;
esac
diag "OpenSSL defaults: $def_dir -> $real_dir, $def_file -> $file_target; fake layouts replace $ssl_root"

certs_rel=${real_dir#"$ssl_root"/}

# layout NAME: an empty fake $ssl_root (with the real openssl.cnf) in $t/NAME
layout() {
    mkdir -p "$t/$1/$certs_rel"
    [ ! -f "$ssl_root/openssl.cnf" ] || cp "$ssl_root/openssl.cnf" "$t/$1/"
}
# fedora_like NAME CA: bundles in the directory, no hash links; the default
# file holds CA.
fedora_like() {
    layout "$1"
    cp "$2" "$t/$1/$file_rel"
    cp "$2" "$t/$1/$certs_rel/ca-bundle.crt"
    echo "# certificates are in the bundle files" > "$t/$1/$certs_rel/README"
}
# hashed_dir DIR CA: CA in DIR with its hash link (openssl rehash)
hashed_dir() {
    mkdir -p "$1"
    cp "$2" "$1/ca.pem"
    openssl rehash "$1" >/dev/null 2>&1 || bail "openssl rehash $1 failed"
}

fedora_like fedora "$CA_FILE"
fedora_like fedora-untrusted "$other_ca"
# Debian-like: the CA in the default directory with its hash link
layout debian
hashed_dir "$t/debian/$certs_rel" "$CA_FILE"
# hash links to the other CA, yet the default bundle would trust the server:
# a hashed directory is used alone, the bundle is not read.
layout debian-fast
hashed_dir "$t/debian-fast/$certs_rel" "$other_ca"
cp "$CA_FILE" "$t/debian-fast/$file_rel"
layout suse
cp "$CA_FILE" "$t/suse/ca-bundle.pem"
layout alpine
cp "$CA_FILE" "$t/alpine/cert.pem"
layout empty
echo "not a certificate" > "$t/empty/$certs_rel/README"
hashed=$t/hashed
hashed_dir "$hashed" "$CA_FILE"
hashed_bad=$t/hashed-untrusted
hashed_dir "$hashed_bad" "$other_ca"
# hash_links DIR: succeeds when DIR holds an entry named like 5ad8a5d6.0
hash_links() {
    find "$1" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9a-f]{8}\.[0-9]+' | grep -q .
}
hash_links "$hashed"; check_status $? "rig: openssl rehash made a hash link"

# No tls_ca_file: the store is the system's.
mk_account_config "$t/c.ini" defaults.tls_ca_file=

# in_layout ROOT: the command prefix that runs a command in a private mount
# namespace where ROOT is bound over $ssl_root (the rest of the machine
# sees nothing of it).  Sets the array IN_LAYOUT.
in_layout() {
    # shellcheck disable=SC2016 # expanded by the inner sh
    IN_LAYOUT=(unshare -m --propagation private sh -c
               'mount --bind "$1" "$2" || exit 97; shift 2; exec "$@"' sh "$1" "$ssl_root")
}

# The rig itself: inside, OpenSSL's directory is the fake one.
in_layout "$t/fedora"
capture "${IN_LAYOUT[@]}" ls "$def_dir"
is "$(printf '%s\n' "$CAP_OUT" | paste -sd ' ')" "README ca-bundle.crt ca-certificates.crt" "rig: Fedora-like default dir inside the namespace"
hash_links "$real_dir"; check_status $? "rig: the machine's own directory still has its hash links"

sent=0
# send NAME LAYOUT|- [VAR=VALUE...]: postern without SSL_CERT_FILE and
# SSL_CERT_DIR from the caller, plus VAR=VALUE, in LAYOUT ("-": the machine's
# own store); the message's Subject is "trust NAME".  Sets CAP_*.
send() {
    local name=$1 root=$2; shift 2
    local -a cmd=(env -u SSL_CERT_FILE -u SSL_CERT_DIR "$@" "$POSTERN" -C "$t/c.ini" bob@example.org)
    printf 'Subject: trust %s\n\nsent with %s\n' "$name" "$name" > "$t/msg-$name"
    if [ "$root" = - ]; then
        capture "${cmd[@]}" < "$t/msg-$name"
    else
        in_layout "$root"
        capture "${IN_LAYOUT[@]}" "${cmd[@]}" < "$t/msg-$name"
    fi
}

# delivered NAME: exit 0 and the message is in the Maildir
delivered() {
    local name=$1 f
    is "$CAP_RC" 0 "$name: exit 0" || diag "$CAP_ERR"
    # a failed send delivers nothing: no point waiting for it
    [ "$CAP_RC" = 0 ] && sent=$((sent + 1)) && wait_for_mail "$sent"
    f=$(grep -l "^Subject: trust $name\$" "$MAILDIR"/new/* 2>/dev/null | head -n 1)
    ok "$([ -n "$f" ] && echo 1)" "$name: delivered"
}

# refused NAME STORE: exit 69, the untrusted-issuer message naming STORE
# (a fixed string), and nothing delivered
refused() {
    local name=$1 store=$2 want
    is "$CAP_RC" 69 "$name: exit 69"
    want="is not signed by a CA in $store; if this is your own server, set tls_ca_file"
    if printf '%s\n' "$CAP_ERR" | grep -Fq -- "$want"; then
        _pass "$name: the message names the store ($store)"
    else
        _fail "$name: the message names the store ($store)"; diag "want: $want" "got: $CAP_ERR"
    fi
    like "$CAP_ERR" '\(DNS:localhost, IP:127\.0\.0\.1, issued by CN = postern test CA\)' \
        "$name: and the server's names and issuer"
    sleep 0.2
    is "$(grep -l "^Subject: trust $name\$" "$MAILDIR"/new/* 2>/dev/null | wc -l)" 0 "$name: nothing delivered"
}

# (a) SSL_CERT_FILE
send env-file - SSL_CERT_FILE="$CA_FILE"
delivered env-file
send env-file-untrusted - SSL_CERT_FILE="$other_ca"
refused env-file-untrusted "the system's CA store (SSL_CERT_FILE = $other_ca)"

# (b) SSL_CERT_DIR, hashed
send env-dir - SSL_CERT_DIR="$hashed"
delivered env-dir
send env-dir-untrusted - SSL_CERT_DIR="$hashed_bad"
refused env-dir-untrusted "the system's CA store (SSL_CERT_DIR = $hashed_bad)"
# both: the file trusts the server, the directory does not: both are used
send env-both - SSL_CERT_FILE="$CA_FILE" SSL_CERT_DIR="$hashed_bad"
delivered env-both
send env-both-dir - SSL_CERT_FILE="$other_ca" SSL_CERT_DIR="$hashed"
delivered env-both-dir
# and they apply in any layout, even one where nothing else is loadable
send env-file-empty-layout "$t/empty" SSL_CERT_FILE="$CA_FILE"
delivered env-file-empty-layout

# (c) Fedora/RHEL-like: the default dir exists without hash links
send fedora "$t/fedora"
delivered fedora
send fedora-untrusted "$t/fedora-untrusted"
refused fedora-untrusted "the system's CA store ($def_file)"
# no default file either: the distributions' bundle locations
send opensuse "$t/suse"
delivered opensuse
send alpine "$t/alpine"
delivered alpine

# (d) Debian-like: hash links in the default dir
send debian "$t/debian"
delivered debian
send debian-fast "$t/debian-fast"
refused debian-fast "the system's CA store ($def_dir)"

# (e) the machine's own store does not know the throwaway CA
send system -
refused system "the system's CA store ($def_dir)"

# Nothing loadable: exit 69, what was tried and the fixes.
send empty "$t/empty"
is "$CAP_RC" 69 "nothing loadable: exit 69"
like "$CAP_ERR" "no trusted CA certificates found: the directory $def_dir holds no hash links \\(or is missing\\) and none of $def_file, " \
    "nothing loadable: says what was tried"
like "$CAP_ERR" 'install your distribution.s CA certificates \(ca-certificates\), or set tls_ca_file' \
    "nothing loadable: and the fixes"

# An SSL_CERT_FILE that cannot be loaded is a configuration error (78).
send env-missing - SSL_CERT_FILE="$t/no-such.pem"
is "$CAP_RC" 78 "SSL_CERT_FILE missing: exit 78"
like "$CAP_ERR" "cannot load CA certificates from SSL_CERT_FILE = $t/no-such.pem: No such file or directory; point SSL_CERT_FILE at a PEM bundle, or unset it" \
    "SSL_CERT_FILE missing: names it and the fix"

# tls_ca_file is used alone: the variables do not widen or replace it.
mk_account_config "$t/c.ini" defaults.tls_ca_file="$CA_FILE"
send ca-file-wins - SSL_CERT_FILE="$other_ca" SSL_CERT_DIR="$hashed_bad"
delivered ca-file-wins
mk_account_config "$t/c.ini" defaults.tls_ca_file="$other_ca"
send ca-file-alone "$t/debian" SSL_CERT_FILE="$CA_FILE" SSL_CERT_DIR="$hashed"
refused ca-file-alone "$other_ca (tls_ca_file)"

tap_done
