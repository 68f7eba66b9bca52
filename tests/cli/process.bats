#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The process backend's own promises (issue 5): a worker killed mid-run is
# reported and replaced and its work redone; killing the parent leaves no
# worker behind; SIGINT/SIGTERM stop the pool and leave no temporaries.
# Runs -B process whatever PCOPY_BACKEND says.
#
# To catch workers mid-run without racing the copy, a test SIGSTOPs one:
# the run cannot end while a stopped worker holds batches. pcopy is started
# in the background directly (not through a function), so that $! is its pid.

# status, output, stderr: set by bats run; MKTREE etc.: by lib/common.bash
# shellcheck disable=SC2154,SC2153
load ../lib/common

setup_file() {
	require_pcopy
	export SRC=$BATS_FILE_TMPDIR/src
	export REF=$BATS_FILE_TMPDIR/ref-a
	"$MKTREE" "$SRC" 3>&- 2> "$BATS_FILE_TMPDIR/mktree.log"
	make_ref -a "$SRC" "$REF"
	# many small files and a few large ones, for the signal tests
	export BULK=$BATS_FILE_TMPDIR/bulk
	local d f
	for d in $(seq 1 20); do
		mkdir -p "$BULK/d$d"
		for f in $(seq 1 100); do
			echo "$d/$f" > "$BULK/d$d/f$f"
		done
	done
	for f in 1 2 3 4; do
		head -c 64M /dev/urandom > "$BULK/big$f"
	done
}

setup() {
	require_pcopy
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/stderr
	PID=
	WORKERS=
	"$MKTREE" --retime "$SRC"
}

# A failed test must not leave pcopy, or a stopped worker, behind (bats
# would wait for them): kill what is still ours.
teardown() {
	local p
	for p in $PID $WORKERS; do
		if running "$p" && grep -qaF -- "$PCOPY" "/proc/$p/cmdline" 2> /dev/null; then
			kill -9 "$p" 2> /dev/null || true
		fi
	done
}

# children PID: every child process of pcopy PID.
children() {
	pgrep -P "$1" || true
}

# workers PID: the worker processes of pcopy PID, by their name (see
# PROC_WORKER_NAME in src/backends/process/worker.h). Not every child is a worker: in a
# -Dsanitize build, LeakSanitizer clones a tracer at exit, and pcopy spins
# forever waiting for a tracer that was killed.
workers() {
	pgrep -x -P "$1" pcopy-worker || true
}

# start_pcopy N CMD...: run CMD (pcopy, or env/setsid exec'ing it) in the
# background, stderr to $ERR, and return once it has N workers, with the
# parent stopped (SIGSTOP) so that nothing ends before the test looks: sets
# PID and WORKERS. A function: $! must be pcopy's pid, not a subshell's.
start_pcopy() {
	local n=$1 end=$((SECONDS + 10))
	shift
	"$@" 2> "$ERR" &
	PID=$!
	kill -STOP $PID
	while [ "$(workers $PID | wc -l)" -lt "$n" ]; do
		if [ $SECONDS -ge $end ] || ! running $PID; then
			echo "pcopy $PID has $(workers $PID | wc -l) workers, expected $n"
			return 1
		fi
		kill -CONT $PID
		sleep 0.002
		kill -STOP $PID
	done
	WORKERS=$(workers $PID)
}

