#!/usr/bin/env bash
# contrib/bash-completion/tockctl, driven in this bash as bash drives it: the script is sourced,
# COMP_LINE, COMP_POINT, COMP_WORDS (split at blanks, and at ':' and '=' which become words of
# their own, as bash splits with its default COMP_WORDBREAKS) and COMP_CWORD are set, the function `complete` registered for tockctl is
# called and COMPREPLY is checked. Job names come from a real tockd (its socket in the temp dir).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "tockctl completion"
COMPLETION=$TC_ROOT/contrib/bash-completion/tockctl
# shellcheck source=../../contrib/bash-completion/tockctl
. "$COMPLETION"
fn=$(complete -p tockctl 2>/dev/null | sed -n 's/.*-F \([^ ]*\) tockctl$/\1/p')
check "sourcing the script registers a completion function for tockctl" test -n "$fn"

# comp LINE: completes at the end of LINE; the candidates, one per line and sorted, in $T/candidates
comp() {
	local line=$1 w
	local -a split=()
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
	for w in $line; do
		while [[ $w == *[:=]* ]]; do
			[ -n "${w%%[:=]*}" ] && split+=("${w%%[:=]*}")
			w=${w#"${w%%[:=]*}"}
			split+=("${w:0:1}")
			w=${w:1}
		done
		[ -n "$w" ] && split+=("$w")
	done
	[[ $line == *[[:blank:]] ]] && split+=("")
	COMP_WORDS=("${split[@]}")
	COMP_CWORD=$((${#split[@]} - 1))
	COMPREPLY=()
	"$fn" tockctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort >"$T/candidates"
}
# has WHAT WORD...: each WORD is a candidate
has() {
	local what=$1 w
	shift
	for w in "$@"; do
		if ! grep -qxF -- "$w" "$T/candidates"; then
			flunk "$what" "no '$w' among: $(tr '\n' ' ' <"$T/candidates")"
			return
		fi
	done
	pass "$what"
}
# exactly WHAT WORD...: the candidates are exactly the WORDs
exactly() {
	local what=$1
	shift
	if [ "$(cat "$T/candidates")" = "$(printf '%s\n' "$@" | sort)" ]; then pass "$what"; else
		flunk "$what" "got: $(tr '\n' ' ' <"$T/candidates"), wanted: $*"
	fi
}

C=$TOCKCTL
section "commands and options"
comp "$C "
has "all commands after tockctl" check next export list install edit remove restore status why run reload metrics help
comp "$C st"
exactly "a command from its start" status
comp "$C -"
exactly "the global option" --socket
comp "$C check --"
exactly "check's options" --system --cron-compat --help
comp "$C remove -"
exactly "remove's options, -i included" -u -i --json --help
comp "$C next --"
has "next's options" --from --tz --count --json --system --file --help
comp "$C export --"
exactly "export's options" --to --system --image --namespace --prefix --tz --from --strict --help
comp "$C export --to "
exactly "export's targets" kubernetes systemd
comp "$C next --tz Europe/Par"
exactly "a zone after --tz" Europe/Paris
comp "$C next --tz Antarc"
exactly "a zone directory, with its slash" Antarctica/
comp "$C list -u ro"
has "a user after -u" root
mkdir -p "$T/files"
: >"$T/files/mine.cron"
comp "$C check $T/files/mi"
exactly "a file after check" "$T/files/mine.cron"
comp "$C --socket $T/files/mi"
exactly "a path after --socket" "$T/files/mine.cron"

section "jobs from tockd"
td_prepare comp
put "$T/comp/cron.d/jobs" <<'TABLE'
[name:nightly] 0 0 1 1 * root true
0 0 1 1 * root true
[name:weekly-report] 0 0 1 1 * root true
TABLE
tc_start comp || { finish; exit; }
unset TOCK_SOCKET
comp "$C --socket $SOCK why "
exactly "why: each job's name, else its TABLE:LINE" nightly weekly-report "$T/comp/cron.d/jobs:2"
comp "$C --socket $SOCK run ni"
exactly "run: a job from the start of its name" nightly
comp "$C --socket=$SOCK run w"
exactly "--socket=PATH is followed too" weekly-report
# bash replaces only what follows the last ':' of the word
comp "$C --socket $SOCK why $T/comp/cron.d/jobs:"
exactly "TABLE:LINE after the colon: the part bash replaces" 2
TOCK_SOCKET=$SOCK comp "$C why -u root "
exactly "\$TOCK_SOCKET and -u USER reach tockd's status" nightly weekly-report "$T/comp/cron.d/jobs:2"
comp "$C --socket $T/no-such.sock why "
exactly "no tockd: no job, and no error" ""
comp "$C --socket $SOCK status "
exactly "status takes no job" ""
check "tockd is alive" tc_alive comp
td_stop comp
finish
