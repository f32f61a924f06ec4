#!/bin/bash
# postern import-msmtprc against a real Postfix + Dovecot and a real
# keyring: a msmtprc found where msmtp finds it is converted (--dry-run
# first, then written 0600 in a 0700 directory), the warnings are exact,
# and the converted accounts send: one with the password in the file, one
# with implicit TLS inherited through "account X : Y", and one whose
# password msmtp keeps in gnome-keyring (stored with secret-tool under
# msmtp's schema).  Then the refusals: an existing target (73, unchanged),
# no msmtprc (66), a malformed one (78 with file:line).  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"

require_root_and_deps server keyring
for c in dbus-run-session dbus-send gnome-keyring-daemon secret-tool; do
	command -v "$c" >/dev/null || bail "$c not found (packages dbus gnome-keyring libsecret-tools)"
done

test_tmpdir
t=$TEST_TMPDIR
server_start main
export HOME=$t/home
export XDG_RUNTIME_DIR=$t/run
unset XDG_CONFIG_HOME MSMTPRC
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
show() { diag "exit $CAP_RC" "$CAP_ERR" "$CAP_OUT"; }

# ------------------------------------------------------------ the msmtprc
# Written as a msmtp user would, for this server: defaults, a template
# without host, inheritance, msmtp's default account, and keys postern
# does not take (each must be named in a warning).
cat > "$HOME/.msmtprc" <<EOF
# msmtp's configuration, converted by postern's test
defaults
tls on
tls_starttls on
tls_trust_file $CA_FILE
port $SUBMISSION_PORT
logfile ~/mail.log

account common
auth on
timeout 30

account file : common
host localhost
user $TEST_USER
password $TEST_PASS
from $TEST_USER
dsn_notify failure

account implicit : file
port $SMTPS_PORT
tls_starttls off
tls_crl_file /nonexistent.crl

account keyring : common
host localhost
user $TEST_USER2
from $TEST_USER2

account default : file
EOF
chmod 600 "$HOME/.msmtprc"
RC=$HOME/.msmtprc
TARGET=$HOME/.config/postern/config.ini

WANT_INI="; converted from an msmtp configuration by postern import-msmtprc

[defaults]
default_account = file

[file]
host = localhost
port = $SUBMISSION_PORT
tls = starttls
timeout = 30
user = $TEST_USER
auth = on
password = $TEST_PASS
tls_ca_file = $CA_FILE
from = $TEST_USER
rewrite_from = never
log = $HOME/mail.log

[implicit]
host = localhost
port = $SMTPS_PORT
tls = implicit
timeout = 30
user = $TEST_USER
auth = on
password = $TEST_PASS
tls_ca_file = $CA_FILE
from = $TEST_USER
rewrite_from = never
log = $HOME/mail.log

[keyring]
host = localhost
port = $SUBMISSION_PORT
tls = starttls
timeout = 30
user = $TEST_USER2
auth = on
tls_ca_file = $CA_FILE
from = $TEST_USER2
rewrite_from = never
log = $HOME/mail.log"
WANT_WARN="postern: $RC:9: account: not converted: common has no host: msmtp uses it only to pass settings on to accounts that name it, which have them in postern
postern: $RC:18: dsn_notify: not converted: postern asks for delivery status notifications only when the command line says so (-N failure)
postern: $RC:23: tls_crl_file: not converted: postern reads no CRL files"

# ---------------------------------------------------------------- dry run
capture "$POSTERN" import-msmtprc --dry-run
is "$CAP_RC" 0 "--dry-run: exit 0" || show
is "$CAP_OUT" "$WANT_INI" "--dry-run: the INI on stdout, exactly"
is "$CAP_ERR" "$WANT_WARN" "--dry-run: one warning per key not converted, exactly"
[ ! -e "$TARGET" ] && [ ! -e "$HOME/.config" ]; check_status $? "--dry-run: writes nothing"

