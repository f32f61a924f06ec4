#!/bin/bash
# postern -bs (SMTP on standard input/output, as Symfony Mailer and Laravel
# use sendmail) against a real Postfix + Dovecot on loopback: swaks as the
# client over a pipe, a PHP-like raw dialogue with LF line ends, several
# messages in one session, From-matching by MAIL FROM, a wrong password
# (4xx after DATA, message in dead.letter) and input ending inside DATA.  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server

test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
mkdir -p "$HOME"
server_start "$t/srv"

mk_config "$t/c.ini" "[defaults]" "queue = never" "tls_ca_file = $CA_FILE" \
	"[sub]" "host = localhost" "port = $SUBMISSION_PORT" \
	"user = $TEST_USER" "password = $TEST_PASS" "from = $TEST_USER"
mk_config "$t/wrong.ini" "[a]" "queue = never" "host = localhost" "port = $SUBMISSION_PORT" "tls_ca_file = $CA_FILE" \
	"user = $TEST_USER" "password = not-the-password" "from = $TEST_USER"
# The default account cannot log in; the one whose from is MAIL FROM can.
mk_config "$t/match.ini" "[defaults]" "queue = never" "tls_ca_file = $CA_FILE" "default_account = other" \
	"[other]" "host = localhost" "port = $SUBMISSION_PORT" \
	"user = $TEST_USER" "password = not-the-password" "from = other@example.org" \
	"[mine]" "host = localhost" "port = $SUBMISSION_PORT" \
	"user = $TEST_USER" "password = $TEST_PASS" "from = $TEST_USER"

# only_replies TEXT: every line of TEXT is an SMTP reply ("250 ...", "250-...")
only_replies() { ! printf '%s\n' "$1" | tr -d '\r' | grep -Evq '^[0-9]{3}[ -]'; }

# ---------------------------------------------------------------- swaks
out=$(swaks --pipe "$POSTERN -bs -C $t/c.ini" --from "$TEST_USER" --to bob@example.org \
	--header "Subject: bsmtp via swaks" --body $'hello from swaks\n.leading dot\n' 2>&1); rc=$?
