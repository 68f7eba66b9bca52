#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Destinations and sources that are not plain regular files (issue 14):
# FIFOs and devices written into, /proc and /sys files read to EOF,
# --verify keeping the preserved atime, cp's "just-created" rule, the
# hidden temporary's mode, and O_TMPFILE refusals kept per file system.
# Compared with GNU cp on the same inputs.

# status, output, stderr: set by bats run
# shellcheck disable=SC2154
load ../lib/common

setup() {
	require_pcopy
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w" || return
	printf 'some content\n' >f
}

teardown() {
	cd /
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount -l "$MNT"
	fi
}

# node_of PATH: its type and device numbers as stat shows them.
node_of() {
	stat -c '%F %t:%T' "$1"
}

@test "a character device destination is written into, never replaced (pcopy f null)" {
	require_root
	mknod null c 1 3
	mknod cpnull c 1 3
	cp f cpnull
	run pcopy f null
	assert_status 0
	[ "$(node_of null)" = "$(node_of cpnull)" ]
	[ "$(node_of null)" = "character special file 1:3" ]
	ls -A | grep -q '^\.pcopy' && return 1
	true
}

@test "a FIFO destination is written into: its reader receives the bytes" {
	mkfifo fifo
	head -c 3000000 /dev/urandom >big
	timeout 60 cat fifo >got &
	local reader=$!
	run timeout 60 "$PCOPY" -B "$PCOPY_BACKEND" big fifo
	assert_status 0
	wait "$reader"
	[ -p fifo ]
	cmp big got
}

@test "a sparse file into a FIFO reads as its bytes, holes as zeros (cp's sparse-to-pipe)" {
	mkfifo fifo
	truncate -s 3M sparse
	printf 'x' | dd of=sparse bs=1 seek=1048576 conv=notrunc status=none
	timeout 60 cat fifo >got &
	local reader=$!
	run timeout 60 "$PCOPY" -B "$PCOPY_BACKEND" sparse fifo
	assert_status 0
	wait "$reader"
	cmp sparse got
}

@test "a file above --chunk-size into a FIFO arrives whole and in order" {
	mkfifo fifo
	head -c 5000000 /dev/urandom >big
	timeout 60 cat fifo >got &
	local reader=$!
	run timeout 60 "$PCOPY" -B "$PCOPY_BACKEND" --chunk-size=1M big fifo
	assert_status 0
	wait "$reader"
	cmp big got
}

@test "-a: a file onto a device gets written into, as cp -a; a FIFO onto a FIFO is recreated" {
	require_root
	mknod null c 1 3
	mknod cpnull c 1 3
	mkfifo srcfifo
	touch -d 2001-01-01 f
	cp -a f cpnull
	run pcopy -a f null
	assert_status 0
	[ "$(node_of null)" = "character special file 1:3" ]
	[ "$(stat -c '%a %Y' null)" = "$(stat -c '%a %Y' cpnull)" ]
	run pcopy -a srcfifo null
	assert_status 0
	[ -p null ]
}

@test "a device inside a directory tree onto which a file is copied stays a device" {
	require_root
	mkdir -p src dst/src
	echo data >src/dev
	mknod dst/src/dev c 1 3
	run pcopy -r src dst
	assert_status 0
	[ "$(node_of dst/src/dev)" = "character special file 1:3" ]
}

@test "/proc files whose st_size is 0 are copied whole (cp's proc-zero-len, proc-short-read)" {
	[ -r /proc/cpuinfo ] || skip "no /proc/cpuinfo"
	[ "$(stat -c %s /proc/cpuinfo)" -eq 0 ] || skip "/proc/cpuinfo has a size here"
	mkdir dst
	run --separate-stderr pcopy /proc/cpuinfo /proc/version /proc/meminfo dst
	assert_status 0
	[ -z "$stderr" ]
	local vary='/MHz/d; /[Bb][Oo][Gg][Oo][Mm][Ii][Pp][Ss]/d'
	[ "$(sed "$vary" dst/cpuinfo)" = "$(sed "$vary" /proc/cpuinfo)" ]
	[ "$(cat dst/version)" = "$(cat /proc/version)" ]
	[ -s dst/meminfo ]
	run pcopy /proc/version one
	assert_status 0
	cmp one /proc/version
}

@test "/sys files whose st_size is larger than their content: the content, no 'changed' message" {
	local f=/sys/kernel/mm/transparent_hugepage/enabled
	[ -r "$f" ] || f=/sys/kernel/profiling
	[ -r "$f" ] || skip "no small /sys file"
	cp "$f" ref
	run --separate-stderr pcopy "$f" out
	assert_status 0
	[ -z "$stderr" ]
	cmp ref out
}

@test "an empty regular file is copied empty (read to EOF finds nothing)" {
	: >empty
	run pcopy empty e2
	assert_status 0
	[ -f e2 ] && [ ! -s e2 ]
}

@test "-a --verify keeps the preserved atime, as cp -a does" {
	mkdir -p src/d
	head -c 300000 /dev/urandom >src/d/g
	echo small >src/h
	touch -a -d 2001-01-01 src/d/g src/h
	touch -m -d 2002-02-02 src/d/g src/h
	cp -a src ref
	# Reading the source moved its atimes: give them back for pcopy.
	touch -a -d 2001-01-01 src/d/g src/h
	run pcopy -a --verify src out
	assert_status 0
	[ "$(stat -c %X out/d/g)" = "$(stat -c %X ref/d/g)" ]
	[ "$(stat -c %X out/h)" = "$(stat -c %X ref/h)" ]
	[ "$(stat -c %X out/h)" = "$(date -d 2001-01-01 +%s)" ]
}

