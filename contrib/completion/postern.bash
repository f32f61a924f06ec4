# bash completion for postern(1)                           -*- shell-script -*-
#
# Installed as .../bash-completion/completions/postern, where bash-completion
# loads it the first time `postern` is completed.  It needs nothing from
# bash-completion itself, so it also works when sourced from ~/.bashrc.
#
# Completes postern's own commands (only as the first argument, as postern
# parses them), their options, the sendmail options, file names after -C,
# and account names -- the [sections] of the configuration that -C names on
# the line, else of the one postern itself would read -- after -a and as the
# ACCOUNT argument of password, doctor and oauth2.

# The configuration file postern would read for this command line: the value
# of -C FILE (or -CFILE) typed before the word being completed, else the same
# search as postern's config_find(): $XDG_CONFIG_HOME/postern/config.ini
# (when absolute), ~/.config/postern/config.ini, then /etc/postern.ini.
# Only a leading ~/ and plain quotes are undone in a typed name: the line is
# never eval'ed, so completing cannot run anything the user typed.
_postern_config_file()
{
    local i w f=
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        -C) ((i + 1 < COMP_CWORD)) && f=${COMP_WORDS[i + 1]} ;;
        -C*) f=${w#-C} ;;
        esac
    done
    if [[ -n $f ]]; then
        f=${f//\'/}
        f=${f//\"/}
        # shellcheck disable=SC2088 # the typed text, not an expansion
        [[ $f == "~/"* ]] && f=$HOME/${f#"~/"}
        printf '%s\n' "$f"
        return
    fi
    if [[ ${XDG_CONFIG_HOME:-} == /* ]]; then
        f=$XDG_CONFIG_HOME/postern/config.ini
    else
        f=${HOME:-}/.config/postern/config.ini
    fi
    [[ -e $f ]] || f=/etc/postern.ini
    printf '%s\n' "$f"
}

# The account names of the configuration: every [section] but [defaults].
# A section header starts in the first column and its name ends at the
# first ']' (as postern's parser reads it).
_postern_accounts()
{
    local f line name
    f=$(_postern_config_file)
    [[ -r $f ]] || return 0
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line == '['* ]] || continue
        name=${line#\[}
        [[ $name == *']'* ]] || continue
        name=${name%%]*}
        [[ -n $name && ${name,,} != defaults ]] && printf '%s\n' "$name"
    done < "$f"
}

# COMPREPLY: the words of $1 (one per line) that start with $2.  Not
# compgen -W, which expands each word ($(...) included): an account name is
# text from a file, never code.
_postern_reply()
{
    local w
    COMPREPLY=()
    while IFS= read -r w; do
        [[ -n $w && $w == "$2"* ]] && COMPREPLY+=("$w")
    done <<< "$1"
}

_postern_files()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    # shellcheck disable=SC2207
    COMPREPLY=($(compgen -f -- "$1"))
}

# Whether an ACCOUNT (or other argument) was already given after the
# subcommand at index $1, or -a named one: postern takes one, after its
# options.
_postern_has_arg()
{
    local i w
    for ((i = $1 + 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        -a) return 0 ;;
        -C | --ports | --host | --port | --tls | --user | --store | --account) ((i++)) ;;
        -*) ;;
        *) return 0 ;;
        esac
    done
    return 1
}

# postern password|doctor|oauth2|queue|setup|import-msmtprc ...
_postern_command()
{
    local cmd=${COMP_WORDS[1]} cur=$1 prev=$2 sub='' opts
    local nl=$'\n'

    case $prev in
    -C) _postern_files "$cur"; return ;;
    -a) _postern_reply "$(_postern_accounts)" "$cur"; return ;;
    esac

    case $cmd in
    password | oauth2 | queue)
        if ((COMP_CWORD == 2)); then
            case $cmd in
            password) _postern_reply "set${nl}forget${nl}check" "$cur" ;;
            oauth2) _postern_reply "authorize${nl}status${nl}forget" "$cur" ;;
            queue) _postern_reply "list${nl}run${nl}show${nl}drop${nl}retry" "$cur" ;;
            esac
            return
        fi
        sub=${COMP_WORDS[2]}
        ;;
    esac

    case $cmd in
    password) opts="-C -a -v --help" ;;
    oauth2)
        opts="-C -a -v --help"
        [[ $sub == authorize ]] && opts="$opts --device --paste --no-browser"
        ;;
    doctor)
        [[ $prev == --ports ]] && return
        opts="-C -a -v --ports --help"
        ;;
    queue)
        case $sub in
        list) opts="--failed -C" ;;
        run) opts="--all --until-empty -C -v" ;;
        show | drop) opts="-C" ;;
        retry) opts="-C -v" ;;
        esac
        opts="$opts --help"
        ;;
    setup)
        case $prev in
        --tls) _postern_reply "starttls${nl}implicit" "$cur"; return ;;
        --store) _postern_reply "keyring${nl}file" "$cur"; return ;;
        --account | --host | --port | --user | --oauth2) return ;;
        esac
        opts="-C --account --host --port --tls --user --password-stdin --store --oauth2 --yes --dry-run -v"
        ;;
    import-msmtprc)
        if [[ $cur != -* ]]; then
            _postern_has_arg 1 || _postern_files "$cur"
            return
        fi
        opts="-C --dry-run"
        ;;
    esac

    if [[ $cur == -* ]]; then
        _postern_reply "${opts// /$nl}" "$cur"
        return
    fi
    # The ACCOUNT argument: one, after the options.
    case $cmd in
    doctor) _postern_has_arg 1 || _postern_reply "$(_postern_accounts)" "$cur" ;;
    password | oauth2) _postern_has_arg 2 || _postern_reply "$(_postern_accounts)" "$cur" ;;
    esac
}

# postern (or sendmail) as sendmail: its options, and what some of them take.
_postern_sendmail()
{
    local cur=$1 prev=$2 nl=$'\n'
    case $prev in
    -C) _postern_files "$cur"; return ;;
    -a) _postern_reply "$(_postern_accounts)" "$cur"; return ;;
    -N) _postern_reply "never${nl}success,failure,delay${nl}success${nl}failure${nl}delay" "$cur"; return ;;
    -R) _postern_reply "full${nl}hdrs" "$cur"; return ;;
    -f | -r | -F | -V) return ;;
    esac
    [[ $cur == -* ]] || return
    _postern_reply "-t${nl}-f${nl}-r${nl}-F${nl}-i${nl}-oi${nl}-a${nl}-C${nl}-v${nl}-odb${nl}-odq${nl}-N${nl}-R${nl}-V${nl}-bs${nl}-bp${nl}-q${nl}--version${nl}--help" "$cur"
}

_postern()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev='' nl=$'\n'
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    if [[ ${COMP_WORDS[0]##*/} == postern ]]; then
        if ((COMP_CWORD == 1)) && [[ $cur != -* ]]; then
            _postern_reply "password${nl}queue${nl}doctor${nl}oauth2${nl}setup${nl}import-msmtprc" "$cur"
            return
        fi
        case ${COMP_WORDS[1]} in
        password | queue | doctor | oauth2 | setup | import-msmtprc)
            ((COMP_CWORD >= 2)) && { _postern_command "$cur" "$prev"; return; }
            ;;
        esac
    fi
    _postern_sendmail "$cur" "$prev"
}

complete -F _postern postern
# sendmail too, where it is postern (the postern-mta package's link).  (An
# if, not &&: sourcing this file must return 0, or bash-completion's loader
# takes it as "no completion here".)
if [[ $(readlink -f /usr/sbin/sendmail 2>/dev/null) == */postern ]]; then
    complete -F _postern sendmail
fi
