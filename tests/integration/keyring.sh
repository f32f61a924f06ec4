#!/bin/bash
# Password sources against a real keyring and a real Postfix + Dovecot:
# gnome-keyring in a private D-Bus session (dbus-run-session, throwaway HOME
# and XDG_RUNTIME_DIR); entries stored by secret-tool as msmtp's manual says,
# under msmtp's schema, under the network-compat schema and by `postern
# password set`; check, forget, a locked keyring, no session bus,
# password_command, .netrc; and a verbose send from every source whose every
# output channel is searched for the password.  TAP.
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
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$t/empty-run"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR" "$t/empty-run"
KEYRING_PASS='unlock-me'

# ------------------------------------------------------------ the session
# A private session bus (lib.sh); keyring_start is lib.sh's too.
session_bus_start

keyring_stop() {
	local i
	[ -n "${KEYRING_PID:-}" ] && kill "$KEYRING_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do bus_has_secrets || break; sleep 0.05; done
}
keyring_lock() {
	dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
		org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
}
clear_all() {
	secret-tool clear host localhost service smtp user "$TEST_USER" 2>/dev/null
	secret-tool clear server localhost protocol smtp user "$TEST_USER" 2>/dev/null
}

keyring_start; check_status $? "gnome-keyring-daemon owns org.freedesktop.secrets in a private session"

