#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Inside the test guest (tests/vm/run-guest.sh): load spex.ko, run jobs
# with known decisions under spex-trace, and check the bpf side against
# the jobs' own results and the module's statistics
# (tests/bpf/check_trace.py), once attached as the kernel allows (tp_btf
# with module BTF) and once forced to raw_tp. Then the CLI's other
# commands, and a clean detach.
#
#   tests/bpf/run-in-guest.sh KODIR BINDIR SPEX_TRACE [bench]
#
# Ends with "N passed, N failed". With "bench" it measures jobs/s with
# and without the programs attached instead (emulated: QEMU TCG).
set -u

kodir=$1
bindir=$2
trace=$3
what=${4:-test}
here=$(cd "$(dirname "$0")" && pwd)
pins=/sys/fs/bpf/spex
work=$(mktemp -d)
pass=0
fail=0

ok()	{ echo "ok - $*"; pass=$((pass + 1)); }
notok()	{ echo "not ok - $*"; fail=$((fail + 1)); }
check()	{ local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
finish() {
	rmmod spex 2>/dev/null
	echo "bpf ($(uname -r)): $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# wait_pinned PID: the maps are pinned (so the programs are attached),
# or spex-trace PID died.
wait_pinned() {
	local i
	for i in $(seq 150); do
		[ -e "$pins/stats" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# Stop a background spex-trace with Ctrl-C (SIGINT); its exit status.
stop_trace() {
	kill -INT "$1"
	wait "$1"
}

check "insmod spex.ko" insmod "$kodir/spex.ko"
[ -e /dev/spex ] || finish
if [ -e /sys/kernel/btf/spex ]; then
	native=tp_btf
else
	native=raw_tp
fi
echo "# $(uname -r): /sys/kernel/btf/spex $([ "$native" = tp_btf ] && echo present || echo absent): attach with $native"

# ---- benchmark -------------------------------------------------------
# Short runs, the three set-ups interleaved, best and median of each: the
# host is shared, and interference only ever slows a run down. While
# attached, kernel.bpf_stats_enabled gives each program's own run time.
if [ "$what" = bench ]; then
	set -- $("$bindir/trace_jobs" load)
	mnist=$1
	secs=${SPEX_BENCH_SECONDS:-2}
	rounds=${SPEX_BENCH_ROUNDS:-6}
	sysctl -qw kernel.bpf_stats_enabled=1
	for r in $(seq "$rounds"); do
		for cfg in off on layers; do
			tp=
			case $cfg in
			on) "$trace" hist > /dev/null 2>&1 & tp=$! ;;
			layers) "$trace" hist --layers > /dev/null 2>&1 & tp=$! ;;
			esac
			[ -n "$tp" ] && { wait_pinned "$tp" || notok "bench: attach"; }
			echo "bench $cfg $("$bindir/trace_jobs" bench "$mnist" "$secs" 64)" |
				tee -a "$work/bench"
			if [ -n "$tp" ]; then
				echo "progs $cfg $(bpftool -j prog show)" >> "$work/bench"
				stop_trace "$tp"
			fi
		done
	done
	"$bindir/trace_jobs" stats "$mnist" | sed 's/^/module /' >> "$work/bench"
	python3 "$here/bench_summary.py" < "$work/bench"
	finish
fi

# ---- counters, histograms, energy, bpftool (both attach modes) --------
coef="7,11,13,17"
range=262143328850
pc=$work/powercap/intel-rapl:0
mkdir -p "$pc" "$work/powercap/intel-rapl:0:0"
echo package-0 > "$pc/name"
echo $range > "$pc/max_energy_range_uj"
echo $range > "$work/powercap/intel-rapl:0:0/max_energy_range_uj"
echo 1 > "$work/powercap/intel-rapl:0:0/energy_uj"

for mode in "$native" raw_tp; do
	[ "$mode" = raw_tp ] && [ "$native" = raw_tp ] && continue
	echo "# ==== $mode"
	set -- $("$bindir/trace_jobs" load)
	mnist=$1
	tiny=$2
	# The counter starts 850 uJ short of its range, so it wraps.
	echo $((range - 850)) > "$pc/energy_uj"
	echo "cpu  1000 0 0 5000 0 0 0 0 0 0" > "$work/stat"
	args=(hist --json --keep --layers --powercap-root "$work/powercap"
	      --proc-stat "$work/stat" --e-mac 7 --e-mem 11 --e-tx 13
	      --p-active 17)
	[ "$mode" = raw_tp ] && args+=(--raw-tp)
	"$trace" "${args[@]}" > "$work/$mode.trace.json" 2> "$work/$mode.trace.err" &
	tp=$!
	check "$mode: spex-trace attached, maps pinned" wait_pinned "$tp"
	bpftool -j prog show > "$work/$mode.progs.json"
	echo 500 > "$pc/energy_uj"
	{
		"$bindir/trace_jobs" run "$mnist" 40 auto
		"$bindir/trace_jobs" run "$mnist" 20 exit0
		"$bindir/trace_jobs" run "$mnist" 20 offload
		"$bindir/trace_jobs" run "$mnist" 20 local
		"$bindir/trace_jobs" run "$tiny" 30 auto
		"$bindir/trace_jobs" run "$tiny" 10 offload
	} > "$work/$mode.jobs"
	echo 12845 > "$pc/energy_uj"
	echo "cpu  11000 0 0 5000 0 0 0 0 0 0" > "$work/stat"
	{
		"$bindir/trace_jobs" stats "$mnist"
		"$bindir/trace_jobs" stats "$tiny"
	} > "$work/$mode.mod"
	stop_trace "$tp"
	check "$mode: spex-trace exits 0 on Ctrl-C" [ $? -eq 0 ]
	check "$mode: --keep leaves the maps pinned" [ -e "$pins/stats" ]
	for m in stats config; do
		bpftool -j map dump pinned "$pins/$m" > "$work/$mode.dump.$m.json"
	done
	python3 "$here/check_trace.py" --dir "$work" --mode "$mode" \
		--attach "$mode" --coef "$coef" \
		--package-uj $((850 + 500 + 12345)) > "$work/$mode.check"
	cat "$work/$mode.check"
	pass=$((pass + $(grep -c '^ok ' "$work/$mode.check")))
	fail=$((fail + $(grep -c '^not ok ' "$work/$mode.check")))
	grep -q . "$work/$mode.check" || notok "$mode: check_trace.py printed nothing"
	"$trace" clean > /dev/null
	check "$mode: spex-trace clean removes the pins" [ ! -e "$pins" ]
	if grep -q '^not ok' "$work/$mode.check"; then
		echo "# spex-trace stderr:"; sed 's/^/#   /' "$work/$mode.trace.err"
		echo "# bpftool stats dump:"; sed 's/^/#   /' "$work/$mode.dump.stats.json"
	fi
done

# ---- the other commands, and a clean detach ---------------------------
set -- $("$bindir/trace_jobs" load)
mnist=$1
"$trace" record -i 0.5 -c 100 > "$work/rec.csv" 2> /dev/null &
tp=$!
check "record: attached" wait_pinned "$tp"
"$bindir/trace_jobs" run "$mnist" 10 offload > /dev/null
sleep 1.2
stop_trace "$tp"
check "record: exits 0" [ $? -eq 0 ]
check "record: CSV header" grep -q '^time_s,model_id,name,jobs,exits,offloads' "$work/rec.csv"
check "record: 10 offloads over the rows" [ "$(awk -F, -v id="$mnist" \
	'$2 == id { n += $6 } END { print n + 0 }' "$work/rec.csv")" = 10 ]
check "without --keep the maps are unpinned" [ ! -e "$pins" ]
check "without spex-trace no spex programs stay loaded" \
	[ -z "$(bpftool prog show | grep -E 'spex_(end|exit|layer)_')" ]

for cmd in top energy; do
	"$trace" "$cmd" -i 0.5 --powercap-root "$work/powercap" > "$work/$cmd.out" 2>&1 &
	tp=$!
	wait_pinned "$tp"
	"$bindir/trace_jobs" run "$mnist" 5 auto > /dev/null
	sleep 1.2
	stop_trace "$tp"
	check "$cmd: exits 0 and prints model $mnist" grep -qE "^$mnist +" "$work/$cmd.out"
done
check "energy: says the measured numbers are RAPL" grep -q 'uJ(rapl)' "$work/energy.out"
"$trace" energy -c 1 -i 0.2 --powercap-root /nonexistent > "$work/energy2.out" 2>&1
check "energy: without RAPL says so" grep -q 'uJ(no rapl)' "$work/energy2.out"
"$trace" hist -m 99999 -i 0.2 -c 1 > /dev/null 2>&1
check "hist -m with an unknown model exits 0" [ $? -eq 0 ]

rm -rf "$work"
finish
