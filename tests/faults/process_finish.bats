#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The process backend runs the last step of a chunked file (metadata,
# --verify, --fsync, publish) in a worker, not in the parent's collector
# thread (issue 14): a long --verify must not stop the collection of other
# results. The fault shim makes reads of the big file's destination slow
# (only --verify reads a destination) and logs which process reads it.
# Runs -B process whatever PCOPY_BACKEND says.

# status, output, stderr: set by bats run
# shellcheck disable=SC2154
load ../lib/common

setup() {
	require_pcopy
	: "${FAULT_SHIM:?set FAULT_SHIM to the fault_shim.so}"
	cd "$BATS_TEST_TMPDIR" || return
	LOG=$BATS_TEST_TMPDIR/readers.log
	PID=
	mkdir -p src/bigdir
	# 8 chunks of 1 MiB and a tail
	head -c $((8 * 1024 * 1024 + 4321)) /dev/urandom >src/bigdir/big
	setfattr -n user.k -v v src/bigdir/big 2>/dev/null || true
	chmod 0640 src/bigdir/big
	touch -d 2001-02-03 src/bigdir/big
}

teardown() {
	if [ -n "${PID-}" ] && kill -0 "$PID" 2>/dev/null; then
		kill -9 "$PID" 2>/dev/null || true
	fi
}

# smalls N: N small files in src/smalls/dK (100 a directory).
smalls() {
	local i
	for i in $(seq 0 $(($1 - 1))); do
		[ $((i % 100)) -ne 0 ] || mkdir -p "src/smalls/d$((i / 100))"
		echo "$i" >"src/smalls/d$((i / 100))/f$i"
	done
}

# slow_pcopy ARG...: pcopy -B process in the background under the shim,
# the big file's destination slow to read; sets PID, stderr to $ERR.
slow_pcopy() {
	ERR=$BATS_TEST_TMPDIR/stderr
	LD_PRELOAD=$FAULT_SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
		PCOPY_FAULT_SLOW_READ=out/bigdir/ PCOPY_FAULT_SLOW_MS=${SLOW_MS:-600} \
		PCOPY_FAULT_LOG=$LOG "$PCOPY" -B process "$@" 2>"$ERR" &
	PID=$!
}

@test "process: chunked files with --verify, --fsync, -a are what cp -a makes (O_TMPFILE and named temporaries)" {
	smalls 300
	head -c $((3 * 1024 * 1024 + 1)) /dev/urandom >src/other
	truncate -s 20M src/sparse
	echo x | dd of=src/sparse bs=1 seek=10M conv=notrunc 2>/dev/null
	cp -a src ref
	local env
	for env in PCOPY_TEST_DEFAULT_PLACEMENT=1 PCOPY_NO_TMPFILE=1; do
		rm -rf out
		run --separate-stderr env "$env" "$PCOPY" -B process -a -j 3 --verify --fsync \
			--chunk-size=1M src out
		assert_status 0
		[ -z "$stderr" ]
		assert_same_tree --no-atime ref out
		no_temporaries out
	done
}

@test "process: a chunked file's --verify runs in a worker, and other files are collected meanwhile" {
	smalls 2000
	mkdir out
	slow_pcopy -a -j 2 --verify --chunk-size=1M src/bigdir src/smalls out
	local pid=$PID status=0
	wait "$PID" || status=$?
	PID=
	cat "$ERR"
	[ "$status" -eq 0 ]
	cmp src/bigdir/big out/bigdir/big
	# The destination was read (verified) by workers only, never by pcopy.
	[ -s "$LOG" ]
	sort -u "$LOG"
	if grep -qx "$pid" "$LOG"; then
		echo "the parent ($pid) verified it"
		return 1
	fi
	# While it was verified (over 5 s), the small files went on: most of
	# them were made before the big file got its name. (Were the parent
	# verifying, its collector would take no result meanwhile, and the
	# workers would stop after their batches in flight: at most 2 x 3 x 64.)
	local before
	before=$(find out/smalls -type f ! -newercc out/bigdir/big | wc -l)
	echo "small files made before the big one was published: $before of 2000"
	[ "$before" -ge 1000 ]
	diff -r src/smalls out/smalls
}

@test "process: a worker killed during a chunked file's last step: another one finishes it" {
	local env
	for env in PCOPY_TEST_DEFAULT_PLACEMENT=1 PCOPY_NO_TMPFILE=1; do
		rm -rf out "$LOG"
		cp -a src/bigdir ref 2>/dev/null || true
		export "${env?}"
		slow_pcopy -a -j 2 --verify --chunk-size=1M src out
		unset "${env%%=*}"
		# Wait for the verify to start, then kill whoever runs it.
		local i victim=
		for i in $(seq 1 200); do
			victim=$(head -1 "$LOG" 2>/dev/null || true)
			[ -z "$victim" ] || break
			sleep 0.05
		done
		[ -n "$victim" ]
		[ "$victim" != "$PID" ]
		kill -9 "$victim"
		local status=0
		wait "$PID" || status=$?
		PID=
		cat "$ERR"
		[ "$status" -eq 0 ]
		grep -q 'killed by signal 9' "$ERR"
		cmp src/bigdir/big out/bigdir/big
		[ "$(stat -c '%a %Y' out/bigdir/big)" = "$(stat -c '%a %Y' src/bigdir/big)" ]
		no_temporaries out
		# It was read again by another worker.
		[ "$(sort -u "$LOG" | wc -l)" -ge 2 ]
	done
}
