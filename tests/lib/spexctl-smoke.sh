#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# spexctl and spex-serve from the command line, on 127.0.0.1 only. One
# TAP-ish line per check; run by scripts/check-lib.sh (and in the guest
# by tests/lib/guest.sh, where /dev/spex exists).
#
#   tests/lib/spexctl-smoke.sh [BUILD]
set -u

B=${1:-build}
CTL=$B/rel/bin/spexctl
SERVE=$B/rel/bin/spex-serve
dir=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$dir"' EXIT

n=0
check() {	# check NAME COMMAND... : ok when the command succeeds
	name=$1
	shift
	n=$((n + 1))
	if "$@" >"$dir/out" 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/#   /' "$dir/out"
	fi
}

"$B/lib/tests/mksplit" "$dir" 100 || exit 1

check "info FILE" sh -c "'$CTL' info '$dir/head.spx' | grep -q 'model 1: \"mg-42\", head'"
check "info FILE --json" sh -c "'$CTL' --json info '$dir/tail.spx' | grep -q '\"role\":\"tail\"'"
check "info backend" "$CTL" info
# --json: every command prints one JSON value a parser accepts.
json_ok() {	# json_ok SPEXCTL-ARGS... : the output parses as JSON
	"$CTL" --json "$@" | python3 -c 'import json, sys; json.load(sys.stdin)'
}
check "info backend --json parses" json_ok info
check "info FILE --json parses" json_ok info "$dir/head.spx"
check "infer --json --per-input parses" json_ok infer --per-input "$dir/head.spx" "$dir/inputs.raw"
check "-q is refused where it means nothing" sh -c "! '$CTL' -q info 2>'$dir/err' && grep -q 'has --json' '$dir/err'"
check "-q and --json together are refused" sh -c "! '$CTL' -q --json list 2>/dev/null"
if [ -e /dev/spex ]; then
	check "list" "$CTL" list
	check "load/list/unload" sh -c "id=\$('$CTL' -q load '$dir/head.spx') &&
		'$CTL' list | grep -q mg-42 && '$CTL' policy \$id --mode local &&
		'$CTL' infer \$id '$dir/inputs.raw' && '$CTL' stats \$id | grep -q '100 jobs' &&
		'$CTL' unload \$id"
	check "load -q prints the id alone, list -q lists it" sh -c "id=\$('$CTL' -q load '$dir/head.spx') &&
		echo \"\$id\" | grep -qx '[1-9][0-9]*' && '$CTL' -q list | grep -qx \"\$id\" &&
		test -z \"\$('$CTL' -q policy \$id --mode auto)\" &&
		test -z \"\$('$CTL' -q unload \$id)\" && ! '$CTL' -q list | grep -qx \"\$id\""
	check "load --json: id, name, hash; list/stats/policy --json parse" sh -c "out=\$('$CTL' --json load '$dir/head.spx') &&
		id=\$(echo \"\$out\" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"name\"]==\"mg-42\" and len(d[\"hash\"])==64; print(d[\"id\"])') &&
		'$CTL' --json list | python3 -c 'import json,sys; assert '\$id' in [m[\"id\"] for m in json.load(sys.stdin)]' &&
		'$CTL' --json stats | python3 -c 'import json,sys; json.load(sys.stdin)' &&
		'$CTL' --json policy \$id | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"id\"]=='\$id &&
		'$CTL' --json unload \$id | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"unloaded\"]=='\$id"
else
	check "list says the device is missing" sh -c "! '$CTL' list 2>'$dir/err' && grep -q 'needs the spex kernel module' '$dir/err'"
	check "load -q without the device prints no id" sh -c "test -z \"\$('$CTL' -q load '$dir/head.spx' 2>/dev/null)\""
fi
check "infer raw" sh -c "'$CTL' infer '$dir/head.spx' '$dir/inputs.raw' | grep -q '^100 inputs'"
check "infer bad raw size" sh -c "! '$CTL' infer '$dir/head.spx' '$dir/head.spx'"

"$SERVE" -q -p 0 --port-file "$dir/port" "$dir/tail.spx" &
spid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
port=$(cat "$dir/port")
# A generous deadline: a loaded TCG guest can take most of a second for a
# job; what these two checks assert is the answer, not the latency (the
# deadline itself is tested by test_lib_offload's server_silent_deadline).
check "infer IDX offload: 100% against the full network" sh -c "'$CTL' --json infer --mode offload --deadline 60000 --server 127.0.0.1:$port '$dir/head.spx' '$dir/images.idx' --labels '$dir/labels.idx' | tee /dev/stderr | grep -q '\"tail\":100,.*\"accuracy\":1.000000'"
check "infer exit-or-offload" sh -c "'$CTL' infer --deadline 60000 --server 127.0.0.1:$port '$dir/head.spx' '$dir/images.idx' | tee /dev/stderr | grep -q '0 fell back'"
check "infer --net deadline: decisions by reason, JSON" sh -c "'$CTL' --json infer --net deadline --job-deadline 60000 --deadline 60000 --server 127.0.0.1:$port '$dir/head.spx' '$dir/inputs.raw' | python3 -c 'import json,sys; d=json.load(sys.stdin); n=d[\"net\"]; r=n[\"decisions\"]; assert r[\"confident\"]==d[\"exits\"] and sum(r.values())==100 and d[\"fallback\"]==r[\"deadline\"]+r[\"probe\"], d'"
check "infer --net deadline needs --job-deadline" sh -c "! '$CTL' infer --net deadline --server 127.0.0.1:$port '$dir/head.spx' '$dir/inputs.raw' 2>'$dir/err' && grep -q 'needs --job-deadline' '$dir/err'"
check "infer prints the tail's estimates" sh -c "'$CTL' infer --deadline 60000 --server 127.0.0.1:$port '$dir/head.spx' '$dir/inputs.raw' | grep -q '^decisions: offload [0-9]* confident'"
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=
check "spex-serve exits 0 on SIGTERM" test "$rc" -eq 0
check "infer after the server left falls back" sh -c "'$CTL' infer --mode offload --server 127.0.0.1:$port '$dir/head.spx' '$dir/inputs.raw' | grep -q '100 fell back'"
check "spex-serve rejects a HEAD model" sh -c "! '$SERVE' -q -p 0 '$dir/head.spx'"
check "spex-serve bad option" sh -c "'$SERVE' --workers 0 x 2>/dev/null; test \$? -eq 2"
