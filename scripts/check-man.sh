#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The "man" check suite: every page of Documentation/man/ renders with
# rst2man and groff without a warning; every libspex function
# (lib/libspex.map) and every installed tool has a page; make install-man
# puts them where man(1) finds them ("man spexctl" works); the bash
# completion completes commands, options and --help's options. TAP-ish
# lines, ending with "N passed, N failed".
set -u

BUILD=${BUILD:-build}
BIN=$BUILD/rel/bin
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
not_ok() {
	fail=$((fail + 1))
	echo "not ok $((pass + fail)) - $1"
	[ -s "$dir/err" ] && sed 's/^/#   /' "$dir/err"
	return 0
}
check() {	# check NAME COMMAND... : ok when it succeeds
	name=$1
	shift
	if "$@" >"$dir/out" 2>"$dir/err"; then ok "$name"; else not_ok "$name"; fi
}

# 1. Each page renders: rst2man stops at a warning, groff -wall warns
# about anything it cannot lay out. Both must be silent.
render() {	# render SRC
	rst2man --halt=warning --exit-status=warning --no-generator \
		--no-datestamp "$1" "$dir/page" || return 1
	LC_ALL=C.UTF-8 groff -man -Tutf8 -wall -z "$dir/page" 2>&1 >/dev/null | grep . >&2 && return 1
	for sec in NAME SYNOPSIS DESCRIPTION "RETURN VALUE\|EXIT STATUS" ERRORS EXAMPLES "SEE ALSO"; do
		case "$1" in *.[14].rst) [ "$sec" = ERRORS ] && continue ;; esac
		grep -q "^\.SH \($sec\)" "$dir/page" || { echo "no section $sec" >&2; return 1; }
	done
}
for src in Documentation/man/*.rst; do
	check "renders without warnings, has every section: $(basename "$src" .rst)" render "$src"
done

# 2. Every exported function and every installed tool has a page.
names=$(sed -n 's/^\t\t\(spex_[a-z_0-9]*\);$/\1/p' lib/libspex.map)
[ -n "$names" ] || { echo "not ok - no functions found in lib/libspex.map"; fail=$((fail + 1)); }
make -s --no-print-directory install-man install-completion DESTDIR="$dir/root" \
	PREFIX=/usr/local BUILD="$BUILD" >"$dir/err" 2>&1 && ok "make install-man install-completion" || {
	not_ok "make install-man install-completion (the other checks need it)"
	echo "$pass passed, $fail failed"
	exit 1
}
export MANPATH=$dir/root/usr/local/share/man
for f in $names; do
	check "man 3 $f" sh -c "man -w 3 $f | grep -q '/man3/' && man 3 $f 2>&1 | grep -q '$f'"
done
for t in spexctl spex-serve spex-train spex-trace spex-bench spex-edge; do
	check "man 1 $t" sh -c "man -w 1 $t | grep -q '/man1/$t.1'"
done
# Every long option a tool's --help lists (on an option line) is on its page.
options_documented() {	# options_documented TOOL
	missing=""
	for o in $("$BIN/$1" --help 2>&1 | grep -E '^ +(-[a-zA-Z], )?--[a-z]' |
		   grep -oE -- '--[a-z][-a-z0-9]*' | sort -u); do
		grep -q -- "\*\*$o\*\*" "Documentation/man/$1.1.rst" || missing="$missing $o"
	done
	[ -z "$missing" ] || { echo "$1 --help has, its page lacks:$missing" >&2; return 1; }
}
for t in spexctl spex-serve spex-train spex-trace spex-bench spex-edge; do
	check "every option of $t --help is in $t(1)" options_documented "$t"
done
check "man 4 spex" sh -c "man -w 4 spex | grep -q '/man4/spex.4'"
check "man spexctl shows -q" sh -c "MANWIDTH=80 man spexctl 2>&1 | grep -q -- '-q, --quiet'"

# 3. Completion, driven as bash does: COMP_WORDS/COMP_CWORD in, COMPREPLY out.
comp_file=$dir/root/usr/local/share/bash-completion/completions/spexctl
comp() {	# comp FUNCTION WORD... : COMPREPLY for the last word, space-separated
	PATH=$BIN:$PATH bash -c '. "$0"; fn=$1; shift; COMP_WORDS=("$@");
		COMP_CWORD=$(($# - 1)); $fn "$1"; echo ${COMPREPLY[*]}' \
		"$comp_file" "$@"
}
comp_is() {	# comp_is EXPECTED FUNCTION WORD...
	want=$1
	shift
	got=$(comp "$@")
	[ "$got" = "$want" ] || { echo "got '$got', want '$want'" >&2; return 1; }
}
comp_has() {	# comp_has WORD FUNCTION WORD...
	want=$1
	shift
	comp "$@" | tr ' ' '\n' | grep -qx -- "$want" || { echo "no $want in: $(comp "$@")" >&2; return 1; }
}
check "spexctl completes commands" comp_is "load list" _spexctl spexctl l
check "spexctl completes infer's options" comp_has --labels _spexctl spexctl infer --l
check "spexctl completes --mode values" comp_is "auto local offload" _spexctl spexctl policy 1 --mode ""
check "spexctl: no command after -q yet" comp_has unload _spexctl spexctl -q u
check "spex-serve completes the options of its --help" comp_has --port-file _spex_tool spex-serve --port
check "spex-trace completes commands" comp_is hist _spex_tool spex-trace h
installed_all() {
	for t in spexctl spex-serve spex-train spex-trace spex-bench spex-edge; do
		[ -e "$(dirname "$comp_file")/$t" ] || { echo "no completion for $t" >&2; return 1; }
	done
}
check "completion is installed for every tool" installed_all

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
