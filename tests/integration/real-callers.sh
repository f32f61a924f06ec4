#!/bin/bash
# The programs that really run sendmail, as they run it, against the real
# Postfix: PHP's mail() (with and without its 5th argument -f), mutt in
# batch mode (Bcc, envelope sender, -N), Debian cron's and cronie's argv
# with their header sets and a bare "root", git send-email, bsd-mailx's
# mail -s and unattended-upgrades' -oi -t.  Each asserts what arrived:
# the envelope (Postfix writes the sender as Return-Path and each
# recipient as Delivered-To in its copy), and the From, To and
# X-Original-From fields after aliases, default_domain and rewrite_from.
# One server for all.  TAP.
#
# Postfix owns /usr/sbin/sendmail here, so each program is pointed at a
# wrapper that records its argv and runs postern: PHP through
# sendmail_path, mutt and mailx through their sendmail variable, git
# through --sendmail-cmd.  cron's argv is run with cron's message on
# stdin (running the daemon would wait for the next minute).
. "${top_srcdir:-.}/tests/integration/lib.sh"
require_root_and_deps server callers

test_tmpdir
t=$TEST_TMPDIR
# the configuration is found from HOME, as it is for root's cron jobs
export HOME=$t/home
unset XDG_CONFIG_HOME XDG_STATE_HOME MAILRC EMAIL
mkdir -p "$HOME/.config/postern"
cfg=$HOME/.config/postern/config.ini
server_start "$t/srv"

cat > "$t/aliases" <<'EOF'
# as in /etc/aliases
postmaster: root
root: admin@example.org
www-data: webmaster@example.org,
	root
EOF
mk_account_config "$cfg" port="$SUBMISSION_PORT" \
	from="alice@example.org, *@shop.example.org" \
	aliases="$t/aliases" default_domain=example.org

# The wrapper every program is given as its sendmail: one line of argv
# per run in $t/argv.
cat > "$t/sendmail" <<EOF
#!/bin/sh
echo "\$*" >> "$t/argv"
exec "$POSTERN" "\$@"
EOF
chmod 755 "$t/sendmail"
last_argv() { tail -n 1 "$t/argv"; }

