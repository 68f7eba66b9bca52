#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# What the summary's "bytes" counts (SPEC 5, issue 14): the content size of
# the files copied, not the bytes moved on the way (the data of a file that
# failed midway, chunks copied again). tests/cli/process.bats checks the
# same after a worker was killed.

# status, output, stderr: set by bats run
# shellcheck disable=SC2154
load ../lib/common

setup() {
	require_pcopy
	skip_mpi "the mpi backend is tested by mpi.bats"
	cd "$BATS_TEST_TMPDIR" || return
	MNT=
}

teardown() {
	cd /
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount -l "$MNT"
	fi
}

# file_bytes DIR: the total size of the regular files under DIR.
file_bytes() {
	find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'
}

@test "a file that fails midway (ENOSPC) adds nothing to bytes: bytes is the size of the files copied" {
	require_root
	MNT=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$MNT" src
	mount -t tmpfs -o size=4M tmpfs "$MNT" || skip "cannot mount a tmpfs"
	head -c 100000 /dev/urandom >src/good1
	head -c 200000 /dev/urandom >src/good2
	echo small >src/good3
	# Too big for the tmpfs: written up to the full disk, then refused.
	head -c 8M /dev/urandom >src/big
	run --separate-stderr pcopy -a -j 1 --summary=json src "$MNT/dst"
	assert_status 1
	assert_contains "$stderr" "No space left on device"
	[ ! -e "$MNT/dst/big" ]
	local copied files
	copied=$(file_bytes "$MNT/dst")
	files=$(find "$MNT/dst" -type f | wc -l)
	# The good files fit once big's temporary is gone; each is whole.
	same_data src "$MNT/dst"
	[ "$files" -ge 1 ]
	echo "summary: $output; copied: $copied bytes in $files files"
	[ "$(summary_field "$output" files)" -eq "$files" ]
	[ "$(summary_field "$output" bytes)" -eq "$copied" ]
	[ "$(summary_field "$output" errors)" -ge 1 ]
}

@test "the text summary and the last json progress event say the same bytes" {
	require_root
	MNT=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$MNT" src
	mount -t tmpfs -o size=4M tmpfs "$MNT" || skip "cannot mount a tmpfs"
	head -c 300000 /dev/urandom >src/good
	head -c 8M /dev/urandom >src/big
	run --separate-stderr pcopy -a -j 1 --summary --progress=json src "$MNT/dst"
	assert_status 1
	local copied
	copied=$(file_bytes "$MNT/dst")
	[ "$copied" -eq 300000 ]
	# The "done" event and the summary event (json errors turn the text
	# summary into one) both count 300000.
	"$PYTHON" -c 'import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
done = [e for e in evs if e.get("event") == "done"]
summ = [e for e in evs if e.get("event") == "summary"]
assert done and summ, evs
assert done[-1]["bytes"] == summ[-1]["bytes"] == int(sys.argv[2]), (done[-1], summ[-1])' \
		"$stderr" "$copied"
}

@test "a dry run's bytes are the size of the files it would copy" {
	mkdir src
	head -c 12345 /dev/urandom >src/a
	head -c 54321 /dev/urandom >src/b
	run --separate-stderr pcopy -a --dry-run --summary=json src dst
	assert_status 0
	json=$(tail -1 <<<"$output")
	[ "$(summary_field "$json" files)" -eq 2 ]
	[ "$(summary_field "$json" bytes)" -eq 66666 ]
	[ ! -e dst ]
}
