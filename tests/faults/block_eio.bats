#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# I/O errors from the block layer (issue 7), for every backend: unlike the
# LD_PRELOAD shim of faults.bats, they reach io_uring submissions too.
#
# The device is a loop device under a small ext4 (no journal, inode tables
# zeroed by mkfs, so nothing writes behind the test's back):
# * read EIO: the image is cut short (truncate) below one file's data; the
#   loop device keeps its size, and a read of a block past the end of its
#   backing file ends with BLK_STS_IOERR ("I/O error, dev loopN").
# * write EIO: the image is made immutable (chattr +i), so every write the
#   loop device passes to it fails (EPERM, which the block layer turns into
#   EIO), and the destination directory is synchronous (chattr +S, inherited
#   by the files made in it), so a data write reaches the device within the
#   write call itself; creating the file and writing elsewhere stay in the
#   page cache and succeed.
# Each test first checks that the mechanism produces EIO here, and skips
# with the reason otherwise.  Needs root, losetup, mkfs.ext4, filefrag,
# chattr (util-linux, e2fsprogs).

load ../lib/common

setup() {
	require_pcopy
	require_root
	require_cmd losetup mkfs.ext4 filefrag chattr mountpoint
	cd "$BATS_TEST_TMPDIR"
	LOOP_DEVS=()
	IMMUTABLE=()
}

teardown() {
	local d
	cd /
	if [ -n "${FS:-}" ] && mountpoint -q "$FS"; then
		umount "$FS" 2>/dev/null || umount -l "$FS"
	fi
	for d in "${LOOP_DEVS[@]}"; do
		losetup -d "$d" 2>/dev/null || true
	done
	for d in "${IMMUTABLE[@]}"; do
		chattr -i "$d" 2>/dev/null || true
	done
}

random_file() { # PATH SIZE_MIB
	head -c "$(($2 << 20))" /dev/urandom >"$1"
}

# loop_ext4 SIZE_MIB: a fresh ext4 image $IMG on a loop device $DEV,
# mounted at $FS (= $BATS_TEST_TMPDIR/fs), or skip.
loop_ext4() {
	IMG=$BATS_TEST_TMPDIR/fs.img
	FS=$BATS_TEST_TMPDIR/fs
	truncate -s "$1M" "$IMG"
	mkfs.ext4 -q -F -b 4096 -O ^has_journal -E lazy_itable_init=0 "$IMG" ||
		skip "mkfs.ext4 failed"
	DEV=$(losetup -f --show "$IMG" 2>/dev/null) || skip "no loop device (losetup -f failed)"
	LOOP_DEVS+=("$DEV")
	mkdir -p "$FS"
	mount -t ext4 -o errors=continue "$DEV" "$FS" || skip "cannot mount ext4 from $DEV"
}

# first_block FILE, end_block FILE: the lowest physical block of FILE's
# data, and the block after its highest (filefrag -v, in 4 KiB blocks).
first_block() {
	filefrag -v "$1" | awk '$1 ~ /^[0-9]+:$/ { b = $4; sub(/\.\.$/, "", b)
		if (min == "" || b + 0 < min) min = b + 0 } END { print min }'
}

end_block() {
	filefrag -v "$1" | awk '$1 ~ /^[0-9]+:$/ { e = $5; sub(/:$/, "", e)
		if (e + 1 > max) max = e + 1 } END { print max + 0 }'
}

# cut_image_at FILE [SKIP_MIB]: make FILE's data (fs/..., relative to the
# test folder) unreadable from SKIP_MIB MiB into it on: unmount, cut the
# image there, mount again (an empty page cache).  FILE must be the last
# file written.  Skips unless reading FILE now fails with EIO and every
# other file of the image still reads.
cut_image_at() {
	local file=$1 skip_mib=${2:-0} start f
	sync -f "$FS"
	start=$(first_block "$file")
	[ -n "$start" ] || skip "filefrag shows no extent for $file"
	while IFS= read -r -d '' f; do
		[ "$f" = "$file" ] && continue
		[ "$(end_block "$f")" -le "$start" ] || skip "$f lies above $file on the image"
	done < <(find fs -type f -print0)
	umount "$FS"
	truncate -s $(((start << 12) + (skip_mib << 20))) "$IMG"
	mount -t ext4 -o errors=continue "$DEV" "$FS" || skip "cannot mount the cut image"
	local err
	err=$(cat "$file" 2>&1 >/dev/null) && skip "reading past the end of a loop device's backing file does not fail here"
	[[ "$err" == *"Input/output error"* ]] || skip "reading past the end of the backing file gives '$err', not EIO"
	while IFS= read -r -d '' f; do
		[ "$f" = "$file" ] || cat "$f" >/dev/null || skip "the cut image lost more than $file"
	done < <(find fs -type f -print0)
}

