#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Output that cannot be written fails the run (issue 14): -v lines,
# --dry-run lines and --summary=json go to stdout; when stdout is full, cp
# says "write error" and exits 1 (coreutils' close_stdout). pcopy does the
# same, and still copies everything.

# status, output, stderr: set by bats run
# shellcheck disable=SC2154
load ../lib/common

setup() {
	require_pcopy
	[ -w /dev/full ] || skip "needs /dev/full"
	cd "$BATS_TEST_TMPDIR" || return
	mkdir -p src/sub
	echo one > src/a
	echo two > src/sub/b
}

# cp's words for the case, the reference the messages are held to.
cp_write_error() {
	cp -v src/a cp.out 2>&1 >/dev/full | tail -1 | sed 's/^cp: /pcopy: /'
}

@test "-v onto a full stdout: write error, exit 1, as cp; the copy is made" {
	local want
	want=$(cp_write_error)
	[ "$want" = "pcopy: write error: No space left on device" ]
	# bats run does not redirect: do it in a shell.
	run --separate-stderr bash -c '"$0" -B "$1" -v -a src dst >/dev/full' "$PCOPY" "$PCOPY_BACKEND"
	assert_status 1
	[ "$stderr" = "$want" ]
	assert_same_tree --no-times src dst
}

@test "--summary=json onto a full stdout: write error, exit 1" {
	run --separate-stderr bash -c '"$0" -B "$1" --summary=json -a src dst >/dev/full' \
		"$PCOPY" "$PCOPY_BACKEND"
	assert_status 1
	[ "$stderr" = "pcopy: write error: No space left on device" ]
	cmp src/sub/b dst/sub/b
}

@test "--dry-run onto a full stdout: write error, exit 1, nothing made" {
	run --separate-stderr bash -c '"$0" -B "$1" --dry-run -a src dst >/dev/full' \
		"$PCOPY" "$PCOPY_BACKEND"
	assert_status 1
	[ "$stderr" = "pcopy: write error: No space left on device" ]
	[ ! -e dst ]
}

@test "--help and --version onto a full stdout: write error, exit 1, as cp" {
	run --separate-stderr bash -c '"$0" --help >/dev/full' "$PCOPY"
	assert_status 1
	[ "$stderr" = "pcopy: write error: No space left on device" ]
	run --separate-stderr bash -c '"$0" --version >/dev/full' "$PCOPY"
	assert_status 1
	[ "$stderr" = "pcopy: write error: No space left on device" ]
}

@test "a quiet run with stdout closed is no error (nothing was to be written)" {
	run --separate-stderr bash -c '"$0" -B "$1" -a src dst >&-' "$PCOPY" "$PCOPY_BACKEND"
	assert_status 0
	[ -z "$stderr" ]
	cmp src/a dst/a
}
