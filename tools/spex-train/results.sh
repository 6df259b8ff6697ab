#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The results table: train every configuration on MNIST and Fashion-MNIST,
# then write Documentation/results.rst and its plots.
#
#   tools/spex-train/results.sh SPEX_TRAIN_BINARY
#
# Every configuration is trained once per seed (RESULTS_SEEDS, default
# "1 2 3"); every FC configuration is also trained by the PyTorch peer
# (tools/spex-train/peer-torch.py, Debian's python3-torch) from the plan
# spex-train --export-plan writes: the same masks, initial weights,
# optimizer, epochs, batch and sample order. One training at a time, on
# 2 threads (spex-train -j 2; the peer's RESULTS_PEER_THREADS, default 1:
# OpenMP's spinning threads waste a shared machine), under nice -n 19.
# Models and reports go to $SPEX_RESULTS (default build/results); a run
# whose config and spex-train binary have not changed is reused.
#
# A reduced table for a loaded machine (the page says it is reduced):
#   RESULTS_DATASETS="mnist"     datasets (default "mnist fashion")
#   RESULTS_SEEDS="1"            seeds
#   RESULTS_ONLY='^dey-'         configurations whose name matches (ERE)
#   RESULTS_EPOCHS_SCALE=0.25    scale every epoch count (default 1)
#   RESULTS_PEER=0               no PyTorch peer
# The default table: 2 datasets x 3 seeds x 14 configurations, 15 epochs
# for the MLPs and 8 for the CNN: about 55 CPU-minutes, estimated from the
# reduced run on a loaded machine (not measured on an idle one).
set -eu

bin=$1
out=${SPEX_RESULTS:-build/results}
doc=Documentation/results.rst
plots=Documentation/results
jobs=${RESULTS_JOBS:-1}
scale=${RESULTS_EPOCHS_SCALE:-1}
seeds=${RESULTS_SEEDS:-1 2 3}
datasets=${RESULTS_DATASETS:-mnist fashion}
only=${RESULTS_ONLY:-}
peer=${RESULTS_PEER:-1}
# Patterns: structured random and clash-free with seeded starts;
# RESULTS_CFZERO=1 adds clash-free with zero starts (one more run per
# sparse configuration).
kinds="random cfseed"
[ "${RESULTS_CFZERO:-0}" = 1 ] && kinds="$kinds cfzero"
data=${SPEX_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/spex/datasets}
mkdir -p "$out/cfg" "$plots"

ep() { awk -v e="$1" -v s="$scale" 'BEGIN { n = int(e * s + 0.5); print n < 1 ? 1 : n }'; }


# pat KIND P DIN Z: the pattern options of one sparse junction. KIND is
# random, cfseed (clash-free type 2, seeded starts) or cfzero (zero
# starts: every row reads one window). Clash-free needs p % d_in == 0
# and p % z == 0; where it cannot hold, the junction stays structured
# random and the run's table row is marked.
pat() {
	if [ "$3" = "$2" ]; then echo ""; return; fi
	case $1 in
	random) echo "pattern=random" ;;
	cf*)
		if [ $(($2 % $3)) -ne 0 ] || [ $(($2 % $4)) -ne 0 ]; then
			echo "pattern=random"
			echo "fallback" >> "$fallback"
		elif [ "$1" = cfseed ]; then
			echo "pattern=cf2 z=$4 starts=seed"
		else
			echo "pattern=cf2 z=$4 starts=zero"
		fi ;;
	esac
}

list=$out/runs.txt
: > "$list"

# add NAME DATASET EPOCHS: the config is on stdin; one run per seed
add() {
	cat > "$out/cfg/$1-$2.cfg"
	echo "train epochs=$3" >> "$out/cfg/$1-$2.cfg"
	if [ -n "$only" ] && ! echo "$1" | grep -Eq -- "$only"; then
		return 0
	fi
	for sd in $seeds; do
		echo "$1 $2 $sd" >> "$list"
	done
}