# fail_writes_under DIR: writes of the files made in DIR (fs/...) fail
# with EIO from now on, or skip.
fail_writes_under() {
	mkdir -p "$1" fs/probe
	chattr +S "$1" fs/probe || skip "chattr +S does not work on ext4 here"
	# Made now: from here on, adding a name to a +S directory fails too.
	: >fs/probe/p
	sync -f "$FS"
	chattr +i "$IMG" 2>/dev/null ||
		skip "cannot make the image immutable on $(df --output=fstype "$IMG" | tail -1)"
	IMMUTABLE+=("$IMG")
	if head -c 65536 /dev/zero 2>probe.err >>fs/probe/p; then
		skip "a write to an immutable loop image does not fail here"
	fi
	grep -q "Input/output error" probe.err ||
		skip "a write to an immutable loop image gives '$(cat probe.err)', not EIO"
}

@test "block-layer EIO reading one file: error names it, nothing under its name, the rest copied, exit 1" {
	loop_ext4 64
	mkdir -p fs/src/sub
	random_file fs/src/a 1
	random_file fs/src/sub/b 2
	echo tiny >fs/src/sub/c
	random_file fs/src/bad 4
	cut_image_at fs/src/bad
	run --separate-stderr pcopy -a fs/src dst
	assert_status 1
	assert_contains "$stderr" "fs/src/bad: Input/output error"
	[ ! -e dst/bad ] || { echo "dst/bad exists"; return 1; }
	cmp fs/src/a dst/a
	cmp fs/src/sub/b dst/sub/b
	cmp fs/src/sub/c dst/sub/c
	no_partial_files fs/src dst
}

@test "block-layer EIO in a later chunk of a large file: nothing under its name, exit 1" {
	loop_ext4 96
	mkdir -p fs/src
	random_file fs/src/a 1
	random_file fs/src/big 48
	# The first 40 MiB read; the error is in the last chunks only.
	cut_image_at fs/src/big 40
	run --separate-stderr pcopy -a -j 2 --chunk-size=4M fs/src dst
	assert_status 1
	assert_contains "$stderr" "fs/src/big: Input/output error"
	[ ! -e dst/big ] || { echo "dst/big exists ($(stat -c %s dst/big) bytes)"; return 1; }
	cmp fs/src/a dst/a
	no_partial_files fs/src dst
}

@test "block-layer EIO writing one file: error names the destination, nothing under its name, the rest copied, exit 1" {
	mkdir -p src/sub src/other
	random_file src/sub/f 1
	random_file src/other/g 1
	echo tiny >src/other/h
	loop_ext4 64
	fail_writes_under fs/dst/sub
	run --separate-stderr pcopy -a -T src fs/dst
	assert_status 1
	assert_contains "$stderr" "fs/dst/sub/f: Input/output error"
	[ ! -e fs/dst/sub/f ] || { echo "fs/dst/sub/f exists"; return 1; }
	cmp src/other/g fs/dst/other/g
	cmp src/other/h fs/dst/other/h
	no_partial_files src fs/dst
}

@test "block-layer EIO writing a chunked file: nothing under its name, the rest copied, exit 1" {
	mkdir -p src/sub src/other
	random_file src/sub/big 24
	random_file src/other/g 1
	loop_ext4 96
	fail_writes_under fs/dst/sub
	run --separate-stderr pcopy -a -T -j 2 --chunk-size=4M src fs/dst
	assert_status 1
	assert_contains "$stderr" "fs/dst/sub/big: Input/output error"
	[ ! -e fs/dst/sub/big ] || { echo "fs/dst/sub/big exists"; return 1; }
	cmp src/other/g fs/dst/other/g
	no_partial_files src fs/dst
}
