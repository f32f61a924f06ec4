#!/bin/bash
# Which account sends a message, through the real binary: -a, -f, the
# message's From, default_account, under each account_by_from mode.  The
# two accounts point at two different closed ports on loopback, so the
# error names the port, and with it the account that was picked; no server
# is needed.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_deps_and_postern base

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home XDG_CONFIG_HOME=$t/home/.config
mkdir -p "$HOME"

site=$(free_port)
boss=$(free_port)
while [ "$boss" = "$site" ]; do boss=$(free_port); done

# A web form's message: its From names the other account.
msg=$t/msg
printf 'From: The Boss <boss@example.org>\nSubject: contact form\n\nhello\n' > "$msg"

# config MODE: [site] is the default account; [boss] has the From's address.
config() {
	mk_config "$t/c.ini" "[defaults]" "queue = never" "default_account = site" ${1:+"account_by_from = $1"} \
		"[site]" "host = 127.0.0.1" "port = $site" "tls = off" "from = site@example.org" \
		"[boss]" "host = 127.0.0.1" "port = $boss" "tls = off" "from = boss@example.org"
}

# picks WANT NAME ARGS...: postern ARGS sends through the account WANT
# (it fails with exit 69 on that account's closed port, and only that one).
picks() {
	local want=$1 name=$2 port other
	shift 2
	port=${!want}
	[ "$want" = site ] && other=$boss || other=$site
	capture "$POSTERN" -C "$t/c.ini" -i "$@" -- bob@example.org < "$msg"
	is "$CAP_RC" 69 "$name: exit 69 (the closed port)"
	like "$CAP_ERR" "127\\.0\\.0\\.1 port $port \\(" "$name: [$want] is used"
	unlike "$CAP_ERR" "port $other \\(" "$name: the other account is not tried"
}

config ""
picks boss "account_by_from unset (yes): the message's From picks [boss]"
picks site "yes: -f picks [site] over the From"          -f site@example.org
picks site "yes: an -f matching no account does not let the From pick" -f nobody@example.org
picks site "yes: -a site wins over the From"             -a site

config yes
picks boss "account_by_from = yes: the From picks [boss]"

config envelope
picks site "envelope: the From does not pick; default_account"
picks boss "envelope: -f picks [boss]"                   -f boss@example.org

config no
picks site "no: the From does not pick; default_account"
picks site "no: -f does not pick either"                 -f boss@example.org
picks boss "no: -a boss still works"                     -a boss

mk_config "$t/c.ini" "[defaults]" "queue = never" "default_account = site" \
	"[site]" "host = 127.0.0.1" "port = $site" "tls = off" "account_by_from = no"
capture "$POSTERN" -C "$t/c.ini" -i -- bob@example.org < "$msg"
is "$CAP_RC" 78 "account_by_from in an account: exit 78"
like "$CAP_ERR" "c\\.ini:8: account_by_from belongs in \\[defaults\\], not in an account" \
	"account_by_from in an account: file:line and what to do"

tap_done
