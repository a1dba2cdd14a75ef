#!/bin/bash
# The bash completion script offers what the parser takes: commands, each
# command's options (all that its --help lists, none that it refuses), event
# names, choices, sink schemes and file names after file:.
#   tests/package/completion.sh SCRIPT BINARY
# Exit 0 if every case passes; each failure is one line on stderr.
set -u
script=$1
binary=$2
fails=0

# shellcheck disable=SC1091
. /usr/share/bash-completion/bash_completion || exit 1
# shellcheck disable=SC1090
. "$script" || exit 1
# outside a real completion compopt only complains: what it sets is not tested
compopt() { :; }

# Splits LINE as bash does for completion (spaces; ':' and '=' are words of
# their own, COMP_WORDBREAKS), runs the function and prints COMPREPLY sorted.
complete_line() {
	local line=$1 tok rest
	COMP_WORDS=()
	for tok in $line; do
		while [[ $tok =~ ^([^:=]*)([:=])(.*)$ ]]; do
			[[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
			COMP_WORDS+=("${BASH_REMATCH[2]}")
			tok=${BASH_REMATCH[3]}
		done
		[[ -n $tok ]] && COMP_WORDS+=("$tok")
	done
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	rest=
	((COMP_CWORD > 0)) && rest=${COMP_WORDS[COMP_CWORD - 1]}
	_sockscope sockscope "${COMP_WORDS[COMP_CWORD]}" "$rest"
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() {
	local line=$1 want=$2 got
	got=$(complete_line "$line")
	if [[ $got != "$want" ]]; then
		echo "completion: '$line<TAB>' gave '$got', expected '$want'" >&2
		fails=$((fails + 1))
	fi
}

expect "sockscope " "daemon help history ports trace who"
expect "sockscope tr" "trace"
expect "sockscope trace --ev" "--events"
expect "sockscope --ev" "--events"
expect "sockscope ports --ev" ""
expect "sockscope ports --w" "--watch"
expect "sockscope trace -e " "accept bind close connect connect_done listen socket state"
expect "sockscope trace -e bind,li" "bind,listen"
expect "sockscope trace --events=conn" "connect connect_done"
expect "sockscope --proto " "tcp udp"
expect "sockscope trace --family 6" "6"
expect "sockscope daemon --retain " ""
expect "sockscope trace -p " ""
expect "sockscope who 8080 --a" "--at"
expect "sockscope who " ""
expect "sockscope help p" "ports"
expect "sockscope daemon --sink syslog+u" "syslog+udp:// syslog+unix:"
expect "sockscope daemon --sink std" "stdout"
expect "sockscope daemon --check" "--check-config"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/logdir"
: >"$tmp/conf.conf"
expect "sockscope daemon --sink file:$tmp/log" "$tmp/logdir/"
expect "sockscope daemon --config $tmp/con" "$tmp/conf.conf"

# Every option a command's --help lists, and no other, for each command
# ('help --help' is the overview: help takes the common options).
expect "sockscope help --" "--help --verbose --version"
for cmd in $("$binary" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
	[[ $cmd == help ]] && continue
	want=$("$binary" "$cmd" --help | grep -oE '^  (-., )?--[a-z-]+|^      --[a-z-]+' |
		grep -oE -- '--[a-z-]+' | sort | tr '\n' ' ' | sed 's/ $//')
	if [[ -z $want ]]; then
		echo "completion: '$binary $cmd --help' lists no options" >&2
		fails=$((fails + 1))
	fi
	expect "sockscope $cmd --" "$want"
done

# The event names are the ones --events takes: its error names them.
known=$("$binary" trace --events nosuch 2>&1 | sed -n 's/.*(known: \(.*\))$/\1/p' | tr -d ',' |
	tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
[[ -n $known ]] || { echo "completion: no event names in the --events error" >&2; fails=$((fails + 1)); }
expect "sockscope trace --events " "$known"

if ((fails)); then
	echo "completion: $fails case(s) failed" >&2
	exit 1
fi
echo "completion: all cases pass"