@test "the hidden temporary (no O_TMPFILE) is created owner-only, then gets cp -a's mode" {
	require_cmd strace
	mkdir src
	echo a >src/a
	echo b >src/b
	echo c >src/c
	chmod 644 src/a
	chmod 775 src/b
	chmod 600 src/c
	cp -a src ref
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 PCOPY_NO_TMPFILE=1 run strace -f -qq -e trace=openat -o trace \
		"$PCOPY" -B "$PCOPY_BACKEND" -a src out
	assert_status 0
	grep '"\.pcopy\..*O_CREAT' trace >created
	[ "$(wc -l <created)" -eq 3 ] || { cat trace; return 1; }
	# openat(..., ".pcopy.a.NNN", O_RDWR|O_CREAT|..., 0600) = N (or <unfinished ...>)
	sed -nE 's/.*O_CREAT[A-Z_|]*, (0[0-7]*).*/\1/p' created >modes
	[ "$(wc -l <modes)" -eq 3 ] || { cat created; return 1; }
	if grep -Ev '^0?[0-7]00$' modes; then
		echo "a temporary was created with group or other bits"
		cat created
		return 1
	fi
	for f in a b c; do
		[ "$(stat -c %a out/$f)" = "$(stat -c %a ref/$f)" ]
	done
	no_temporaries out
	# Without -p the mode is the source's minus the umask, as cp's.
	umask 027
	cp -r src ref2
	PCOPY_NO_TMPFILE=1 run pcopy src out2
	assert_status 0
	for f in a b c; do
		[ "$(stat -c %a out2/$f)" = "$(stat -c %a ref2/$f)" ]
	done
}

# fuse2fs_at DIR: an ext4 image mounted at DIR through FUSE (whose
# high-level API has no tmpfile: O_TMPFILE is refused there), or skip.
fuse2fs_at() {
	require_root
	require_cmd fuse2fs mkfs.ext4
	truncate -s 32M img
	mkfs.ext4 -q img
	mkdir -p "$1"
	fuse2fs img "$1" >/dev/null 2>&1 || skip "cannot mount with fuse2fs"
	MNT=$1
	if "$PYTHON" -c 'import os, sys; os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o600)' \
		"$1" 2>/dev/null; then
		skip "fuse2fs accepts O_TMPFILE here"
	fi
}

@test "O_TMPFILE refused on one destination file system is still used on the others" {
	require_cmd strace
	mkdir A B dest
	for i in $(seq 1 40); do
		echo "a$i" >A/f$i
		echo "b$i" >B/g$i
	done
	fuse2fs_at "$PWD/dest/A"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run strace -f -qq -y -e trace=openat -o trace "$PCOPY" -B "$PCOPY_BACKEND" -r A B dest
	assert_status 0
	diff -r --exclude=lost+found A dest/A
	diff -r B dest/B
	# The FUSE side fell back to hidden names; the other kept O_TMPFILE.
	grep -q "dest/A>, \"\\.pcopy\\." trace
	if grep "dest/B>, \"\\.pcopy\\." trace; then
		echo "the refusal on dest/A switched dest/B to temporary names"
		return 1
	fi
	# io_uring opens in the ring, out of strace's sight.
	if [ "$PCOPY_BACKEND" != uring ]; then
		grep "dest/B>, \"\\.\", .*O_TMPFILE" trace | grep -vq '= -1'
	fi
	no_temporaries dest
}

# just_created_case ARG...: run cp and pcopy with ARG... a/N b/N into a
# fresh c each; same exit status, same message (cp: -> pcopy:), same c.
just_created_case() {
	rm -rf c t
	mkdir c
	run --separate-stderr cp "$@"
	local cp_status=$status cp_err=${stderr//cp:/pcopy:}
	mv c c.cp
	[ ! -e t ] || { echo "cp wrote through the symlink?"; return 1; }
	mkdir c
	run --separate-stderr pcopy "$@"
	[ "$status" -eq "$cp_status" ] || { echo "exit $status, cp $cp_status: $stderr"; return 1; }
	[ "$stderr" = "$cp_err" ] || { echo "pcopy: $stderr"; echo "cp:    $cp_err"; return 1; }
	[ ! -e t ] || { echo "wrote through the just-created symlink"; return 1; }
	diff -r --no-dereference c.cp c
	rm -rf c.cp
}

@test "two sources of one name into a directory: cp's 'will not overwrite just-created', exit 1" {
	mkdir a b
	echo first >a/1
	echo second >b/1
	just_created_case a/1 b/1 c
	[ "$status" -eq 1 ]
	[ "$(cat c/1)" = first ]
	just_created_case -a a/1 b/1 c
	ln -s x a/2
	ln -s y b/2
	just_created_case -d a/2 b/2 c
	# -n leaves the just-made file alone, silently, as cp -n.
	just_created_case -n a/1 b/1 c
	[ "$status" -eq 0 ]
}

@test "a file after a just-created symlink of its name: 'will not copy through just-created symlink' (cp's abuse.sh)" {
	mkdir a b
	ln -s ../t a/1
	echo payload >b/1
	just_created_case --no-dereference --preserve=links -r a/1 b/1 c
	[ "$status" -eq 1 ]
	echo i >t
	rm -rf c
	mkdir c
	run pcopy -d a/1 b/1 c
	assert_status 1
	[ "$(cat t)" = i ]
	rm t
	# The other way round: the symlink is refused, the file kept.
	just_created_case -d b/1 a/1 c
	[ "$(cat c/1)" = payload ]
}