is "$rc" 0 "swaks --pipe: the session succeeds"
like "$out" '<- +220 [^ ]+ ESMTP postern' "swaks sees the greeting"
like "$out" '<- +250-PIPELINING' "EHLO offers PIPELINING"
like "$out" '<- +250 2.0.0 Ok: sent' "250 after the provider accepted the message"
like "$out" '<- +221 ' "QUIT answered"
wait_for_mail 1
f=$(grep -l '^Subject: bsmtp via swaks' "$MAILDIR"/new/* 2>/dev/null | head -n 1)
ok "$([ -n "$f" ] && echo 1)" "swaks: delivered to the Maildir"
grep -q '^\.leading dot$' "$f" && grep -q '^hello from swaks$' "$f"
check_status $? "swaks: body delivered with its dot line intact"
like "$(sed '/^$/q' "$f")" "^Return-Path: <$TEST_USER>" "MAIL FROM is the envelope sender"

# ------------------------------------------- PHP-like: LF only, pipelined
printf 'EHLO php.local\nMAIL FROM:<%s>\nRCPT TO:<bob@example.org>\nRCPT TO:<carol@example.org>\nDATA\nSubject: bsmtp php\nTo: bob@example.org\n\nfirst\n..dot-stuffed\n.\nRSET\nMAIL FROM:<%s>\nRCPT TO:<bob@example.org>\nDATA\nSubject: bsmtp second\n\nsecond message\n.\nQUIT\n' \
	"$TEST_USER" "$TEST_USER" > "$t/php.in"
capture "$POSTERN" -bs -C "$t/c.ini" < "$t/php.in"
is "$CAP_RC" 0 "LF dialogue with two messages: exit 0"
ok "$(only_replies "$CAP_OUT" && echo 1)" "standard output carries only SMTP replies"
is "$(printf '%s\n' "$CAP_OUT" | grep -c '^250 2.0.0 Ok: sent')" 2 "both messages answered 250"
is "$(printf '%s' "$CAP_OUT" | head -n 1 | od -An -c | grep -c '\\r')" 1 "replies end in CRLF"
wait_for_mail 4
is "$(grep -l '^Subject: bsmtp php' "$MAILDIR"/new/* | wc -l)" 2 "first message: both recipients got it"
f=$(grep -l '^Subject: bsmtp php' "$MAILDIR"/new/* | head -n 1)
grep -q '^\.dot-stuffed$' "$f" && ! grep -q '^\.\.dot' "$f"; check_status $? "dot-unstuffed once"
f=$(grep -l '^Subject: bsmtp second' "$MAILDIR"/new/* | head -n 1)
ok "$([ -n "$f" ] && echo 1)" "second message of the session delivered"
like "$(sed '/^$/q' "$f")" '^Message-ID: <' "the normal pipeline added Message-ID"

# ------------------------------------------ From-matching by MAIL FROM
printf 'HELO x\r\nMAIL FROM:<%s>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: bsmtp matched\r\n\r\nx\r\n.\r\nQUIT\r\n' \
	"$TEST_USER" > "$t/match.in"
capture "$POSTERN" -bs -C "$t/match.ini" < "$t/match.in"
is "$CAP_RC" 0 "MAIL FROM picks the account whose from matches"
wait_for_mail 5
grep -lq '^Subject: bsmtp matched' "$MAILDIR"/new/*; check_status $? "delivered through the matched account"

# --------------------------------------------------------- wrong password
rm -f "$HOME/dead.letter"
before=$(mail_count)
out=$(swaks --pipe "$POSTERN -bs -C $t/wrong.ini" --from "$TEST_USER" --to bob@example.org \
	--header "Subject: bsmtp wrong" --body "kept body" 2>&1); rc=$?
is "$rc" 26 "wrong password: swaks reports the failure (26: mail not accepted after DATA)"
like "$out" '<\*\* +451 4\.7\.[0-9] .*authentication failed' "swaks sees 451 4.7.x after DATA with the reason"
grep -q 'kept body' "$HOME/dead.letter"; check_status $? "wrong password: the message is in dead.letter"
sed 's/bsmtp matched/bsmtp wrong 2/' "$t/match.in" > "$t/wrong.in"
capture "$POSTERN" -bs -C "$t/wrong.ini" < "$t/wrong.in"
is "$CAP_RC" 77 "wrong password: exit 77, as without -bs"
like "$CAP_ERR" 'authentication failed' "stderr says why"
ok "$(only_replies "$CAP_OUT" && echo 1)" "failure: standard output still only replies"
sleep 0.5
is "$(mail_count)" "$before" "wrong password: nothing delivered"

# -------------------------------------------------- input ends inside DATA
rm -f "$HOME/dead.letter"
printf 'EHLO x\nMAIL FROM:<%s>\nRCPT TO:<bob@example.org>\nDATA\nSubject: bsmtp cut\n\nhalf a mess' "$TEST_USER" > "$t/cut.in"
capture "$POSTERN" -bs -C "$t/c.ini" < "$t/cut.in"
is "$CAP_RC" 76 "input ends inside DATA: exit 76"
like "$CAP_ERR" 'NOT sent' "stderr says the message was not sent"
ok "$(only_replies "$CAP_OUT" && echo 1)" "nothing but replies on standard output"
sleep 0.5
grep -lq '^Subject: bsmtp cut' "$MAILDIR"/new/*
is "$?" 1 "the cut-off message was not delivered"
ok "$([ ! -e "$HOME/dead.letter" ] && echo 1)" "and nothing half-written was kept"

# ----------------------------------------------------- refusals, -v trace
printf 'MAIL FROM:<%s>\nRCPT TO:<-oQ/tmp/x@example.org>\nRCPT TO:<bob@example.org>\nBDAT 1 LAST\nQUIT\n' "$TEST_USER" > "$t/bad.in"
capture "$POSTERN" -bs -v -C "$t/c.ini" < "$t/bad.in"
is "$CAP_RC" 0 "refused commands alone do not fail the session"
like "$CAP_OUT" '^553 5\.1\.3 ' "a bad recipient gets 553"
like "$CAP_OUT" '^502 5\.5\.1 ' "BDAT (not offered) gets 502"
like "$CAP_ERR" '<-- RCPT TO:<bob@example.org>' "-v shows the dialogue on stderr"
ok "$(only_replies "$CAP_OUT" && echo 1)" "-v: standard output still only replies"

tap_done