# running PID: PID exists and is not a zombie.
running() {
	local stat state
	read -r stat 2> /dev/null < "/proc/$1/stat" || return 1
	state=${stat##*) }
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_gone PID...: every PID ends within 3 s.
wait_gone() {
	local i p alive
	for i in $(seq 1 300); do
		alive=
		for p in "$@"; do
			running "$p" && alive="$alive $p"
		done
		[ -z "$alive" ] && return 0
		sleep 0.01
	done
	echo "still running:$alive"
	return 1
}

# finish PID: wait for pcopy PID (60 s at most); sets status.
finish() {
	local i
	for i in $(seq 1 600); do
		running "$1" || break
		sleep 0.1
	done
	if running "$1"; then
		echo "pcopy $1 still runs after 60 s: hung"
		kill -9 "$1"
		return 1
	fi
	status=0
	wait "$1" || status=$?
}

# complete_files SRC OUT: every regular file under OUT is whole, equal to
# its source (a chunked file's hidden partial and journal, kept after a
# kill for the next run, are not under a final name: not looked at).
complete_files() {
	local f bad=0
	while IFS= read -r -d '' f; do
		cmp -s "$1/${f#"$2"/}" "$f" || {
			echo "incomplete or wrong: $f"
			bad=1
		}
	done < <(find "$2" -type f ! -name '.*.pcopy-partial' ! -name '.*.pcopy-journal' -print0)
	return $bad
}

@test "a worker killed with SIGKILL mid-run is reported and replaced; the copy is exact" {
	start_pcopy 2 "$PCOPY" -B process -a -j 2 --chunk-size=64K "$SRC" "$OUT"
	local victim=${WORKERS%%$'\n'*}
	kill -STOP "$victim"
	kill -CONT $PID
	sleep 0.5
	# the run waits for the batches the stopped worker holds
	running $PID
	kill -9 "$victim"
	finish $PID
	assert_status 0
	grep -Eq '^pcopy: worker [0-9]+ killed by signal 9$' "$ERR" || {
		cat "$ERR"
		return 1
	}
	no_temporaries "$OUT"
	assert_same_tree --no-atime "$REF" "$OUT"
}

@test "a worker killed while it copies large files: every file is complete" {
	start_pcopy 3 "$PCOPY" -B process -a -j 3 "$BULK" "$OUT"
	local victim=${WORKERS##*$'\n'}
	kill -STOP "$victim"
	kill -CONT $PID
	sleep 0.3
	running $PID
	kill -9 "$victim"
	finish $PID
	assert_status 0
	grep -q 'killed by signal 9' "$ERR"
	diff -r "$BULK" "$OUT"
	no_temporaries "$OUT"
}

@test "after a killed worker's work is redone, the summary's bytes is still the tree's size" {
	# SPEC 5: bytes is the content size of the files copied, whatever was
	# copied twice because the first worker died midway.
	export SUMMARY_OUT=$BATS_TEST_TMPDIR/summary.json
	start_pcopy 3 sh -c 'exec "$0" "$@" > "$SUMMARY_OUT"' "$PCOPY" -B process -a -j 3 \
		--chunk-size=1M --summary=json "$BULK" "$OUT"
	local victim=${WORKERS##*$'\n'}
	# Stopped before the parent goes on: the batches it is given wait for
	# it, and are redone by the others after it is killed.
	kill -STOP "$victim"
	kill -CONT $PID
	sleep 0.3
	running $PID
	kill -9 "$victim"
	finish $PID
	assert_status 0
	grep -q 'killed by signal 9' "$ERR"
	diff -r "$BULK" "$OUT"
	local want
	want=$(find "$BULK" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')
	cat "$SUMMARY_OUT"
	[ "$(summary_field "$(cat "$SUMMARY_OUT")" bytes)" -eq "$want" ]
	[ "$(summary_field "$(cat "$SUMMARY_OUT")" files)" -eq "$(find "$BULK" -type f | wc -l)" ]
}

@test "killing every worker over and over never hangs the run nor leaves partial files" {
	start_pcopy 2 "$PCOPY" -B process -a -j 2 --chunk-size=64K "$BULK" "$OUT"
	local w
	(
		while running $PID; do
			for w in $(workers $PID); do
				kill -9 "$w" 2> /dev/null
			done
			sleep 0.005
		done
	) &
	local killer=$!
	kill -CONT $PID
	finish $PID
	kill $killer 2> /dev/null || true
	# 0 if every job got through on a retry, 1 if some were lost twice
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || assert_status 1
	grep -q 'killed by signal 9' "$ERR"
	if [ "$status" -eq 1 ]; then
		grep -q 'worker process died while copying it' "$ERR"
	fi
	no_temporaries "$OUT"
	complete_files "$BULK" "$OUT"
}

@test "SIGKILL of the parent leaves no worker running" {
	start_pcopy 3 "$PCOPY" -B process -a -j 3 --chunk-size=64K "$BULK" "$OUT"
	# stopped workers too: PR_SET_PDEATHSIG's SIGKILL ends them anyway
	# shellcheck disable=SC2086
	kill -STOP $WORKERS
	kill -CONT $PID
	sleep 0.1
	kill -9 $PID
	wait $PID || true
	# shellcheck disable=SC2086
	wait_gone $WORKERS
	no_temporaries "$OUT"
	complete_files "$BULK" "$OUT"
}

# catch_temporary DIR: wait (10 s at most) until a worker holds a half-written
# file under a temporary name in DIR, and stop every worker there (SIGSTOP).
# Large files are copied whole by workers (--chunk-size=1G), so a temporary
# belongs to a worker, not to the walker.
catch_temporary() {
	local end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ] && running $PID; do
		if [ -n "$(find "$1" -name '.pcopy.*' -print -quit)" ]; then
			# shellcheck disable=SC2086
			kill -STOP $WORKERS
			[ -n "$(find "$1" -name '.pcopy.*' -print -quit)" ] && return 0
			# shellcheck disable=SC2086
			kill -CONT $WORKERS
		fi
	done
	echo "no temporary file seen in $1"
	return 1
}

@test "SIGTERM stops the pool: exit 143, workers remove their temporaries, none is left" {
	start_pcopy 2 env PCOPY_NO_TMPFILE=1 "$PCOPY" -B process -a -j 2 --chunk-size=1G \
		"$BULK" "$OUT"
	kill -CONT $PID
	catch_temporary "$OUT"
	kill -TERM $PID
	sleep 0.2
	# shellcheck disable=SC2086
	kill -CONT $WORKERS
	finish $PID
	assert_status 143
	# shellcheck disable=SC2086
	wait_gone $WORKERS
	no_temporaries "$OUT"
	complete_files "$BULK" "$OUT"
}

@test "SIGINT to the process group (Ctrl-C): workers ignore it, the parent stops them, exit 130" {
	require_cmd setsid
	# setsid execs pcopy as the leader of a new process group
	start_pcopy 2 env PCOPY_NO_TMPFILE=1 setsid "$PCOPY" -B process -a -j 2 --chunk-size=1G \
		"$BULK" "$OUT"
	kill -CONT $PID
	catch_temporary "$OUT"
	kill -INT -- -$PID
	sleep 0.2
	# shellcheck disable=SC2086
	kill -CONT $WORKERS
	finish $PID
	assert_status 130
	# shellcheck disable=SC2086
	wait_gone $WORKERS
	# no worker died of the SIGINT: none is reported
	if grep -q 'killed by signal' "$ERR"; then
		cat "$ERR"
		return 1
	fi
	no_temporaries "$OUT"
	complete_files "$BULK" "$OUT"
}

@test "-j 3 forks three workers once, and none outlives the run" {
	start_pcopy 3 "$PCOPY" -B process -a -j 3 --chunk-size=64K "$BULK" "$OUT"
	local victim=${WORKERS%%$'\n'*}
	kill -STOP "$victim"
	kill -CONT $PID
	sleep 0.3
	# still the same three processes: no fork per job
	[ "$(children $PID | sort)" = "$(sort <<< "$WORKERS")" ]
	kill -CONT "$victim"
	finish $PID
	assert_status 0
	[ ! -s "$ERR" ] || {
		cat "$ERR"
		return 1
	}
	# shellcheck disable=SC2086
	wait_gone $WORKERS
	diff -r "$BULK" "$OUT"
}