# ---------------------------------------------------------------- helpers
# A configuration with no password: the keyring must answer.
mk_account_config "$t/kr.ini" password=
nth=0
# send CONFIG [postern args...]: a fresh message through postern -v; sets
# SUBJ, CAP_RC, CAP_OUT, CAP_ERR.
send() {
	local cfg=$1; shift
	nth=$((nth + 1))
	SUBJ="keyring test $nth"
	printf 'To: bob@example.org\nSubject: %s\n\nbody %s\n' "$SUBJ" "$nth" > "$t/msg"
	capture "$POSTERN" -C "$cfg" -v -t "$@" < "$t/msg"
}
# arrived: the message with SUBJ reached the Maildir (waits up to 20 s).
arrived() {
	local i
	for ((i = 0; i < 400; i++)); do
		grep -lq "^Subject: $SUBJ\$" "$MAILDIR"/new/* 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
show() { diag "exit $CAP_RC" "$CAP_ERR" "$CAP_OUT"; }

# ------------------------------------------ entries other programs stored
# msmtp's manual: secret-tool store --label=msmtp host H service smtp user U
printf %s "$TEST_PASS" | secret-tool store --label=msmtp host localhost service smtp user "$TEST_USER"
send "$t/kr.ini"
is "$CAP_RC" 0 "secret-tool entry (as msmtp's manual stores it): send exits 0" || show
arrived; check_status $? "secret-tool entry: delivered through Postfix"
like "$CAP_ERR" 'password from the keyring \(host=localhost service=smtp user=' "-v names the keyring as the source"
clear_all

# msmtp's own schema (what its libsecret code stores and looks up).
printf %s "$TEST_PASS" | secret-tool store --label='msmtp password' xdg:schema de.marlam.msmtp.password \
	host localhost service smtp user "$TEST_USER"
send "$t/kr.ini"
is "$CAP_RC" 0 "msmtp schema (de.marlam.msmtp.password): send exits 0" || show
arrived; check_status $? "msmtp schema: delivered"
clear_all

# The network-compat schema (server, protocol, user).
printf %s "$TEST_PASS" | secret-tool store --label=compat xdg:schema org.gnome.keyring.NetworkPassword \
	server localhost protocol smtp user "$TEST_USER"
send "$t/kr.ini"
is "$CAP_RC" 0 "network-compat schema: send exits 0" || show
arrived; check_status $? "network-compat schema: delivered"
like "$CAP_ERR" 'network password: server=localhost protocol=smtp' "-v names the network-compat entry"
clear_all

# Nothing stored: its own message, exit 78, message kept.
rm -f "$HOME/dead.letter"
send "$t/kr.ini"
is "$CAP_RC" 78 "no entry: exit 78"
like "$CAP_ERR" 'the keyring: no entry for host=localhost service=smtp user=alice@example.org' "no entry: says so"
like "$CAP_ERR" 'postern password set work' "no entry: says how to store one"
grep -q "^Subject: $SUBJ" "$HOME/dead.letter" 2>/dev/null; check_status $? "no entry: the message is kept in dead.letter"

# ------------------------------------------------- postern password ...
# (capture in a pipeline would run in a subshell: feed stdin with <<<)
capture "$POSTERN" password set -C "$t/kr.ini" work <<<"$TEST_PASS"
is "$CAP_RC" 0 "password set (stdin): exits 0" || show
like "$CAP_OUT" 'stored the password for alice@example.org at localhost' "password set: says what it stored"
got=$(secret-tool lookup host localhost service smtp user "$TEST_USER")
is "$got" "$TEST_PASS" "password set: secret-tool lookup host/service/user finds it"
like "$(secret-tool search host localhost service smtp user "$TEST_USER" 2>&1)" 'schema = org.postern.password' \
	"password set: stored under postern's schema"
if msmtp --version 2>/dev/null | grep -q 'Keyring support: .*Gnome'; then
	printf 'Subject: msmtp reads postern\n\nx\n' | timeout 30 msmtp --host=localhost --port="$SUBMISSION_PORT" \
		--tls=on --tls-starttls=on --tls-trust-file="$CA_FILE" --auth=plain --user="$TEST_USER" \
		--from="$TEST_USER" bob@example.org >"$t/msmtp.out" 2>&1
	check_status $? "msmtp itself finds the password postern stored" || diag "$(cat "$t/msmtp.out")"
else
	skip "msmtp without keyring support"
fi

# On a terminal: asked twice, without echo (a pty; each answer is typed
# only once the prompt is shown, since turning echo off flushes input).
cat > "$t/on-tty.py" <<'EOF'
import os, pty, sys, time
pw = os.environ["PW"]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
def expect(what, limit=10):
    global out
    end = time.time() + limit
    while what not in out and time.time() < end:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
    return what in out
for prompt in os.environ.get("PROMPTS", "Password for |Again: ").encode().split(b"|"):
    if not expect(prompt):
        break
    time.sleep(0.1)
    os.write(fd, pw.encode() + b"\r")
expect(os.environ.get("DONE", "try it with").encode(), 30)
try:
    while True:
        b = os.read(fd, 4096)
        if not b:
            break
        out += b
except OSError:
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
clear_all
capture env PW="$TEST_PASS" "$PYTHON3" "$t/on-tty.py" "$POSTERN" password set -C "$t/kr.ini" work
is "$CAP_RC" 0 "password set on a terminal: exits 0" || show
like "$CAP_OUT" 'Password for alice@example.org at localhost: .*Again: ' "password set on a terminal: asks twice"
unlike "$CAP_OUT" "$TEST_PASS" "password set on a terminal: no echo"
is "$(secret-tool lookup host localhost service smtp user "$TEST_USER")" "$TEST_PASS" \
	"password set on a terminal: stored"

# Nothing stored, a terminal: password check asks (source 5).
clear_all
capture env PW="$TEST_PASS" PROMPTS="Password for " DONE="authentication" "$PYTHON3" "$t/on-tty.py" \
	"$POSTERN" password check -C "$t/kr.ini" work
is "$CAP_RC" 0 "empty keyring, on a terminal: password check asks and exits 0" || show
like "$CAP_OUT" 'from the terminal' "on a terminal: the prompt is the source"
like "$CAP_OUT" 'authentication succeeded' "on a terminal: the typed password works"
unlike "$CAP_OUT" "$TEST_PASS" "on a terminal: not echoed"
capture "$POSTERN" password set -C "$t/kr.ini" work <<<"$TEST_PASS"

capture "$POSTERN" password check -C "$t/kr.ini" work </dev/null
is "$CAP_RC" 0 "password check: exits 0" || show
like "$CAP_OUT" 'from the keyring' "password check: names the keyring as the source"
like "$CAP_OUT" 'authentication succeeded' "password check: authentication succeeded"
n_before=$(mail_count)
capture "$POSTERN" password check -v -C "$t/kr.ini" work </dev/null
like "$CAP_ERR" 'AUTH [A-Z0-9-]+ <redacted>' "password check -v: transcript with AUTH redacted"
unlike "$CAP_ERR$CAP_OUT" "$TEST_PASS" "password check -v: no password in its output"
sleep 0.3
is "$(mail_count)" "$n_before" "password check: no message was sent"

# A wrong password: check says so, exit 77.
capture "$POSTERN" password set -C "$t/kr.ini" work <<<'wrong-password'
is "$CAP_RC" 0 "password set replaces the entry"
capture "$POSTERN" password check -C "$t/kr.ini" work </dev/null
is "$CAP_RC" 77 "password check with a wrong password: exit 77" || show
like "$CAP_OUT" 'authentication failed' "password check: says authentication failed"
like "$CAP_ERR" '535' "password check: shows the server's reply"
is "$(secret-tool search --all host localhost service smtp user "$TEST_USER" 2>/dev/null | grep -c '^secret = ')" 1 \
	"set twice: still one entry"

# An unreachable server: 69.
mk_account_config "$t/closed.ini" password= port="$(free_port)"
capture "$POSTERN" password check -C "$t/closed.ini" </dev/null
is "$CAP_RC" 69 "password check against a closed port: exit 69" || show

capture "$POSTERN" password forget -C "$t/kr.ini" work
is "$CAP_RC" 0 "password forget: exits 0" || show
like "$CAP_OUT" "removed postern's keyring entry" "password forget: says it removed it"
secret-tool lookup host localhost service smtp user "$TEST_USER" >/dev/null 2>&1
is "$?" 1 "password forget: secret-tool no longer finds it (1: not found)"
capture "$POSTERN" password forget -C "$t/kr.ini" work
is "$CAP_RC" 0 "password forget again: exits 0"
like "$CAP_OUT" 'no keyring entry' "password forget again: nothing to remove"
printf x | secret-tool store --label=other host localhost service smtp user "$TEST_USER"
capture "$POSTERN" password forget -C "$t/kr.ini" work
like "$CAP_OUT" 'secret-tool clear host localhost service smtp user alice@example.org' \
	"password forget: names another program's entry that still answers"
clear_all

capture "$POSTERN" password frob -C "$t/kr.ini"
is "$CAP_RC" 64 "password frob: usage error 64"
capture "$POSTERN" password set -Q
is "$CAP_RC" 64 "password set -Q: usage error 64"

# ------------------------------------------------------------- timings
# Sends with the password in the config against sends that ask the keyring
# (discard port: nothing is delivered).  The figures are shown; what is
# checked is only that no lookup waits for a D-Bus timeout (25 s each):
# how fast belongs in tests/bench, not in a check a loaded machine fails.
printf '%s\n' "$TEST_PASS" | "$POSTERN" password set -C "$t/kr.ini" work >/dev/null
mk_account_config "$t/bench-cfg.ini" port="$DISCARD_PORT"
mk_account_config "$t/bench-kr.ini" port="$DISCARD_PORT" password=
printf 'To: bob@example.org\nSubject: bench\n\nx\n' > "$t/bench.msg"
bench() {
	local s e i
	s=$(date +%s%N)
	for ((i = 0; i < 10; i++)); do "$POSTERN" -C "$1" -t < "$t/bench.msg" || return 1; done
	e=$(date +%s%N)
	echo $(((e - s) / 10000000))
}
ms_cfg=$(bench "$t/bench-cfg.ini"); ms_kr=$(bench "$t/bench-kr.ini")
diag "per message: password in config ${ms_cfg} ms, from the keyring ${ms_kr} ms"
ok "$([ -n "$ms_kr" ] && [ "$ms_kr" -lt $((ms_cfg + 2000)) ] && echo 1)" \
	"10 sends through the keyring: all exit 0, no D-Bus timeout (${ms_cfg} -> ${ms_kr} ms per message)"
s=$(date +%s%N)
for ((i = 0; i < 10; i++)); do "$POSTERN" password check -C "$t/bench-kr.ini" </dev/null >/dev/null; done
diag "password check (keyring + TLS + AUTH): $((($(date +%s%N) - s) / 10000000)) ms each"

# ---------------------------------------------------------- locked keyring
: > "$t/dbus.log.mark"; wc -l < "$t/dbus.log" > "$t/dbus.log.mark"
keyring_lock; check_status $? "keyring locked through the Secret Service API"
s=$(date +%s%N)
send "$t/kr.ini"
ms=$((($(date +%s%N) - s) / 1000000))
is "$CAP_RC" 78 "locked keyring: exit 78" || show
like "$CAP_ERR" 'the keyring is locked: unlock it \(log in to the desktop, or `gnome-keyring-daemon --unlock`\)' \
	"locked keyring: its own message"
ok "$([ "$ms" -lt 5000 ] && echo 1)" "locked keyring: no hang (${ms} ms)"
sed "1,$(cat "$t/dbus.log.mark")d" "$t/dbus.log" | grep -q 'SystemPrompter'
is "$?" 1 "locked keyring: postern never asked for an unlock prompt"
capture "$POSTERN" password check -C "$t/kr.ini" work </dev/null
is "$CAP_RC" 78 "locked keyring: password check exit 78"
capture "$POSTERN" password forget -C "$t/kr.ini" work </dev/null
is "$CAP_RC" 78 "locked keyring: password forget exit 78"
like "$CAP_ERR" 'locked' "locked keyring: forget says so"
# Unlock again by restarting the daemon with the login password.
keyring_stop
keyring_start; check_status $? "keyring restarted and unlocked"
send "$t/kr.ini"
is "$CAP_RC" 0 "unlocked again: the stored password works" || show

# ------------------------------------------------------------- no bus
s=$(date +%s%N)
capture env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$t/empty-run" DISPLAY= "$POSTERN" -C "$t/kr.ini" -t < "$t/msg"
ms=$((($(date +%s%N) - s) / 1000000))
is "$CAP_RC" 78 "no session bus: exit 78" || show
like "$CAP_ERR" 'no D-Bus session bus \(cron, a web server\.\.\.\): the keyring is unavailable; use password_command or a password in a 0600 config' \
	"no session bus: its own message"
unlike "$CAP_ERR" 'autolaunch' "no session bus: no GLib autolaunch error"
diag "no session bus: failed in ${ms} ms"
capture env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$t/empty-run" "$POSTERN" password set -C "$t/kr.ini" <<<"x"
is "$CAP_RC" 78 "no session bus: password set exit 78"
like "$CAP_ERR" 'no D-Bus session bus' "no session bus: password set says so"

# A bus on which no Secret Service runs or can be activated (a bus
# configuration without service directories).
cat > "$t/bare-bus.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
capture env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$t/empty-run" \
	dbus-run-session --config-file="$t/bare-bus.conf" -- "$POSTERN" -C "$t/kr.ini" -t < "$t/msg"
is "$CAP_RC" 78 "bus without a keyring service: exit 78"
like "$CAP_ERR" 'no Secret Service \(org.freedesktop.secrets\) on the session bus' "bus without a keyring service: says so"

# ---------------------------------------------------------- password_command
printf '%s\n' "$TEST_PASS" > "$t/pwfile"; chmod 600 "$t/pwfile"
mk_account_config "$t/cmd.ini" password= password_command="cat $t/pwfile"
send "$t/cmd.ini"
is "$CAP_RC" 0 "password_command: send exits 0" || show
arrived; check_status $? "password_command: delivered"
like "$CAP_ERR" 'password from password_command' "-v names password_command"
mk_account_config "$t/cmdbad.ini" password= password_command="echo 'vault: sealed' >&2; exit 5"
send "$t/cmdbad.ini"
is "$CAP_RC" 78 "password_command exit 5: postern exit 78"
like "$CAP_ERR" 'exited with status 5: vault: sealed' "password_command exit 5: its stderr shown"
mk_account_config "$t/cmdtrue.ini" password= password_command="true"
send "$t/cmdtrue.ini"
is "$CAP_RC" 78 "password_command printing nothing: exit 78"
like "$CAP_ERR" 'printed nothing' "password_command printing nothing: says so"

# ------------------------------------------------------------------- netrc
clear_all
printf 'machine localhost login %s password "%s"\n' "$TEST_USER" "$TEST_PASS" > "$HOME/.netrc"
chmod 600 "$HOME/.netrc"
send "$t/kr.ini"
is "$CAP_RC" 0 ".netrc: send exits 0 (keyring empty)" || show
arrived; check_status $? ".netrc: delivered"
like "$CAP_ERR" "password from $HOME/.netrc" "-v names .netrc"
chmod 644 "$HOME/.netrc"
send "$t/kr.ini"
is "$CAP_RC" 78 ".netrc readable by others: exit 78"
like "$CAP_ERR" "run: chmod 600 $HOME/.netrc" ".netrc readable by others: names the fix"
rm -f "$HOME/.netrc"

# ------------------------------------ the password on no output channel
# A verbose send from each source, plus a failed one that writes
# dead.letter, in a fresh HOME and TMPDIR; then every byte postern wrote
# (stdout, stderr, every file under HOME and TMPDIR except the source
# itself) and postern's own argv and environment are searched.
b64_plain=$(printf '\0%s\0%s' "$TEST_USER" "$TEST_PASS" | base64 -w0)
b64_pass=$(printf %s "$TEST_PASS" | base64 -w0)
for src in config command keyring netrc; do
	g=$t/grep-$src
	mkdir -p "$g/home" "$g/tmp" "$g/src"
	chmod 700 "$g/home"
	clear_all
	case $src in
	config) mk_account_config "$g/src/c.ini" auth=plain ;;
	command)
		printf '%s\n' "$TEST_PASS" > "$g/src/pw"
		# The command also records postern's own argv and environment.
		mk_account_config "$g/src/c.ini" password= auth=plain \
			password_command="cat /proc/\$PPID/cmdline /proc/\$PPID/environ > $g/tmp/postern-proc; cat $g/src/pw" ;;
	keyring)
		mk_account_config "$g/src/c.ini" password= auth=plain
		printf '%s\n' "$TEST_PASS" | "$POSTERN" password set -C "$g/src/c.ini" >/dev/null ;;
	netrc)
		mk_account_config "$g/src/c.ini" password= auth=plain
		printf 'machine localhost login %s password "%s"\n' "$TEST_USER" "$TEST_PASS" > "$g/home/.netrc"
		chmod 600 "$g/home/.netrc" ;;
	esac
	sed "s/^port = .*/port = $(free_port)/" "$g/src/c.ini" > "$g/src/closed.ini"; chmod 600 "$g/src/closed.ini"
	printf 'To: bob@example.org\nSubject: grep %s\n\nbody\n' "$src" > "$g/src/msg"
	HOME=$g/home TMPDIR=$g/tmp "$POSTERN" -C "$g/src/c.ini" -v -t < "$g/src/msg" >"$g/tmp/send.out" 2>"$g/tmp/send.err"
	is "$?" 0 "$src: verbose send exits 0" || diag "$(cat "$g/tmp/send.err")"
	HOME=$g/home TMPDIR=$g/tmp "$POSTERN" -C "$g/src/closed.ini" -v -t < "$g/src/msg" >"$g/tmp/fail.out" 2>"$g/tmp/fail.err"
	is "$?" 69 "$src: verbose send to a closed port exits 69"
	[ -s "$g/home/dead.letter" ]; check_status $? "$src: the failed send wrote dead.letter"
	HOME=$g/home TMPDIR=$g/tmp "$POSTERN" password check -v -C "$g/src/c.ini" </dev/null >"$g/tmp/check.out" 2>"$g/tmp/check.err"
	is "$?" 0 "$src: password check -v exits 0"
	like "$(cat "$g/tmp/send.err")" 'AUTH PLAIN <redacted>' "$src: the transcript was written (AUTH PLAIN)"
	if [ "$src" = command ]; then
		[ -s "$g/tmp/postern-proc" ]; check_status $? "$src: postern's own argv and environment captured (searched below)"
	fi
	leaks=$(grep -rlF --exclude=.netrc -e "$TEST_PASS" -e "$b64_plain" -e "$b64_pass" "$g/home" "$g/tmp")
	is "$leaks" "" "$src: the password (plain, base64 PLAIN, base64) is in no output, file, argv or environment"
done
grep -qF "$TEST_PASS" "$POSTFIX_LOG" "$DOVECOT_LOG"
is "$?" 1 "nor in the server logs"

tap_done