# ------------------------------------------------------------------ write
capture "$POSTERN" import-msmtprc
is "$CAP_RC" 0 "import: exit 0" || show
is "$CAP_OUT" "wrote 3 accounts to $TARGET" "import: says what it wrote, and where"
is "$CAP_ERR" "$WANT_WARN" "import: the same warnings"
is "$(cat "$TARGET" 2>/dev/null)" "$WANT_INI" "import: the file holds the INI of --dry-run"
is "$(stat -c %a "$TARGET" 2>/dev/null)" 600 "import: the file is 0600 (it holds a password)"
is "$(stat -c %a "$HOME/.config/postern" 2>/dev/null)" 700 "import: its new directory is 0700"
is "$(find "$HOME/.config/postern" -mindepth 1 | wc -l)" 1 "import: no temporary file left beside it"

# ------------------------------------------------------------------- send
nth=0
# send ACCOUNT: a fresh message through the default configuration.
send() {
	nth=$((nth + 1))
	SUBJ="import test $nth"
	printf 'To: carol@example.org\nSubject: %s\n\nbody %s\n' "$SUBJ" "$nth" > "$t/msg"
	capture "$POSTERN" -a "$1" -t < "$t/msg"
}
arrived() {
	local i
	for ((i = 0; i < 400; i++)); do
		grep -lq "^Subject: $SUBJ\$" "$MAILDIR"/new/* 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
send file
is "$CAP_RC" 0 "[file] (password in the file, STARTTLS): send exits 0" || show
arrived; check_status $? "[file]: delivered through Postfix"
grep -q "$SUBJ\|carol@example.org" "$HOME/mail.log" 2>/dev/null
check_status $? "[file]: the outcome is in the log file msmtp's logfile named"
send implicit
is "$CAP_RC" 0 "[implicit] (inherited, implicit TLS on $SMTPS_PORT): send exits 0" || show
arrived; check_status $? "[implicit]: delivered"

# ------------------------------------------------- msmtp's own reading
# msmtp itself sends with the msmtprc (so it is a working one), and its
# --pretend output for each account holds what the conversion wrote.
send_msmtp() {
	nth=$((nth + 1))
	SUBJ="import test $nth"
	printf 'To: carol@example.org\nSubject: %s\n\nbody %s\n' "$SUBJ" "$nth" > "$t/msg"
	capture msmtp -C "$RC" -a "$1" -t < "$t/msg"
}
send_msmtp file
is "$CAP_RC" 0 "msmtp sends with the msmtprc ([file])" || show
arrived; check_status $? "msmtp: delivered"
# section ACCOUNT KEY: a key's value in the converted file
section() { awk -v s="[$1]" -v k="$2" '$0 == s { on = 1; next } /^\[/ { on = 0 } on && $1 == k { sub(/^[^=]*= /, ""); print }' "$TARGET"; }
for acc in file implicit keyring; do
	p=$(msmtp -C "$RC" -a "$acc" -P </dev/null 2>/dev/null)
	m() { printf '%s\n' "$p" | sed -n "s/^$1 = //p"; }
	is "$(m host)/$(m user)" "localhost/$([ "$acc" = keyring ] && echo "$TEST_USER2" || echo "$TEST_USER")" \
		"msmtp --pretend -a $acc: read (host and user)"
	case "$(m tls)/$(m tls_starttls)" in
	on/on) mt=starttls ;; on/off) mt=implicit ;; *) mt=off ;;
	esac
	is "$(section "$acc" host)/$(section "$acc" port)/$(section "$acc" tls)/$(section "$acc" user)/$(section "$acc" from)/$(section "$acc" tls_ca_file)" \
		"$(m host)/$(m port)/$mt/$(m user)/$(m from)/$(m tls_trust_file)" \
		"[$acc]: host, port, tls, user, from, trust as msmtp --pretend shows them"
done

# ------------------------------------------------------------ the keyring
# A private D-Bus session with gnome-keyring (lib.sh), the password
# stored as msmtp's libsecret code stores it.
session_bus_start
keyring_start || bail "gnome-keyring-daemon did not start: $(cat "$t/gkd.log")"
printf %s "$TEST_PASS2" | secret-tool store --label='msmtp password' xdg:schema de.marlam.msmtp.password \
	host localhost service smtp user "$TEST_USER2"
check_status $? "msmtp's entry stored with secret-tool (schema de.marlam.msmtp.password)"
send keyring
is "$CAP_RC" 0 "[keyring] (no password in the file): send exits 0 with msmtp's keyring entry" || show
arrived; check_status $? "[keyring]: delivered"
secret-tool clear host localhost service smtp user "$TEST_USER2"
send keyring
is "$CAP_RC" 78 "[keyring] without the entry: exit 78 (so the entry above is what answered)" || show

# -------------------------------------------------------------- refusals
sum=$(sha256sum < "$TARGET")
capture "$POSTERN" import-msmtprc
is "$CAP_RC" 73 "an existing target: exit 73"
is "$CAP_ERR" "postern: $TARGET exists; write elsewhere with -C, or see the result with --dry-run" \
	"an existing target: the message"
is "$CAP_OUT" "" "an existing target: nothing on stdout"
is "$(sha256sum < "$TARGET")" "$sum" "an existing target: unchanged"

capture "$POSTERN" import-msmtprc -C "$t/new/dir/postern.ini" "$RC"
is "$CAP_RC" 0 "-C FILE MSMTPRC: exit 0" || show
is "$(cat "$t/new/dir/postern.ini" 2>/dev/null)" "$WANT_INI" "-C FILE: the same INI there"
is "$(stat -c %a "$t/new/dir")" 700 "-C FILE: the missing directory made 0700"

# $MSMTPRC, then the XDG location, as msmtp looks
mkdir -p "$t/other"
printf 'account x\nhost x.example\n' > "$t/other/rc"
MSMTPRC=$t/other/rc capture "$POSTERN" import-msmtprc --dry-run
like "$CAP_OUT" $'\\[x\\]\nhost = x.example' "\$MSMTPRC is read before ~/.msmtprc"
mv "$HOME/.msmtprc" "$t/msmtprc.away"
mkdir -p "$HOME/.config/msmtp"
printf 'account y\nhost y.example\n' > "$HOME/.config/msmtp/config"
capture "$POSTERN" import-msmtprc --dry-run
like "$CAP_OUT" $'\\[y\\]\nhost = y.example' "without ~/.msmtprc: ~/.config/msmtp/config"

rm -f "$HOME/.config/msmtp/config"
capture "$POSTERN" import-msmtprc -C "$t/none.ini"
is "$CAP_RC" 66 "no msmtprc: exit 66"
is "$CAP_ERR" "postern: no msmtp configuration found (tried $HOME/.msmtprc and $HOME/.config/msmtp/config); name it: postern import-msmtprc FILE" \
	"no msmtprc: says where it looked"
[ ! -e "$t/none.ini" ]; check_status $? "no msmtprc: nothing written"
capture "$POSTERN" import-msmtprc -C "$t/none.ini" "$t/missing.rc"
is "$CAP_RC" 66 "a named msmtprc that is missing: exit 66"

cp "$top_srcdir/tests/data/msmtprc/malformed.msmtprc" "$t/bad.rc"
capture "$POSTERN" import-msmtprc -C "$t/bad.ini" "$t/bad.rc"
is "$CAP_RC" 78 "a malformed msmtprc: exit 78"
is "$CAP_ERR" "postern: $t/bad.rc:4: invalid argument 99999 for command port" \
	"a malformed msmtprc: file:line and what is wrong"
[ ! -e "$t/bad.ini" ]; check_status $? "a malformed msmtprc: nothing written"

capture "$POSTERN" import-msmtprc --bogus
is "$CAP_RC" 64 "an unknown option: exit 64"

tap_done
