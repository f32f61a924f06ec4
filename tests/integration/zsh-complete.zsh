# zsh -f zsh-complete.zsh FPATH_DIR OUTFILE LINE...: completes each LINE in
# an interactive zsh on a pseudo-terminal (zsh's zpty module), with the
# completion functions of FPATH_DIR, and writes to OUTFILE, for each LINE, a
# line "== LINE" and then every match offered, one per line.  Exit 2 when
# zsh could not be set up.  Used by tests/integration/completion.sh.
zmodload zsh/zpty || exit 2
dir=$1 out=$2
shift 2
: > $out

zpty -b z zsh -f -i || exit 2

# sync TAG: wait until the shell has run everything typed so far, and
# answers 1 when the set-up below is in place.  The command is typed again
# now and then: input typed while the shell is still starting may be lost.
# The echo of the command shows "TAG-$(( 6 * 7 ))", only its output "TAG-42".
sync() {
  local got= chunk i
  for (( i = 0; i < 200; i++ )); do
    (( i % 40 == 0 )) && zpty -w z "print -r -- $1-\$(( 6 * 7 ))-\${+functions[compadd]}"
    while zpty -rt z chunk; do got+=$chunk; done
    [[ $got == *"$1-42-1"* ]] && return 0
    [[ $got == *"$1-42-0"* ]] && return 1
    sleep 0.05
  done
  return 1
}

setup() {
  zpty -w z "PS1=''; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
  zpty -w z "zstyle ':completion:*' menu no; setopt nolistambiguous nobeep"
  # every match that a completion function adds, also into OUTFILE (calls
  # that only collect matches, with -O, -A or -D, are passed on as they are)
  zpty -w z "compadd() { if [[ \${(j: :)@} == *-[OAD]\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a h; builtin compadd -A h \"\$@\"; print -rl -- \$h >> ${(q)out}; builtin compadd \"\$@\"; }"
}

n=0
until setup; sync ready$n; do
  (( ++n < 3 )) || { print -u2 "zsh-complete: the interactive zsh did not take the set-up"; exit 2; }
done

for line in "$@"; do
  print -r -- "== $line" >> $out
  zpty -w -n z "$line"$'\t'
  # zle reads its input in order: once sync is answered, the completion has
  # finished (^U first drops what it inserted)
  zpty -w -n z $'\C-u'
  sync "done$((n++))" || { print -u2 "zsh-complete: no answer after completing: $line"; exit 2; }
done
zpty -d z
