# SPDX-License-Identifier: MIT OR GPL-2.0
# bash completion for the spex tools: spexctl, spex-serve, spex-train,
# spex-trace, spex-bench and spex-edge.
#
# make install puts this file in bash-completion's directory under each
# tool's name. Options come from the tool's own --help, so they never
# drift from the program; spexctl also completes its commands and the ids
# of the models loaded in /dev/spex.

# The long and short options a tool's --help lists.
_spex_help_opts()
{
	"$1" --help 2>&1 | grep -oE '(^|[[:space:][,|])--?[A-Za-z][-A-Za-z0-9]*' |
		sed 's/^[^-]*//' | sort -u
}

# Commands that spex-trace and spex-edge list in their --help.
_spex_help_cmds()
{
	case "$1" in
	spex-trace) echo "hist top energy record clean" ;;
	spex-edge) echo "attach detach stats forward" ;;
	spex-bench) echo "kernels" ;;
	esac
}

_spex_tool()
{
	local cur prev cmds
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case "$prev" in
	-o|--out|--pin-dir|--powercap-root)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-c|--config|--images|--labels|--test-images|--test-labels|--port-file|--head|--dump)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-i)
		if [ "$1" = spex-edge ]; then
			COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
			return
		fi ;;
	--mode)
		[ "$1" = spex-edge ] && COMPREPLY=($(compgen -W "native generic tc" -- "$cur"))
		return ;;
	--backend) COMPREPLY=($(compgen -W "device user" -- "$cur")); return ;;
	--malformed) COMPREPLY=($(compgen -W "pass drop" -- "$cur")); return ;;
	--format) COMPREPLY=($(compgen -W "u8 i8" -- "$cur")); return ;;
	-d|--dataset) COMPREPLY=($(compgen -W "mnist fashion" -- "$cur")); return ;;
	esac
	if [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "$(_spex_help_opts "$1")" -- "$cur"))
		return
	fi
	cmds=$(_spex_help_cmds "$1")
	if [ -n "$cmds" ] && [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		return
	fi
	[ "$1" = spex-serve ] && COMPREPLY=($(compgen -f -X '!*.spx' -- "$cur") \
					  $(compgen -d -- "$cur"))
}

_spexctl()
{
	local cur prev cmd i w
	local cmds="info load unload list policy stats infer"
	local global="-q --quiet --json --backend --device --help"
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case "$w" in
		--backend|--device|--labels|--server|--first|--count|--deadline|--mode|--threshold)
			i=$((i + 1)) ;;
		-*) ;;
		*) cmd=$w; break ;;
		esac
	done
	case "$prev" in
	--backend) COMPREPLY=($(compgen -W "auto device user" -- "$cur")); return ;;
	--mode) COMPREPLY=($(compgen -W "auto local offload" -- "$cur")); return ;;
	--device|--labels) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--server|--first|--count|--deadline|--threshold) return ;;
	esac
	if [ -z "$cmd" ]; then
		if [[ "$cur" == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		fi
		return
	fi
	if [[ "$cur" == -* ]]; then
		case "$cmd" in
		load) COMPREPLY=($(compgen -W "--atomic $global" -- "$cur")) ;;
		policy) COMPREPLY=($(compgen -W "--mode --threshold --reset $global" -- "$cur")) ;;
		infer) COMPREPLY=($(compgen -W "--labels --raw --first --count --server --deadline --mode --threshold --per-input --scalar $global" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$global" -- "$cur")) ;;
		esac
		return
	fi
	case "$cmd" in
	unload|policy|stats)
		COMPREPLY=($(compgen -W "$(spexctl -q list 2>/dev/null)" -- "$cur")) ;;
	load)
		COMPREPLY=($(compgen -f -X '!*.spx' -- "$cur") $(compgen -d -- "$cur")) ;;
	info|infer)
		COMPREPLY=($(compgen -W "$(spexctl -q list 2>/dev/null)" -- "$cur")
			   $(compgen -f -- "$cur")) ;;
	esac
}

complete -F _spexctl spexctl
complete -F _spex_tool spex-serve spex-train spex-trace spex-bench spex-edge
