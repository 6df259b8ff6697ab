#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The results table: train every configuration on MNIST and Fashion-MNIST,
# then write Documentation/results.rst and its plots.
#
#   tools/spex-train/results.sh SPEX_TRAIN_BINARY
#
# Runs two trainings at a time under nice (about 10 minutes on 2 cores).
# Models and reports go to $SPEX_RESULTS (default build/results); a run
# whose config and spex-train binary have not changed is reused.
# RESULTS_EPOCHS_SCALE=0.5 halves every epoch count for a quick look (the
# committed page uses 1).
set -eu

bin=$1
out=${SPEX_RESULTS:-build/results}
doc=Documentation/results.rst
plots=Documentation/results
jobs=${RESULTS_JOBS:-2}
scale=${RESULTS_EPOCHS_SCALE:-1}
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

# add NAME DATASET EPOCHS: the config is on stdin
add() {
	cat > "$out/cfg/$1-$2.cfg"
	echo "train epochs=$3" >> "$out/cfg/$1-$2.cfg"
	echo "$1 $2" >> "$list"
}

for ds in mnist fashion; do
	# Epochs: MNIST has 8,000 training images, Fashion 54,167.
	case $ds in
	mnist)   e_mlp=$(ep 20) e_cnn=$(ep 6) ;;
	fashion) e_mlp=$(ep 8) e_cnn=$(ep 3) ;;
	esac

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
	for k in random cfseed cfzero; do
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
		for k in random cfseed cfzero; do
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
	for k in random cfseed cfzero; do
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

echo "results: $(wc -l < "$list") trainings, $jobs at a time, into $out"
start=$(date +%s)
export RES_BIN="$bin" RES_OUT="$out"
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 sh -c '
	name=$1 ds=$2 bin=$RES_BIN out=$RES_OUT
	dir=$out/$ds/$name
	# Done already, with this config and this binary: keep it.
	if [ "$dir/report.txt" -nt "$bin" ] &&
	   cmp -s "$out/cfg/$name-$ds.cfg" "$dir/input.cfg"; then
		exit 0
	fi
	mkdir -p "$dir"
	if nice "$bin" -q -d "$ds" -c "$out/cfg/$name-$ds.cfg" -o "$dir" > "$dir/log" 2>&1; then
		cp "$out/cfg/$name-$ds.cfg" "$dir/input.cfg"
		echo "  $ds $name: $(awk "/^acc final/ { printf \"%.2f%%\", 100 * \$6 }" "$dir/report.txt")"
	else
		echo "  $ds $name: FAILED (see $dir/log)"
	fi
' sh < "$list"
end=$(date +%s)
echo "results: trainings took $((end - start)) s"

tools/spex-train/results-doc.sh "$out" "$doc" "$plots" "$((end - start))"