for ds in $datasets; do
	# Epochs: both official training sets have 55,000 images (after the
	# 5,000 of validation); the same schedule for dense and sparse.
	e_mlp=$(ep 15) e_cnn=$(ep 8)

	# Capogrosso et al.: dense [800,3,3,10] against sparse [800,40,40,10]
	# with out-degrees (2,9,10); split after the first hidden layer, an
	# exit on the head. 784 inputs are zero-padded to 800.
	add capo-dense $ds "$e_mlp" <<-EOF
	name capo-dense
	input 1 28 28
	pad 800
	fc 3
	exit threshold=0.9
	split
	fc 3
	fc 10
	EOF
	for k in $kinds; do
		fallback=$out/cfg/capo-$k-$ds.fallback
		rm -f "$fallback"
		add capo-$k $ds "$e_mlp" <<-EOF
		name capo-$k
		input 1 28 28
		pad 800
		fc 40 dout=2 $(pat $k 800 40 8)
		exit threshold=0.9
		split
		fc 40 dout=9 $(pat $k 40 9 8)
		fc 10 dout=10
		EOF
	done

	# Dey et al.: [800,100,10], overall density 100% down to 5%.
	for pair in 800:100 400:50 200:20 80:10 40:10; do
		d1=${pair%:*} d2=${pair#*:}
		for k in $kinds; do
			[ "$d1" = 800 ] && [ "$k" != random ] && continue
			name=dey-$d1-$k
			[ "$d1" = 800 ] && name=dey-dense
			fallback=$out/cfg/$name-$ds.fallback
			rm -f "$fallback"
			add "$name" $ds "$e_mlp" <<-EOF
			name $name
			input 1 28 28
			pad 800
			fc 100 din=$d1 $(pat $k 800 "$d1" 8)
			exit threshold=0.9
			split
			fc 10 din=$d2 $(pat $k 100 "$d2" 5)
			EOF
		done
	done

	# A small predefined-sparse CNN head: pSConv-style periodic kernel
	# masks, a sparse channel junction, a sparse FC bottleneck with an
	# exit on it; the tail is one FC.
	for k in $kinds; do
		fallback=$out/cfg/cnn-$k-$ds.fallback
		rm -f "$fallback"
		add cnn-$k $ds "$e_cnn" <<-EOF
		name cnn-$k
		input 1 28 28
		conv 8 k=3 pad=1 mask=periodic period=8
		maxpool 2
		conv 16 k=3 pad=1 din=4 $(pat $k 8 4 2) mask=periodic period=8
		maxpool 2
		fc 64 din=98 $(pat $k 784 98 7)
		exit threshold=0.9
		split
		fc 10
		EOF
	done
done

[ -s "$list" ] || { echo "results: no configuration matches '$only'" >&2; exit 1; }
echo "results: $(wc -l < "$list") trainings, $jobs at a time, into $out"
start=$(date +%s)
export RES_BIN="$bin" RES_OUT="$out" RES_PEER="$peer" RES_DATA="$data"
export RES_PT="${RESULTS_PEER_THREADS:-1}"
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 sh -c '
	name=$1 ds=$2 sd=$3 bin=$RES_BIN out=$RES_OUT
	dir=$out/$ds/$name/s$sd
	cfg=$out/cfg/$name-$ds.cfg
	want_peer=0
	case $name in cnn-*) ;; *) want_peer=$RES_PEER ;; esac
	# Done already, with this config and this binary: keep it.
	if [ "$dir/report.txt" -nt "$bin" ] && cmp -s "$cfg" "$dir/input.cfg" &&
	   { [ "$want_peer" = 0 ] || [ -s "$dir/peer.txt" ]; }; then
		exit 0
	fi
	mkdir -p "$dir"
	rm -f "$dir/peer.txt"
	if nice -n 19 "$bin" -q -j 2 -d "$ds" -c "$cfg" --seed "$sd" -o "$dir" > "$dir/log" 2>&1; then
		cp "$cfg" "$dir/input.cfg"
		msg="$(awk "/^acc final/ { printf \"%.2f%%\", 100 * \$4 }" "$dir/report.txt")"
	else
		echo "  $ds $name seed $sd: FAILED (see $dir/log)"
		exit 0
	fi
	if [ "$want_peer" = 1 ]; then
		rm -rf "$dir/plan"
		if "$bin" -q -d "$ds" -c "$cfg" --seed "$sd" --export-plan "$dir/plan" >> "$dir/log" 2>&1 &&
		   nice -n 19 /usr/bin/python3 tools/spex-train/peer-torch.py --threads "$RES_PT" \
			"$dir/plan" "$RES_DATA/$ds" > "$dir/peer.tmp" 2>> "$dir/log"; then
			mv "$dir/peer.tmp" "$dir/peer.txt"
			msg="$msg, PyTorch $(awk "/^acc final/ { printf \"%.2f%%\", 100 * \$3 }" "$dir/peer.txt")"
		else
			msg="$msg, PyTorch FAILED (see $dir/log)"
		fi
		rm -rf "$dir/plan"
	fi
	echo "  $ds $name seed $sd: $msg"
' sh < "$list"
end=$(date +%s)
echo "results: trainings took $((end - start)) s"

reduced=""
if [ "$datasets" != "mnist fashion" ] || [ "$seeds" != "1 2 3" ] || [ -n "$only" ] ||
   [ "$scale" != 1 ] || [ "$peer" != 1 ]; then
	reduced="datasets '$datasets', seeds '$seeds', configurations '${only:-all}', epochs x$scale, peer $peer"
fi
RESULTS_REDUCED=$reduced tools/spex-train/results-doc.sh "$out" "$doc" "$plots" "$((end - start))"
