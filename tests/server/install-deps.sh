#!/bin/sh
# Install what postern's integration tests need (Debian/Ubuntu, as root).
# Idempotent and fast when everything is already installed: dpkg-query first,
# apt-get only if something is missing, `apt-get update` only when needed.
# Never leaves a package-started Postfix/Dovecot running.  tests/run-all.sh
# (and so CI) and tests/demo.sh run it; `make check` never does: a test
# whose packages are missing skips and names them (tests/integration/lib.sh
# asks with --check).
#
# Usage: tests/server/install-deps.sh [--check] [GROUP...]
#   GROUP     base     python3, openssl, unshare, ip: the scripted peer,
#                      certificates, private network namespaces
#             server   base + Postfix, Dovecot, swaks, msmtp
#             keyring  dbus, gnome-keyring, secret-tool
#             callers  base + php-cli, mutt, bsd-mailx, git send-email: real
#                      programs that run sendmail
#             dns      dnsmasq-base: a DNS server with SRV and MX records
#                      (doctor.sh; setup.sh, which also needs server and keyring)
#             net      base + microsocks: a SOCKS5 proxy (proxy = socks5://)
#             oauth    base + curl: the test identity provider's browser
#                      and control client (tests/oauth/idp.py)
#             shell    zsh: the zsh completion is tried in a real zsh
#                      (tests/integration/completion.sh)
#             (default: every group)
#   --check   only report; exit 0 if all present, 1 if something is missing.
# Env: POSTERN_EXTRA_DEPS="pkg ..." to add packages (a test that needs more
# should add them to a group here, or tests/run-all.sh will not install them).
set -eu

check=
if [ "${1:-}" = --check ]; then check=1; shift; fi
[ $# -gt 0 ] || set -- base server keyring callers dns net oauth shell
BASE_PKGS="openssl python3 ca-certificates procps util-linux iproute2"
PKGS=
for g in "$@"; do
    case $g in
    base) PKGS="$PKGS $BASE_PKGS" ;;
    server) PKGS="$PKGS $BASE_PKGS postfix dovecot-core swaks libnet-ssleay-perl
        libio-socket-ssl-perl libauthen-sasl-perl libdigest-hmac-perl msmtp" ;;
    keyring) PKGS="$PKGS dbus gnome-keyring libsecret-tools" ;;
    # git send-email dies without Mail::Address, which it only recommends
    callers) PKGS="$PKGS $BASE_PKGS php-cli mutt bsd-mailx git-email libmailtools-perl" ;;
    dns) PKGS="$PKGS dnsmasq-base" ;;
    net) PKGS="$PKGS $BASE_PKGS microsocks" ;;
    oauth) PKGS="$PKGS $BASE_PKGS curl" ;;
    shell) PKGS="$PKGS zsh" ;;
    *) echo "install-deps: unknown group $g (base, server, keyring, callers, dns, net, oauth, shell)" >&2; exit 2 ;;
    esac
done
PKGS="$PKGS ${POSTERN_EXTRA_DEPS:-}"

missing() {
    # one dpkg-query for all; unknown packages are reported on stderr only
    have=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PKGS 2>/dev/null |
           awk '$2 == "installed" { print $1 }')
    out=
    for p in $PKGS; do
        case " $(echo $have) $out " in
        *" $p "*) ;;
        *) out="$out $p" ;;
        esac
    done
    echo "$out"
}

miss=$(missing)
if [ -z "$miss" ]; then
    exit 0
fi
if [ -n "$check" ]; then
    echo "missing:$miss" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$miss (need root to install)" >&2
    exit 1
fi

# Two installs at once (say, tests/demo.sh beside tests/run-all.sh): one
# installs, the other waits and rechecks.
lock=/run/lock/postern-install-deps.lock
[ -d /run/lock ] || lock=/tmp/postern-install-deps.lock
exec 9>"$lock"
flock -w 900 9 || { echo "install-deps: could not take $lock" >&2; exit 1; }
miss=$(missing)
[ -n "$miss" ] || exit 0

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing$miss" >&2
echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections

# Make sure nothing gets started by maintainer scripts, even where no
# policy-rc.d exists. Only remove the file if we created it.
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
fi
cleanup() { [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT

apt_install() {
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $miss
}
lists_empty() { ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; }

if lists_empty; then
    apt-get update -q
fi
if ! apt_install; then
    apt-get update -q
    apt_install
fi

# Stop any system instance that a maintainer script may have started; the
# tests run their own private instances only.
if [ -x /usr/sbin/postfix ] && /usr/sbin/postfix status >/dev/null 2>&1; then
    /usr/sbin/postfix stop >/dev/null 2>&1 || true
fi
if [ -f /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    /usr/sbin/dovecot stop >/dev/null 2>&1 || kill "$(cat /run/dovecot/master.pid)" 2>/dev/null || true
fi

miss=$(missing)
if [ -n "$miss" ]; then
    echo "install-deps: still missing:$miss" >&2
    exit 1
fi
exit 0
