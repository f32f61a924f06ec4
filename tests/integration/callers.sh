#!/bin/bash
# Real programs that run sendmail, against the real Postfix with the
# submission port closed and then open, through the queue: PHP's mail()
# (the real php-cli, sendmail_path pointing at postern) and Debian cron's
# exact argv.  While the provider is down each message must be queued
# (exit 75, "queued as ID") and nothing may be lost; once the port is open,
# `postern queue run --all` -- what a person runs once the provider is
# back (-q keeps to the retry schedule, see postern(1)) -- sends them, and the bytes
# that arrive are the bytes the caller wrote.  Then queue = always from
# PHP: mail() gets its answer at once and the background retrier delivers
# the message, without holding the caller's output pipe.  TAP.
#
# postern cannot be installed as /usr/sbin/sendmail here (Postfix owns it),
# so PHP is pointed at it with its sendmail_path setting, and cron's argv
# is run with the message on stdin rather than running cron itself.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server callers

test_tmpdir
t=$TEST_TMPDIR
# The callers run postern with their user's environment: the configuration
# and the queue are found from HOME, as they would be for www-data or root.
export HOME=$t/home
unset XDG_CONFIG_HOME XDG_STATE_HOME
mkdir -p "$HOME/.config/postern"
cfg=$HOME/.config/postern/config.ini
qdir=$HOME/.local/state/postern/queue
server_start "$t/srv"

# The processes holding FILE (a lock file) open, one PID a line.
holders() {
	find /proc/[0-9]*/fd -maxdepth 1 -lname "$1" 2>/dev/null | cut -d/ -f3 | sort -u
}
# The background retrier that queue = always starts is detached from this
# script (its own session): end it by its PID if a check left it running.
# shellcheck disable=SC2016 # expanded at exit
at_exit 'for p in $(holders "$qdir/retrier.lock"); do kill "$p" 2>/dev/null; done'

# Runs the command, then appends its exit status to $t/status: PHP does
# not say what its sendmail exited with (PHP 8.2 prints no warning).
cat > "$t/status-of" <<'EOF'
#!/bin/sh
"$@"
s=$?
echo "$s" >> "${STATUS_FILE:?}"
exit "$s"
EOF
chmod 755 "$t/status-of"
export STATUS_FILE=$t/status
last_status() { tail -n 1 "$STATUS_FILE" 2>/dev/null; }

# php_mail CONFIG SUBJECT BODY: mail() to bob@example.org through postern
# with sendmail_path = "postern -C CONFIG -t -i" (PHP runs it through a
# shell, as it always does); sets CAP_RC (php's), CAP_OUT (mail()'s
# result: true or false) and CAP_ERR (postern's stderr, passed through).
php_mail() {
	# shellcheck disable=SC2016 # PHP's $argv
	capture php -n -d display_errors=stderr \
		-d sendmail_path="$t/status-of $POSTERN -C $1 -t -i" \
		-r 'var_export(mail("bob@example.org", $argv[1], $argv[2], "From: alice@example.org"));' \
		"$2" "$3"
}

