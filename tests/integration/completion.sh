#!/bin/bash
# The shell completions (contrib/completion): the bash one is sourced and its
# function called as bash calls it (COMP_WORDS, COMP_CWORD, COMP_LINE,
# COMP_POINT), and COMPREPLY is checked exactly; the zsh one is completed in
# a real interactive zsh on a pseudo-terminal (tests/integration/zsh-complete.zsh,
# zsh's zpty module).  Needs no root, no network, no server, no postern
# binary: bash, and zsh (tests/server/install-deps.sh, group shell).  TAP.
. "${top_srcdir:-.}/tests/integration/lib.sh"

BASH_COMP=$top_srcdir/contrib/completion/postern.bash
ZSH_DIR=$top_srcdir/contrib/completion
test_tmpdir
t=$TEST_TMPDIR
export HOME=$t/home
unset XDG_CONFIG_HOME
mkdir -p "$HOME/.config/postern" "$t/xdg/postern" "$t/files" "$t/empty"

# The default configuration: [defaults] in any case is no account, nor is
# anything in a comment or an indented line; names keep their characters,
# shell syntax included (it must come back as text, never run).
mk_config "$HOME/.config/postern/config.ini" - <<'EOF'
; [commented]
# [hashed]
[defaults]
default_account = work

[work]
host = localhost
[alice@example.org]
host = localhost
  [indented]
[$(touch PWNED)]
[DEFAULTS]
[last]
EOF
mk_config "$t/other.ini" "[other]" "host = a" "[second]" "host = b"
mk_config "$t/xdg/postern/config.ini" "[from-xdg]" "host = a"
touch "$t/files/one.ini" "$t/files/two.ini" "$t/files/x.txt"

# shellcheck disable=SC1090
. "$BASH_COMP"
is "$?" 0 "sourcing the bash completion returns 0 (bash-completion's loader needs that)"
is "$(complete -p postern 2>&1)" "complete -F _postern postern" "the file registers _postern for postern"

# comp WORD... : complete the last WORD (the one the cursor is at the end
# of) as bash would; sets $got to COMPREPLY joined with spaces.
comp() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=(unchanged)
    _postern
    got="${COMPREPLY[*]}"
}
# shellcheck disable=SC2016 # a section name, literally
default_accounts='work alice@example.org $(touch PWNED) last'

cd "$t" || bail "cd $t"
comp postern ''
is "$got" "password queue doctor oauth2 setup import-msmtprc" "postern <TAB>: the subcommands"
comp postern p
is "$got" "password" "postern p<TAB>: password"
comp postern i
is "$got" "import-msmtprc" "postern i<TAB>: import-msmtprc"
comp postern password ''
is "$got" "set forget check" "postern password <TAB>: its verbs"
comp postern password set ''
is "$got" "$default_accounts" "postern password set <TAB>: the accounts of the default configuration"
[ ! -e "$t/PWNED" ] && [ ! -e "$HOME/PWNED" ]; check_status $? "a section name with \$(...) is offered as text, never run"
comp postern password set -C "$t/other.ini" ''
is "$got" "other second" "postern password set -C FILE <TAB>: the accounts of FILE"
comp postern password check "-C$t/other.ini" s
is "$got" "second" "-CFILE (attached) and a prefix"
comp postern password forget -C "'$t/other.ini'" ''
is "$got" "other second" "-C 'FILE' (quoted on the line)"
comp postern password set -a ''
is "$got" "$default_accounts" "postern password set -a <TAB>: the accounts"
comp postern password set work ''
is "$got" "" "postern password set ACCOUNT <TAB>: nothing more (one account)"
comp postern password set -a work ''
is "$got" "" "postern password set -a ACCOUNT <TAB>: nothing more"
comp postern password set -
is "$got" "-C -a -v --help" "postern password set -<TAB>: its options"
XDG_CONFIG_HOME=$t/xdg comp postern password set ''
is "$got" "from-xdg" "\$XDG_CONFIG_HOME/postern/config.ini comes first, as for postern"
XDG_CONFIG_HOME=relative comp postern password set ''
is "$got" "$default_accounts" "a relative \$XDG_CONFIG_HOME is ignored, as by postern"
comp postern password set -C "$t/absent.ini" ''
is "$got" "" "-C naming no file: no accounts"

comp postern doctor -
is "$got" "-C -a -v --ports --help" "postern doctor -<TAB>: its options"
comp postern doctor a
is "$got" "alice@example.org" "postern doctor a<TAB>: the account"
comp postern doctor -v ''
is "$got" "$default_accounts" "postern doctor -v <TAB>: the accounts"
comp postern doctor --ports ''
is "$got" "" "postern doctor --ports <TAB>: a list of ports, nothing offered"
(cd "$t/empty" && comp postern doctor -C '' && is "$got" "" "postern doctor -C <TAB>: file names (none in an empty directory)")
_tap_n=$((_tap_n + 1))	# counted in the subshell
comp postern doctor -C "$t/files/"
is "$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ')" "$t/files/one.ini $t/files/two.ini $t/files/x.txt " \
    "postern doctor -C DIR/<TAB>: the files"

