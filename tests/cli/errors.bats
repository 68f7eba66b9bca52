#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Per-file errors (SPEC sections 6 and 8): the failing path is named as
# "pcopy: PATH: REASON", the rest is copied, the exit status is 1, no
# partial file appears under its final name and no temporary is left, with
# O_TMPFILE and with the named-temporary fallback (PCOPY_NO_TMPFILE=1).
# Special files are recreated, never opened.  Permission cases run as
# nobody (65534) through setpriv.

# status, output, stderr: set by bats run; MKTREE etc.: by lib/common.bash
# shellcheck disable=SC2154,SC2153
load ../lib/common

setup() {
	require_pcopy
	# a directory of our own: bats keeps files in BATS_TEST_TMPDIR
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w" || return
}

teardown() {
	if [ -n "${SMALL-}" ] && mountpoint -q "$SMALL"; then
		umount "$SMALL"
	fi
	if [ -n "${WORLD-}" ]; then
		chmod -R u+rwx "$WORLD" 2>/dev/null || true
		rm -rf "$WORLD"
	fi
}

# world_dir: set WORLD to a fresh directory every user may enter, holding a
# copy of the binary nobody can run; skip unless root with setpriv.
world_dir() {
	require_root
	require_cmd setpriv
	WORLD=$(mktemp -d /tmp/pcopy-errors.XXXXXX)
	chmod 0755 "$WORLD"
	cp "$PCOPY" "$WORLD/pcopy"
	chmod 0755 "$WORLD/pcopy"
}

# as_nobody [VAR=VALUE...] ARG...: run the copied pcopy as nobody:nogroup
# with no supplementary groups, in WORLD.
as_nobody() {
	local envs=()
	while [[ "${1-}" == *=* ]]; do
		envs+=("$1")
		shift
	done
	(cd "$WORLD" && env "${envs[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$WORLD/pcopy" -B "$PCOPY_BACKEND" "$@")
}

# Cases that write run twice: with O_TMPFILE (the first entry sets a
# variable pcopy ignores) and with named temporaries.
TMPFILE_MODES=("PCOPY_TEST_DEFAULT_PLACEMENT=1" "PCOPY_NO_TMPFILE=1")

@test "a missing source among several is named, the others are copied, exit 1" {
	echo a > a
	echo b > b
	mkdir dst
	run --separate-stderr pcopy a missing b dst
	assert_status 1
	[ "$stderr" = "pcopy: cannot stat 'missing': No such file or directory" ] || { echo "stderr: $stderr"; false; }
	cmp a dst/a
	cmp b dst/b
	[ ! -e dst/missing ]
	no_temporaries dst
}

@test "a missing destination parent is named, exit 1, nothing created" {
	echo x > a-file-that-exists
	run --separate-stderr pcopy a-file-that-exists nodir/g
	assert_status 1
	[[ "$stderr" == "pcopy: nodir/g: No such file or directory" ||
		"$stderr" == "pcopy: nodir: No such file or directory" ]] || { echo "stderr: $stderr"; false; }
	[ ! -e nodir ]
}

@test "an unreadable file is named, the rest is copied, exit 1, no partial file" {
	world_dir
	mkdir -p "$WORLD/src/sub"
	echo ok > "$WORLD/src/ok"
	echo ok2 > "$WORLD/src/sub/ok2"
	head -c 3M /dev/urandom > "$WORLD/src/secret"
	chmod 000 "$WORLD/src/secret"
	local mode
	for mode in "${TMPFILE_MODES[@]}"; do
		rm -rf "$WORLD/dst"
		mkdir "$WORLD/dst"
		chown 65534:65534 "$WORLD/dst"
		run --separate-stderr as_nobody "$mode" src dst
		assert_status 1
		[ "$stderr" = "pcopy: src/secret: Permission denied" ] || { echo "$mode stderr: $stderr"; false; }
		[ ! -e "$WORLD/dst/src/secret" ]
		cmp "$WORLD/src/ok" "$WORLD/dst/src/ok"
		cmp "$WORLD/src/sub/ok2" "$WORLD/dst/src/sub/ok2"
		no_temporaries "$WORLD/dst"
	done
}

@test "an unreadable directory is named, the rest is copied, exit 1" {
	world_dir
	mkdir -p "$WORLD/src/locked" "$WORLD/src/open"
	echo hidden > "$WORLD/src/locked/hidden"
	echo ok > "$WORLD/src/open/ok"
	chmod 000 "$WORLD/src/locked"
	mkdir "$WORLD/dst"
	chown 65534:65534 "$WORLD/dst"
	run --separate-stderr as_nobody src dst
	assert_status 1
	assert_contains "$stderr" "pcopy: src/locked: Permission denied"
	cmp "$WORLD/src/open/ok" "$WORLD/dst/src/open/ok"
	[ ! -e "$WORLD/dst/src/locked/hidden" ]
	no_temporaries "$WORLD/dst"
}