# The body of the delivered message whose Subject is exactly SUBJECT, and
# how many carry it.
delivered() { grep -lxF "Subject: $1" "$MAILDIR"/new/* 2>/dev/null; }
body_of() {
	local f
	f=$(delivered "$1" | head -n 1)
	[ -z "$f" ] || sed '1,/^$/d' "$f"
}

# PHP's mail() treats exit 75 as success only from PHP 8.5 on: before,
# it compared pclose()'s raw wait status (75 << 8) with 75, so a queued
# message reads as a failure to the script (php-src pull request 18786,
# merged for 8.5).  The message is queued either way, as checked below.
php_id=$(php -n -r 'echo PHP_VERSION_ID;')
want_75=false
[ "$php_id" -ge 80500 ] && want_75=true
diag "php-cli $(php -n -r 'echo PHP_VERSION;'): mail() after exit 75 returns $want_75"

# ------------------------------------------------ the provider is down
closed=$(free_port)
mk_account_config "$cfg" port="$closed" defaults.queue=auto defaults.background_retry=no

php_body=$'Dear customer,\nyour order 4711 has shipped.\n.a line with a leading dot\n\nKind regards'
: > "$STATUS_FILE"
php_mail "$cfg" "PHP order 4711" "$php_body"
is "$CAP_RC" 0 "PHP, provider down: php itself exits 0"
is "$(last_status)" 75 "PHP, provider down: postern exits 75 (queued)"
is "$CAP_OUT" "$want_75" "PHP, provider down: mail() returns $want_75 (PHP $php_id)"
like "$CAP_ERR" "port $closed .*refused" "PHP, provider down: says the connection was refused"
like "$CAP_ERR" '^postern: queued as [0-9a-f]{16}, next attempt at ' "PHP, provider down: says it is queued, and until when"
php_qid=$(printf '%s\n' "$CAP_ERR" | sed -n 's/^postern: queued as \([0-9a-f]\{16\}\).*/\1/p')

# Debian cron 3.0pl1 (do_command.c) runs sendmail -FCronDaemon -i
# -B8BITMIME -oem MAILTO with this header; MAILTO is a full address (a bare
# "root" is no address a provider delivers to).  Exactly that argv: the
# configuration is found from HOME.
printf 'From: root (Cron Daemon)\nTo: bob@example.org\nSubject: Cron <root@host> /usr/local/bin/backup\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\n\nbackup: 3 files copied\nGr\xc3\xbc\xc3\x9fe, na\xc3\xafve 8-bit output\n' > "$t/cron.msg"
capture "$POSTERN" -FCronDaemon -i -B8BITMIME -oem bob@example.org < "$t/cron.msg"
is "$CAP_RC" 75 "cron argv, provider down: exit 75 (queued)"
like "$CAP_ERR" '^postern: queued as [0-9a-f]{16}, next attempt at ' "cron argv, provider down: says it is queued"
cron_qid=$(printf '%s\n' "$CAP_ERR" | sed -n 's/^postern: queued as \([0-9a-f]\{16\}\).*/\1/p')
isnt "$cron_qid" "$php_qid" "cron and PHP messages: two queue IDs"

capture "$POSTERN" queue list
is "$CAP_RC" 0 "provider down: queue list exits 0"
like "$CAP_OUT" "^$php_qid .* alice@example.org -> bob@example.org\$" "queue list: the PHP message"
like "$CAP_OUT" "^$cron_qid .* alice@example.org -> bob@example.org\$" "queue list: the cron message"
like "$CAP_OUT" '^-- 2 queued messages$' "queue list: exactly two"
is "$(mail_count)" 0 "provider down: nothing delivered"

# ------------------------------------------------ the provider is back
# The envelopes record the configuration file's path: the flush reads its
# new port.
mk_account_config "$cfg" port="$SUBMISSION_PORT" defaults.queue=auto defaults.background_retry=no
capture "$POSTERN" -q
is "$CAP_RC" 0 "provider back, nothing due yet: postern -q exits 0"
is "$(mail_count)" 0 "nothing due yet: -q keeps to the schedule"
capture "$POSTERN" queue run --all
is "$CAP_RC" 0 "provider back: postern queue run --all exits 0"
is "$CAP_ERR" "" "provider back: queue run --all says nothing"
wait_for_mail 2
is "$(mail_count)" 2 "provider back: both messages delivered"
capture "$POSTERN" queue list
is "$CAP_OUT" "Mail queue is empty" "provider back: the queue is empty"
is "$(find "$qdir" -type f ! -name retrier.lock | wc -l)" 0 "provider back: no file left in the queue directory"

is "$(delivered "PHP order 4711" | wc -l)" 1 "PHP message: delivered once"
is "$(body_of "PHP order 4711")" "$php_body" "PHP message: the body, byte for byte"
f=$(delivered "PHP order 4711" | head -n 1)
hdr=$(sed '/^$/q' "$f")
like "$hdr" '^To: bob@example.org$' "PHP message: To as mail() wrote it"
like "$hdr" '^From: alice@example.org$' "PHP message: From as mail() wrote it"
like "$hdr" '^Return-Path: <alice@example.org>$' "PHP message: the account's envelope sender"

is "$(delivered "Cron <root@host> /usr/local/bin/backup" | wc -l)" 1 "cron message: delivered once"
sed '1,/^$/d' "$t/cron.msg" > "$t/cron.want"
body_of "Cron <root@host> /usr/local/bin/backup" > "$t/cron.got"
cmp -s "$t/cron.got" "$t/cron.want"; check_status $? "cron message: the body byte for byte (8-bit text intact)"
f=$(delivered "Cron <root@host> /usr/local/bin/backup" | head -n 1)
hdr=$(sed '/^$/q' "$f")
like "$hdr" '^X-Cron-Env: <HOME=/root>$' "cron message: cron's own header fields kept"
like "$hdr" '^Content-Transfer-Encoding: 8bit$' "cron message: its MIME fields kept"
like "$hdr" '^Message-ID: <' "cron message: a Message-ID added"
clear_maildir

# ------------------------------------------------ held: not for -q
# A refused password holds the message for the person: -q (which cron may
# run every few minutes) must not try the password again; queue retry
# does, once the person has fixed it.
mk_account_config "$cfg" port="$SUBMISSION_PORT" password=wrong defaults.queue=auto defaults.background_retry=no
capture "$POSTERN" -FCronDaemon -i -B8BITMIME -oem bob@example.org < "$t/cron.msg"
is "$CAP_RC" 75 "wrong password: cron's message queued (75)"
like "$CAP_ERR" '535 5\.7\.8' "wrong password: the server's refusal is shown"
like "$CAP_ERR" '^postern: queued as ([0-9a-f]{16}), next attempt at .*: HELD until you fix the cause \(then: postern queue retry [0-9a-f]{16}\): .*535' \
	"wrong password: HELD, and what to do"
mk_account_config "$cfg" port="$SUBMISSION_PORT" defaults.queue=auto defaults.background_retry=no
capture "$POSTERN" -q
is "$CAP_RC" 0 "held: postern -q exits 0"
capture "$POSTERN" queue list
like "$CAP_OUT" 'attempts 1; ' "held: -q did not try it again"
like "$CAP_OUT" '^    HELD \(auth\): fix the cause, then: postern queue retry [0-9a-f]{16}$' "held: queue list says HELD (auth)"
capture "$POSTERN" queue retry
is "$CAP_RC" 0 "held: queue retry exits 0"
wait_for_mail 1
is "$(delivered "Cron <root@host> /usr/local/bin/backup" | wc -l)" 1 "held: queue retry delivered it, once"
capture "$POSTERN" queue list
is "$CAP_OUT" "Mail queue is empty" "held: the queue is empty after queue retry"
clear_maildir

# ------------------------------------------------ queue = always from PHP
# A page that sends two mails half a second apart (an order confirmation,
# then a note to the shop), through a delay proxy of 500 ms each way: one
# send takes at least six round trips (6 s), so a mail() that returned
# within 3 s did not wait for it.  $(...) also waits for every process that
# holds PHP's output: a retrier that kept it would hold the page too.  The
# second message is queued while the first one's retrier is sending (it
# has listed the queue already), and the second one's retrier finds the
# queue's retrier lock taken and leaves it to that one.
proxy_start "$SUBMISSION_PORT" 500
mk_account_config "$t/always.ini" port="$PROXY_PORT" defaults.queue=always
: > "$STATUS_FILE"
start=$(date +%s%3N)
# shellcheck disable=SC2016 # PHP's variables
out=$(php -n -d display_errors=stderr \
	-d sendmail_path="$t/status-of $POSTERN -C $t/always.ini -t -i" -r '
	$t = microtime(true);
	$a = mail("bob@example.org", "PHP always 1", "order confirmed\n", "From: alice@example.org");
	$d1 = (int)((microtime(true) - $t) * 1000);
	usleep(500000);
	$t = microtime(true);
	$b = mail("bob@example.org", "PHP always 2", "new order\n", "From: alice@example.org");
	$d2 = (int)((microtime(true) - $t) * 1000);
	echo var_export($a, true), " ", var_export($b, true), " $d1 $d2\n";' 2>&1)
took=$(($(date +%s%3N) - start))
read -r r1 r2 d1 d2 <<< "$out"
is "$r1 $r2" "true true" "queue = always: both mail() calls return true"
is "$(tr '\n' ' ' < "$STATUS_FILE")" "0 0 " "queue = always: postern exits 0 both times"
ok "$([ "${d1:-9999}" -lt 3000 ] && [ "${d2:-9999}" -lt 3000 ] && echo 1)" \
	"queue = always: each mail() had its answer at once (${d1} and ${d2} ms; a send takes > 6000)"
ok "$([ "$took" -lt 5000 ] && echo 1)" "queue = always: PHP's output was not held by the retrier (${took} ms in all)"
is "$(mail_count)" 0 "queue = always: nothing delivered yet when PHP ended"
ok "$(holders "$qdir/retrier.lock")" "queue = always: a background retrier runs"
wait_for_mail 2 40
is "$(delivered "PHP always 1" | wc -l)" 1 "queue = always: the first message delivered, once"
is "$(delivered "PHP always 2" | wc -l)" 1 "queue = always: the second message delivered, once (not left for nobody)"
is "$(body_of "PHP always 1")" "order confirmed" "queue = always: the first body as sent"
is "$(body_of "PHP always 2")" "new order" "queue = always: the second body as sent"
for ((i = 0; i < 100; i++)); do
	[ -z "$(holders "$qdir/retrier.lock")" ] && break
	sleep 0.1
done
is "$(holders "$qdir/retrier.lock")" "" "queue = always: the retrier ended once the queue was empty"
capture "$POSTERN" queue list -C "$t/always.ini"
is "$CAP_OUT" "Mail queue is empty" "queue = always: the queue is empty"

tap_done