# What arrived with this Subject: "sender -> recipient recipient ..." from
# the copies' Return-Path and Delivered-To (one copy per recipient).
envelope() {
	local f s r=
	for f in $(grep -lxF "Subject: $1" "$MAILDIR"/new/* 2>/dev/null); do
		s=$(sed -n '/^$/q; s/^Return-Path: <\(.*\)>$/\1/p' "$f")
		r="$r $(sed -n '/^$/q; s/^Delivered-To: //p' "$f")"
	done
	echo "$s ->$(tr ' ' '\n' <<< "$r" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//; s/^/ /')"
}
# The value of header NAME (its first line) in the first copy with this
# Subject, or "(none)".
field() {
	local f
	f=$(grep -lxF "Subject: $1" "$MAILDIR"/new/* 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo "(no message)"; return; }
	sed -n "/^\$/q; s/^$2: //p" "$f" | head -n 1 | grep . || echo "(none)"
}

# ------------------------------------------------ PHP mail()
# sendmail_path = wrapper -t -i (PHP runs it through a shell); a web
# app's From is www-data's bare name; To is a bare root.
php_mail() {
	# shellcheck disable=SC2016 # PHP's $argv
	capture php -n -d display_errors=stderr -d sendmail_path="$t/sendmail -t -i" \
		-r 'var_export(count($argv) > 5 ? mail($argv[1], $argv[2], $argv[3], $argv[4], $argv[5])
		                                : mail($argv[1], $argv[2], $argv[3], $argv[4]));' "$@"
}
php_mail root "PHP plain" "order 1" "From: www-data"
is "$CAP_RC $CAP_OUT" "0 true" "PHP mail(): returns true"
is "$(last_argv)" "-t -i" "PHP mail(): argv -t -i"
php_mail bob@example.org "PHP with -f" "order 2" "From: Shop <orders@shop.example.org>" "-forders@shop.example.org"
is "$CAP_RC $CAP_OUT" "0 true" "PHP mail() -f: returns true"
is "$(last_argv)" "-t -i -forders@shop.example.org" "PHP mail() -f: argv"
php_mail bob@example.org "PHP web form" "hello" "From: Customer <customer@gmail.example>" "-fcustomer@gmail.example"
is "$CAP_RC $CAP_OUT" "0 true" "PHP mail() with a foreign -f: returns true"
wait_for_mail 3
is "$(envelope "PHP plain")" "alice@example.org -> admin@example.org" \
	"PHP mail(): the account's sender; root through the alias"
is "$(field "PHP plain" From)" "alice@example.org" "PHP mail(): the bare From www-data rewritten"
is "$(field "PHP plain" X-Original-From)" "(none)" "PHP mail(): no X-Original-From for a bare name"
is "$(field "PHP plain" To)" "root@example.org" "PHP mail(): To qualified with default_domain"
is "$(envelope "PHP with -f")" "orders@shop.example.org -> bob@example.org" \
	"PHP mail() -f: the 5th argument is the sender (it matches *@shop.example.org)"
is "$(field "PHP with -f" From)" "Shop <orders@shop.example.org>" "PHP mail() -f: From untouched"
is "$(envelope "PHP web form")" "alice@example.org -> bob@example.org" \
	"PHP mail(), foreign -f: the account's sender instead"
is "$(field "PHP web form" From)" "Customer <alice@example.org>" "PHP mail(), foreign From: the account's address, the name kept"
is "$(field "PHP web form" X-Original-From)" "Customer <customer@gmail.example>" \
	"PHP mail(), foreign From: kept in X-Original-From"
clear_maildir

# ------------------------------------------------ cron
# Debian cron 3.0pl1 (do_command.c): sendmail -FCronDaemon -i -B8BITMIME
# -oem MAILTO, with these fields; MAILTO unset means the job's user.
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> run-parts /etc/cron.daily\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\nX-Cron-Env: <PATH=/usr/bin:/bin>\nX-Cron-Env: <LOGNAME=root>\n\n/etc/cron.daily/logrotate: done\n' > "$t/cron.msg"
capture "$POSTERN" -FCronDaemon -i -B8BITMIME -oem root < "$t/cron.msg"
is "$CAP_RC" 0 "Debian cron argv: exit 0"
is "$CAP_ERR" "" "Debian cron argv: nothing on stderr"
# cronie (do_command.c): -FCronDaemon -i -odi -oem -oi -t, the same
# fields, MAILTO=www-data
sed 's/^To: root$/To: www-data/; s|^Subject: .*|Subject: Cron <www-data@host> php /srv/app/cron.php|' "$t/cron.msg" > "$t/cronie.msg"
capture "$POSTERN" -FCronDaemon -i -odi -oem -oi -t < "$t/cronie.msg"
is "$CAP_RC" 0 "cronie argv: exit 0"
wait_for_mail 3
s="Cron <root@host> run-parts /etc/cron.daily"
is "$(envelope "$s")" "alice@example.org -> admin@example.org" "Debian cron: RCPT TO the alias of root, not <root>"
is "$(field "$s" From)" '"Cron Daemon" <alice@example.org>' "Debian cron: From rewritten, the display name kept"
is "$(field "$s" X-Original-From)" "(none)" "Debian cron: no X-Original-From for root"
is "$(field "$s" To)" "root@example.org" "Debian cron: To qualified"
is "$(field "$s" X-Cron-Env)" "<SHELL=/bin/sh>" "Debian cron: cron's fields kept"
s="Cron <www-data@host> php /srv/app/cron.php"
is "$(envelope "$s")" "alice@example.org -> admin@example.org webmaster@example.org" \
	"cronie: www-data through its alias (one line continued, root followed)"
is "$(field "$s" From)" '"Cron Daemon" <alice@example.org>' "cronie: From rewritten"
is "$(field "$s" To)" "www-data@example.org" "cronie: To qualified"
clear_maildir

# ------------------------------------------------ unattended-upgrades
# sendmail -oi -t, From: root, To: root (its Unattended-Upgrade::Mail)
printf 'From: root\nTo: root\nSubject: unattended-upgrades result for host: SUCCESS\nContent-Type: text/plain; charset="utf-8"\nAuto-Submitted: auto-generated\n\nUnattended upgrade result: All upgrades installed\n' > "$t/uu.msg"
capture "$POSTERN" -oi -t < "$t/uu.msg"
is "$CAP_RC" 0 "unattended-upgrades argv: exit 0"
wait_for_mail 1
s="unattended-upgrades result for host: SUCCESS"
is "$(envelope "$s")" "alice@example.org -> admin@example.org" "unattended-upgrades: root through the alias"
is "$(field "$s" From)" "alice@example.org" "unattended-upgrades: the bare From rewritten"
clear_maildir

# ------------------------------------------------ mutt
cat > "$t/muttrc" <<EOF
set sendmail="$t/sendmail"
set from="Alice Liddell <alice@example.org>"
set use_envelope_from=yes
set dsn_notify="failure,delay"
set dsn_return=hdrs
set charset=utf-8
set record=
set copy=no
EOF
echo "mutt body" > "$t/mutt.body"
capture mutt -n -F "$t/muttrc" -s "mutt batch" -b carol@example.org -- bob@example.org < "$t/mutt.body"
is "$CAP_RC" 0 "mutt batch: exit 0"
is "$(last_argv)" "-f alice@example.org -N failure,delay -R hdrs -- bob@example.org carol@example.org" \
	"mutt: argv with -f, -N, -R and --"
wait_for_mail 2
is "$(envelope "mutt batch")" "alice@example.org -> bob@example.org carol@example.org" "mutt: envelope with the Bcc"
is "$(field "mutt batch" Bcc)" "(none)" "mutt: no Bcc field arrives"
is "$(field "mutt batch" From)" "Alice Liddell <alice@example.org>" "mutt: From as mutt wrote it"
clear_maildir

# ------------------------------------------------ git send-email
export GIT_AUTHOR_NAME="Alice Liddell" GIT_AUTHOR_EMAIL=alice@example.org
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
git init -q "$t/repo"
(cd "$t/repo" && echo frob > f && git add f && git commit -q -m "Fix the frobnicator" &&
	git format-patch -q -1 -o "$t/patches")
capture git -C "$t/repo" send-email --sendmail-cmd="$t/sendmail" --to=bob@example.org \
	--from="Alice Liddell <alice@example.org>" --envelope-sender=alice@example.org \
	--confirm=never --suppress-cc=all --no-validate --quiet "$t/patches"/0001-*.patch
is "$CAP_RC" 0 "git send-email: exit 0"
is "$(last_argv)" "-f alice@example.org -i bob@example.org" "git send-email: argv"
wait_for_mail 1
s="[PATCH] Fix the frobnicator"
is "$(envelope "$s")" "alice@example.org -> bob@example.org" "git send-email: envelope"
is "$(field "$s" From)" "Alice Liddell <alice@example.org>" "git send-email: From"
clear_maildir

# ------------------------------------------------ bsd-mailx
# mail -s: its sendmail variable names the program (default
# /usr/sbin/sendmail); the From is the user's bare name.
printf 'set sendmail=%s\n' "$t/sendmail" > "$t/mailrc"
echo "disk almost full" | MAILRC=$t/mailrc capture mail -s "mailx report" root
is "$CAP_RC" 0 "mailx: exit 0"
is "$(last_argv)" "-i -t" "mailx: argv (it writes To: and passes -t)"
wait_for_mail 1
is "$(envelope "mailx report")" "alice@example.org -> admin@example.org" "mailx: root through the alias"
is "$(field "mailx report" To)" "root@example.org" "mailx: To qualified"
is "$(field "mailx report" From)" "alice@example.org" "mailx: no From of its own; the account's added"
clear_maildir

# ------------------------------------------------ pinned and left alone
# allow_from_override = no: -f does not choose the sender; rewrite_from =
# never: the From stays, only qualified by default_domain.
mk_account_config "$t/pinned.ini" port="$SUBMISSION_PORT" \
	from="alice@example.org, *@shop.example.org" aliases="$t/aliases" default_domain=example.org \
	allow_from_override=no rewrite_from=never
printf 'From: root (Cron Daemon)\nTo: root, Ops <ops>\nSubject: pinned\n\nx\n' |
	capture "$POSTERN" -C "$t/pinned.ini" -FCronDaemon -i -oem -f orders@shop.example.org root
is "$CAP_RC" 0 "allow_from_override = no: exit 0"
wait_for_mail 1
is "$(envelope pinned)" "alice@example.org -> admin@example.org" "allow_from_override = no: -f ignored, the account's sender"
is "$(field pinned From)" "root@example.org (Cron Daemon)" "rewrite_from = never: From only qualified"
is "$(field pinned To)" "root@example.org, Ops <ops@example.org>" "default_domain: each bare name in To, display names kept"
clear_maildir

# ------------------------------------------------ refused before sending
# no alias and no default_domain: a clear error, nothing sent, the message kept
mk_account_config "$t/bare.ini" port="$SUBMISSION_PORT" aliases=none
capture "$POSTERN" -C "$t/bare.ini" -FCronDaemon -i -B8BITMIME -oem root < "$t/cron.msg"
is "$CAP_RC" 78 "a bare root without alias or default_domain: exit 78 (configuration)"
like "$CAP_ERR" "^postern: recipient root is a local name with no domain, and \\[work\\] has no default_domain: add \"root: you@example.org\" to the aliases file \\(aliases = FILE\\), or default_domain = example.org to \\[work\\] in $t/bare.ini\$" \
	"... saying what to add"
sleep 0.5
is "$(mail_count)" 0 "... and nothing was sent"

tap_done