@test "an unwritable destination directory is an error, exit 1, nothing written" {
	world_dir
	mkdir -p "$WORLD/src/sub" "$WORLD/dst"
	echo ok > "$WORLD/src/ok"
	local mode
	for mode in "${TMPFILE_MODES[@]}"; do
		run --separate-stderr as_nobody "$mode" src/ok dst
		assert_status 1
		[[ "$stderr" == "pcopy: dst"*": Permission denied" ]] || { echo "$mode stderr: $stderr"; false; }
		run --separate-stderr as_nobody "$mode" src dst
		assert_status 1
		[[ "$stderr" == "pcopy: dst"*": Permission denied" ]] || { echo "$mode stderr: $stderr"; false; }
		[ -z "$(ls -A "$WORLD/dst")" ]
	done
}

@test "an existing destination file the user may not write is an error without -f, replaced with -f" {
	world_dir
	mkdir "$WORLD/dst"
	echo new > "$WORLD/new"
	echo old > "$WORLD/dst/file"
	chmod 0444 "$WORLD/dst/file"
	chown 65534:65534 "$WORLD/dst" "$WORLD/dst/file"
	run --separate-stderr as_nobody new dst/file
	assert_status 1
	assert_contains "$stderr" "pcopy: dst/file: "
	[ "$(cat "$WORLD/dst/file")" = old ]
	no_temporaries "$WORLD/dst"
	run --separate-stderr as_nobody -f new dst/file
	assert_status 0
	[ "$(cat "$WORLD/dst/file")" = new ]
	no_temporaries "$WORLD/dst"
}

@test "a FIFO in the source tree is recreated, never opened" {
	mkdir src
	mkfifo src/fifo
	echo x > src/file
	run --separate-stderr timeout 20 "$PCOPY" -B "$PCOPY_BACKEND" -a src dst
	assert_status 0
	[ -p dst/fifo ]
	cmp src/file dst/file
}

@test "a FIFO given as the source operand is recreated, never opened" {
	mkfifo fifo
	run --separate-stderr timeout 20 "$PCOPY" -B "$PCOPY_BACKEND" fifo out
	assert_status 0
	[ -p out ]
}

@test "a character device operand is recreated as a device, never read" {
	require_root
	mknod zero c 1 5 2>/dev/null || skip "mknod fails here"
	run --separate-stderr timeout 20 "$PCOPY" -B "$PCOPY_BACKEND" -a zero out
	assert_status 0
	[ -c out ]
	[ "$(stat -c '%t,%T' out)" = "1,5" ]
}

@test "a unix socket in the source tree is recreated" {
	mkdir src
	"$PYTHON" -c 'import socket; socket.socket(socket.AF_UNIX).bind("src/sock")' ||
		skip "cannot bind a unix socket here"
	run --separate-stderr timeout 20 "$PCOPY" -B "$PCOPY_BACKEND" -a src dst
	assert_status 0
	[ -S dst/sock ]
}

# small_fs: mount a 2 MiB tmpfs on SMALL, or skip.
small_fs() {
	require_root
	SMALL=$BATS_TEST_TMPDIR/small
	mkdir "$SMALL"
	mount -t tmpfs -o size=2m,mode=0755 tmpfs "$SMALL" 2>/dev/null ||
		skip "cannot mount a tmpfs here"
}

@test "ENOSPC fails the file that does not fit: named, absent, no temporaries, exit 1" {
	small_fs
	mkdir -p src/sub
	head -c 3M /dev/urandom > src/big
	local i
	for i in 1 2 3 4 5; do
		head -c 1K /dev/urandom > "src/sub/small$i"
	done
	local mode
	for mode in "${TMPFILE_MODES[@]}"; do
		rm -rf "${SMALL:?}/src"
		run --separate-stderr env "$mode" "$PCOPY" -B "$PCOPY_BACKEND" -a src "$SMALL"
		assert_status 1
		assert_contains "$stderr" "big: No space left on device"
		[[ "$stderr" == "pcopy: "* ]]
		[ ! -e "$SMALL/src/big" ]
		no_temporaries "$SMALL"
		# whatever made it is complete
		for i in 1 2 3 4 5; do
			if [ -e "$SMALL/src/sub/small$i" ]; then
				cmp "src/sub/small$i" "$SMALL/src/sub/small$i"
			fi
		done
		# and nothing holds space any more
		[ "$(du -s "$SMALL" | cut -f1)" -lt 100 ]
	done
}

@test "ENOSPC while replacing a file keeps its old content" {
	small_fs
	mkdir src
	head -c 3M /dev/urandom > src/big
	local mode
	for mode in "${TMPFILE_MODES[@]}"; do
		mkdir -p "$SMALL/src"
		echo "old content" > "$SMALL/src/big"
		run --separate-stderr env "$mode" "$PCOPY" -B "$PCOPY_BACKEND" -a src "$SMALL"
		assert_status 1
		assert_contains "$stderr" "big: No space left on device"
		[ "$(cat "$SMALL/src/big")" = "old content" ]
		no_temporaries "$SMALL"
	done
}
