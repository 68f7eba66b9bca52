#!/bin/bash
# SPDX-License-Identifier: MIT
# Paired, alternating runs of pcopy -a -B thread and -B uring (issue 6): for
# each workload and cache mode, PAIRS pairs in alternating order; prints each
# run and the geometric mean of the per-pair ratios uring/thread (wall and
# CPU time). Run as root (drop_caches); the sources are only read.
#
# usage: bash bench/uring-vs-thread.sh
# env:   PCOPY (default build-uring/pcopy), PAIRS (6), WORKLOADS ("kernel small
#        large"), MODES ("warm cold"), OUT (/var/tmp/pcopy-uring-bench),
#        SETTLE (370: seconds to wait after deleting a batch, see below),
#        EXTRA (more pcopy options for both backends)
set -eu

PCOPY=${PCOPY:-$(dirname "$0")/../build-uring/pcopy}
PAIRS=${PAIRS:-6}
WORKLOADS=${WORKLOADS:-kernel small large}
MODES=${MODES:-warm cold}
OUT=${OUT:-/var/tmp/pcopy-uring-bench}
# ext4 without a journal (this machine's disk) skips inodes freed in the
# last 60 s (360 s while their table block is dirty) when it allocates, and
# rescans them for every create: right after deleting a 100,000-file copy the
# next copy is many times slower. So the copies of one batch (workload x
# mode) are all kept, then deleted together, and the next batch waits
# SETTLE seconds. Only the large files (4 inodes) are deleted after each run.
SETTLE=${SETTLE:-370}
EXTRA=${EXTRA:-}

declare -A SRC=(
	[kernel]=/var/tmp/ktree/linux-source-6.1
	[small]=/var/tmp/pcopy-bench/corpora/small
	[large]=/var/tmp/pcopy-bench/corpora/large
)

# Each run starts with no dirty pages (the previous copy's writeback would
# throttle it) and with the source cached (warm) or nothing cached (cold).
prepare() { # MODE SRC
	sync
	if [ "$1" = cold ]; then
		echo 3 > /proc/sys/vm/drop_caches
	else
		tar -C "$2" -cf - . | cat > /dev/null
	fi
}

# run BACKEND MODE SRC DST: print "wall cpu" of one copy
run() {
	local t
	prepare "$2" "$3"
	t=$( { /usr/bin/time -f '%e %U %S' "$PCOPY" -a -B "$1" $EXTRA "$3" "$4" >/dev/null; } 2>&1 | tail -1)
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<< "$t"
}

mkdir -p "$OUT"
echo "# $(date -Is) $(uname -r) load: $(cut -d' ' -f1-3 /proc/loadavg) pcopy: $PCOPY $EXTRA"
for w in $WORKLOADS; do
	src=${SRC[$w]}
	[ -d "$src" ] || { echo "# $w: $src missing, skipped"; continue; }
	for mode in $MODES; do
		ratios=() cratios=()
		for p in $(seq 1 "$PAIRS"); do
			order="thread uring"
			[ $((p % 2)) = 0 ] && order="uring thread"
			declare -A wall=() cpu=()
			for be in $order; do
				dst=$OUT/$w-$mode-$p-$be
				read -r wall[$be] cpu[$be] < <(run "$be" "$mode" "$src" "$dst")
				echo "$w $mode pair $p $be wall ${wall[$be]} cpu ${cpu[$be]}"
				[ "$w" != large ] || rm -rf "$dst"
			done
			ratios+=("$(echo "${wall[uring]} / ${wall[thread]}" | bc -l)")
			cratios+=("$(echo "${cpu[uring]} / ${cpu[thread]}" | bc -l)")
		done
		rm -rf "$OUT/$w-$mode"-*
		sync
		[ "$w" = large ] || sleep "$SETTLE"
		printf '%s\n' "${ratios[@]}" | awk -v w="$w" -v m="$mode" '
			{ s += log($1); n++; if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
			END { printf "RESULT %s %s wall uring/thread geomean %.3f (min %.3f max %.3f, %d pairs)\n",
				w, m, exp(s / n), lo, hi, n }'
		printf '%s\n' "${cratios[@]}" | awk -v w="$w" -v m="$mode" '
			{ s += log($1); n++ }
			END { printf "RESULT %s %s cpu  uring/thread geomean %.3f\n", w, m, exp(s / n) }'
	done
done
