#!/bin/bash
# The command line and the "never lose mail" paths that need no server:
# usage errors, configuration errors, bad messages, -X, setuid.  Every run
# that may connect is in a network namespace of its own, where nothing
# listens on 127.0.0.1 whatever the machine runs.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps base
require_private_net

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home XDG_CONFIG_HOME=$t/home/.config
mkdir -p "$HOME"
msg=$t/msg
printf 'Subject: kept\n\nthe body that must not be lost\n' > "$msg"

# A config whose server is a closed port on loopback: sends fail fast.
cfg=$t/closed.ini
mk_config "$cfg" "[a]" "queue = never" "host = 127.0.0.1" "port = 2525" "tls = off" "from = me@example.org"

run() { out=$(in_private_net "$POSTERN" "$@" < "$msg" 2>&1); rc=$?; }

run --version
is "$rc" 0 "--version exits 0"
like "$out" '^postern [0-9]' "--version prints the version"
run --help
is "$rc" 0 "--help exits 0"
like "$out" 'usage: postern' "--help prints usage"

run -C "$cfg" -k you@example.org
is "$rc" 64 "unknown option exits 64"
like "$out" 'unknown option -k' "the unknown option is named"
[ ! -e "$HOME/dead.letter" ]; check_status $? "a usage error reads no message and writes no dead.letter"

run -bp
is "$rc" 0 "-bp exits 0"
like "$out" 'queue' "-bp talks about the queue"
ln -s "$POSTERN" "$t/mailq"
out=$("$t/mailq" 2>&1); is "$?" 0 "invoked as mailq exits 0"
like "$out" 'queue' "mailq lists the queue"
ln -s "$POSTERN" "$t/newaliases"
"$t/newaliases" </dev/null; is "$?" 0 "newaliases does nothing and succeeds"

# Every flag real callers pass is accepted; -X never writes its file.
run -C "$cfg" -FCronDaemon -i -B8BITMIME -oem -odi -oi -om -Ox=y -G -U -L tag -h 5 -n -m -Am \
	-X "$t/xlog" -p smtp -N never -R full -V envid -v you@example.org
is "$rc" 69 "all accepted flags reach the send (closed port: 69)"
[ ! -e "$t/xlog" ]; check_status $? "-X FILE is never written"
like "$out" 'ignoring -X' "-v names ignored flags"
like "$out" "refused" "closed port named as refused"
like "$out" "kept in $HOME/dead.letter" "the message is kept and the place named"
grep -q 'the body that must not be lost' "$HOME/dead.letter"; check_status $? "dead.letter holds the body"
grep -q '^From me@example.org ' "$HOME/dead.letter"; check_status $? "dead.letter is mbox with the sender"
rm -f "$HOME/dead.letter"

# Configuration errors keep the message too.
mk_config "$t/bad.ini" "[a]" "queue = never" "host = x" "colour = blue"
run -C "$t/bad.ini" you@example.org
is "$rc" 78 "unknown key: exit 78"
like "$out" "$t/bad.ini:4: unknown key \"colour\"" "names file:line and the key"
grep -q 'the body that must not be lost' "$HOME/dead.letter"; check_status $? "config error keeps the message"
rm -f "$HOME/dead.letter"

mk_config "$t/open.ini" "[a]" "queue = never" "host = x" "user = u" "password = hunter2-secret"
chmod 644 "$t/open.ini"
run -C "$t/open.ini" you@example.org
is "$rc" 78 "password in a 0644 file: exit 78"
like "$out" "chmod 600 $t/open.ini" "says which chmod fixes it"
unlike "$out" 'hunter2-secret' "the password is not printed"

run -C "$t/none.ini" you@example.org
is "$rc" 78 "missing -C file: exit 78"
like "$out" "$t/none.ini" "the missing file is named"
rm -f "$HOME/dead.letter"
run you@example.org
is "$rc" 78 "no configuration at all: exit 78"
like "$out" 'config.ini' "says where to create one"

# Recipients and the sender are checked before anything is sent.
run -C "$cfg" -- -oQ/tmp/x
is "$rc" 64 "a recipient starting with - is refused (64)"
like "$out" "starts with '-'" "and the reason is given"
run -C "$cfg"
is "$rc" 64 "no recipients: 64"
like "$out" 'no recipients' "says there are none"
printf 'Subject: x\n\nnul \000 here\n' > "$t/nul"
out=$(in_private_net "$POSTERN" -C "$cfg" you@example.org < "$t/nul" 2>&1); rc=$?
is "$rc" 65 "a NUL in the message: 65"
like "$out" 'NUL' "NUL named"
out=$(printf 'Subject: x\n\nb\n' | in_private_net "$POSTERN" -C "$cfg" -f "$(printf 'a@b\rRCPT TO:<evil@x>')" you@example.org 2>&1); rc=$?
is "$rc" 64 "CR in the envelope sender is refused"

# postern refuses to run set-id.
cp "$POSTERN" "$t/suid" && chown nobody "$t/suid" && chmod 4755 "$t/suid"
out=$("$t/suid" --version 2>&1); rc=$?
is "$rc" 77 "a setuid copy refuses to run"
like "$out" 'setuid' "and says why"

tap_done
