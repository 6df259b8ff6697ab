#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Run the .spx fuzzer for FUZZ_SECONDS (default 60) on the generated seed
# corpus plus the regression cases. Passes if it finds no crash; a crash
# leaves its input in build/fuzz/artifacts/ and fails.
set -u

BUILD=${BUILD:-build}
dir=$BUILD/fuzz
secs=${FUZZ_SECONDS:-60}

mkdir -p "$dir/corpus" "$dir/artifacts"
rm -f "$dir"/artifacts/crash-* "$dir"/artifacts/leak-* "$dir"/artifacts/timeout-*
echo "fuzz: $secs s on $(ls "$dir/seeds" | wc -l) seeds + $(ls tests/fuzz/regressions | wc -l) regressions"
"$dir/fuzz_spx" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1 \
	-artifact_prefix="$dir/artifacts/" \
	"$dir/corpus" "$dir/seeds" tests/fuzz/regressions >"$dir/fuzz.log" 2>&1
rc=$?
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$dir/fuzz.log"
if [ "$rc" -ne 0 ] || ls "$dir"/artifacts/crash-* >/dev/null 2>&1; then
	tail -n 60 "$dir/fuzz.log"
	echo "fuzz: found a failure; input(s) in $dir/artifacts/"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