comp postern oauth2 ''
is "$got" "authorize status forget" "postern oauth2 <TAB>: its verbs"
comp postern oauth2 authorize -
is "$got" "-C -a -v --help --device --paste --no-browser" "postern oauth2 authorize -<TAB>: its options"
comp postern oauth2 status -
is "$got" "-C -a -v --help" "postern oauth2 status -<TAB>: no flow options"
comp postern oauth2 status ''
is "$got" "$default_accounts" "postern oauth2 status <TAB>: the accounts"

comp postern queue ''
is "$got" "list run show drop retry" "postern queue <TAB>: its verbs"
comp postern queue run -
is "$got" "--all --until-empty -C -v --help" "postern queue run -<TAB>: its options"
comp postern queue list -
is "$got" "--failed -C --help" "postern queue list -<TAB>: its options"

comp postern setup --
is "$got" "--account --host --port --tls --user --password-stdin --store --oauth2 --yes --dry-run" \
    "postern setup --<TAB>: its options"
comp postern setup --tls ''
is "$got" "starttls implicit" "postern setup --tls <TAB>"
comp postern setup --store ''
is "$got" "keyring file" "postern setup --store <TAB>"
comp postern setup --account ''
is "$got" "" "postern setup --account <TAB>: a new name, no existing one offered"

comp postern import-msmtprc -
is "$got" "-C --dry-run" "postern import-msmtprc -<TAB>"
comp postern import-msmtprc "$t/files/t"
is "$got" "$t/files/two.ini" "postern import-msmtprc FILE<TAB>: file names"

comp sendmail -
is "$got" "-t -f -r -F -i -oi -a -C -v -odb -odq -N -R -V -bs -bp -q --version --help" \
    "sendmail -<TAB>: the sendmail options"
comp /usr/sbin/sendmail -o
is "$got" "-oi -odb -odq" "/usr/sbin/sendmail -o<TAB>"
comp postern -t -
is "$got" "-t -f -r -F -i -oi -a -C -v -odb -odq -N -R -V -bs -bp -q --version --help" \
    "postern -t -<TAB>: the sendmail options"
comp sendmail -a ''
is "$got" "$default_accounts" "sendmail -a <TAB>: the accounts"
comp postern -C "$t/other.ini" -a ''
is "$got" "other second" "postern -C FILE -a <TAB>: the accounts of FILE"
comp sendmail -R ''
is "$got" "full hdrs" "sendmail -R <TAB>"
comp sendmail -t password ''
is "$got" "" "a recipient named like a subcommand is a recipient"
comp sendmail password ''
is "$got" "" "sendmail password <TAB>: subcommands only for postern"

# ------------------------------------------------------------------ zsh
n_zsh=11
if ! command -v zsh >/dev/null 2>&1; then
    skip "zsh is not installed (tests/server/install-deps.sh shell)" "$n_zsh"
    tap_done
fi
out=$(zsh -n "$ZSH_DIR/_postern" 2>&1)
check_status $? "zsh -n _postern: the zsh completion parses" || diag "$out"

zout=$t/zsh.out
lines=('postern ' 'postern password ' 'postern password set ' "postern password set -C $t/other.ini "
       'postern doctor -' 'postern oauth2 authorize --' 'postern setup --tls ' 'postern -o')
timeout 60 zsh -f "$top_srcdir/tests/integration/zsh-complete.zsh" "$ZSH_DIR" "$zout" "${lines[@]}" \
    >/dev/null 2>"$t/zsh.err" </dev/null
check_status $? "zsh completed the lines on a pseudo-terminal" || diag "$(cat "$t/zsh.err")"
# zmatches LINE: the matches zsh offered for LINE, sorted, space-separated
zmatches() {
    awk -v want="== $1" '$0 == want { on = 1; next } /^== / { on = 0 } on && NF' "$zout" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
is "$(zmatches 'postern ')" "doctor import-msmtprc oauth2 password queue setup" "zsh: postern <TAB>"
is "$(zmatches 'postern password ')" "check forget set" "zsh: postern password <TAB>"
# (zsh quotes what it inserts)
is "$(zmatches 'postern password set ')" '\$\(touch\ PWNED\) alice@example.org last work' \
    "zsh: postern password set <TAB>: the accounts of the default configuration"
[ ! -e "$t/PWNED" ] && [ ! -e "$HOME/PWNED" ]; check_status $? "zsh: a section name with \$(...) is not run"
is "$(zmatches "postern password set -C $t/other.ini ")" "other second" "zsh: -C FILE: the accounts of FILE"
is "$(zmatches 'postern doctor -')" "--help --ports -C -a -v" "zsh: postern doctor -<TAB>"
is "$(zmatches 'postern oauth2 authorize --')" "--device --help --no-browser --paste" "zsh: postern oauth2 authorize --<TAB>"
is "$(zmatches 'postern setup --tls ')" "implicit starttls" "zsh: postern setup --tls <TAB>"
is "$(zmatches 'postern -o')" "-odb -odq -oi" "zsh: postern -o<TAB>: sendmail options"
tap_done
