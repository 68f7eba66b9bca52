#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The io_uring backend's own behaviour (issue 6): what happens when
# io_uring is unavailable (a seccomp filter, as containers install, makes
# io_uring_setup fail), queue depths at both limits, and interruption.
# The cp -a equivalence runs for uring in equivalence.bats and the others.

# status, output, stderr: set by bats run
# shellcheck disable=SC2154
load ../lib/common

setup() {
	require_pcopy
	: "${NO_URING:?set NO_URING to the tests/helpers/no_uring binary}"
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir -p src/sub
	local i
	for i in 1 2 3 4 5 6 7 8; do
		head -c $((i * 1000)) /dev/urandom > "src/f$i"
	done
	head -c 600K /dev/urandom > src/sub/big
	ln -s f1 src/link
}

@test "--backend=uring exits 2 with a clear message when a seccomp filter refuses io_uring (EPERM)" {
	run --separate-stderr "$NO_URING" EPERM "$PCOPY" -B uring -a src dst
	assert_status 2
	assert_contains "$stderr" "pcopy: backend 'uring' cannot run here: Operation not permitted"
	assert_contains "$stderr" "kernel.io_uring_disabled"
	assert_contains "$stderr" "seccomp"
	[ ! -e dst ]
}

@test "--backend=uring exits 2 with a clear message when the kernel has no io_uring (ENOSYS)" {
	run --separate-stderr "$NO_URING" ENOSYS "$PCOPY" -B uring -a src dst
	assert_status 2
	assert_contains "$stderr" "pcopy: backend 'uring' cannot run here: Function not implemented"
	assert_contains "$stderr" "no io_uring"
	[ ! -e dst ]
}

@test "--backend=auto silently uses another backend when io_uring is refused" {
	local e
	for e in EPERM ENOSYS; do
		rm -rf dst
		run --separate-stderr "$NO_URING" "$e" "$PCOPY" -B auto -a --summary=json src dst
		assert_status 0
		[ -z "$stderr" ] || { echo "unexpected stderr: $stderr"; return 1; }
		assert_contains "$output" '"backend":"'
		[[ "$output" != *'"backend":"uring"'* ]] || { echo "$output"; return 1; }
		diff -r src dst
	done
}

@test "--backend=uring runs on io_uring when it is there (summary names it)" {
	run --separate-stderr "$PCOPY" -B uring -a --summary=json src dst
	assert_status 0
	assert_contains "$output" '"backend":"uring"'
	diff -r src dst
}

@test "--queue-depth=1 and --queue-depth=4096 copy everything" {
	local qd chunk
	for qd in 1 2 4096; do
		for chunk in 64K 64M; do
			rm -rf dst
			run --separate-stderr "$PCOPY" -B uring -a -j 1 --queue-depth=$qd \
				--chunk-size=$chunk src dst
			assert_status 0
			diff -r src dst
			[ "$(readlink dst/link)" = f1 ]
		done
	done
}

@test "files larger than a block and than a chunk are copied exactly (many blocks in flight)" {
	head -c $((5 * 1024 * 1024 + 12345)) /dev/urandom > src/sub/huge
	run --separate-stderr "$PCOPY" -B uring -a src dst
	assert_status 0
	cmp src/sub/huge dst/sub/huge
	rm -rf dst
	run --separate-stderr "$PCOPY" -B uring -a --chunk-size=1M src dst
	assert_status 0
	cmp src/sub/huge dst/sub/huge
}

@test "SIGINT during a uring copy exits 130 within 2 seconds and leaves nothing half-written" {
	local mode pid start end status output
	for mode in PCOPY_URING_TEST=1 PCOPY_NO_TMPFILE=1; do
		rm -rf dst src/sub/huge
		# allocated (not sparse) so that the ring, not SEEK_DATA, copies it
		fallocate -l 3G src/sub/huge || skip "fallocate not supported here"
		env "$mode" "$PCOPY" -B uring -a src dst 2> "$BATS_TEST_TMPDIR/err" &
		pid=$!
		sleep 0.5
		start=$(date +%s%N)
		kill -INT "$pid"
		status=0
		wait "$pid" || status=$?
		end=$(date +%s%N)
		output=$(cat "$BATS_TEST_TMPDIR/err")
		assert_status 130
		[ $(((end - start) / 1000000)) -lt 2000 ] || { echo "took $(((end - start) / 1000000)) ms"; return 1; }
		no_temporaries dst
		# a name in the copy means a complete file
		if [ -e dst/sub/huge ]; then
			cmp src/sub/huge dst/sub/huge
		fi
	done
	rm -f src/sub/huge
}

# syscall_counts FILE: "name calls" per line from strace -c output FILE.
syscall_counts() {
	awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { print $NF, $4 }' "$1"
}

# calls NAME: how many NAME calls syscall_counts saw (0 when none).
calls() {
	awk -v n="$1" '$1 == n { c = $2 } END { print c + 0 }' "$BATS_TEST_TMPDIR/counts"
}

# strace_copy BACKEND: copy 300 small files under strace -f -c, counts to
# $BATS_TEST_TMPDIR/counts.
strace_copy() {
	local i
	rm -rf many dst
	mkdir many
	for i in $(seq 1 300); do
		head -c $((i * 37 + 100)) /dev/urandom > "many/f$i"
	done
	# LeakSanitizer cannot run under ptrace (the sanitizer build).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -c -o "$BATS_TEST_TMPDIR/strace.out" "$PCOPY" -B "$1" -a -j 2 many dst
	diff -r many dst
	syscall_counts "$BATS_TEST_TMPDIR/strace.out" > "$BATS_TEST_TMPDIR/counts"
	cat "$BATS_TEST_TMPDIR/counts"
}

# The data path of plain files is the ring's: open, read, write, link into
# place and close are io_uring operations. What is left outside is per-file
# metadata (the walker's fstatat, xattrs, timestamps): io_uring has no opcode
# for them.
ring_assertions() {
	local n=300 sc
	[ "$(calls io_uring_setup)" -ge 1 ]
	# (How many waits depends on the load: not a measure of batching.)
	[ "$(calls io_uring_enter)" -ge 1 ]
	# A constant number of opens at start-up, none per file.
	[ "$(calls openat)" -lt $((n / 4)) ]
	[ "$(calls close)" -lt $((n / 4)) ]
	for sc in read pread64 readv preadv preadv2 write pwrite64 writev pwritev pwritev2 \
		copy_file_range sendfile splice linkat; do
		# (a sanitizer build reads a few dozen times at start-up)
		[ "$(calls "$sc")" -lt $((n / 4)) ] || {
			echo "$sc: $(calls "$sc") calls outside the ring for $n files"
			return 1
		}
	done
}

@test "--backend=uring moves plain files through the ring: io_uring_enter, no per-file open/read/write/close" {
	require_cmd strace
	strace_copy uring
	ring_assertions
	# Control: the thread backend makes these calls per file, so the
	# assertions above are not blind.
	strace_copy thread
	run ring_assertions
	[ "$status" -ne 0 ]
	[ "$(calls openat)" -ge 300 ]
}
