#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Extended attributes and ACLs where they are hard to keep (issue 14): on
# read-only files copied by their non-root owner, and on entries that are
# never opened (symlinks, FIFOs, devices). cp -a is the reference.

# status, output: set by bats run
# shellcheck disable=SC2154
load ../lib/common

setup() {
	require_pcopy
	skip_mpi "the mpi backend is tested by mpi.bats"
	WORLD=
}

teardown() {
	if [ -n "${WORLD-}" ]; then
		chmod -R u+rwx "$WORLD" 2>/dev/null || true
		rm -rf "$WORLD"
	fi
}

# world_dir: WORLD, a fresh directory owned by nobody, with a copy of the
# binary nobody may run (BATS_TEST_TMPDIR is not reachable for nobody).
world_dir() {
	require_root
	require_cmd setpriv
	WORLD=$(mktemp -d /tmp/pcopy-xattrs.XXXXXX)
	cp "$PCOPY" "$WORLD/pcopy"
	chmod 0755 "$WORLD" "$WORLD/pcopy"
	chown 65534:65534 "$WORLD"
}

# as_nobody CMD ARG...: run CMD as nobody:nogroup, no groups, in WORLD.
as_nobody() {
	(cd "$WORLD" && setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@")
}

# user_xattrs_work DIR: skip unless DIR's file system keeps user.* xattrs.
user_xattrs_work() {
	touch "$1/.probe"
	setfattr -n user.probe -v 1 "$1/.probe" 2>/dev/null || skip "no user xattrs here"
	rm -f "$1/.probe"
}

@test "a read-only file and directory keep their user xattrs when their non-root owner copies them" {
	world_dir
	user_xattrs_work "$WORLD"
	as_nobody sh -c 'mkdir -p src/rodir && echo data > src/ro && echo in > src/rodir/f &&
		setfattr -n user.a -v one src/ro && setfattr -n user.b -v two src/rodir &&
		setfattr -n user.c -v three src/rodir/f &&
		chmod 0444 src/ro src/rodir/f && chmod 0555 src/rodir'
	run as_nobody cp -a src ref
	assert_status 0
	run as_nobody "$WORLD/pcopy" -B "$PCOPY_BACKEND" -a src out
	assert_status 0
	cd "$WORLD" || return
	[ "$(getfattr --only-values -n user.a out/ro)" = one ]
	[ "$(getfattr --only-values -n user.b out/rodir)" = two ]
	[ "$(getfattr --only-values -n user.c out/rodir/f)" = three ]
	[ "$(stat -c %a out/ro out/rodir out/rodir/f | tr '\n' ' ')" = "444 555 444 " ]
	assert_same_tree --no-atime "$WORLD/ref" "$WORLD/out"
	# --preserve=xattr without mode: the copy's mode is the source's minus
	# the umask, read-only too.
	run as_nobody sh -c 'umask 022; exec "$0" -B "$1" --preserve=xattr src/ro one' \
		"$WORLD/pcopy" "$PCOPY_BACKEND"
	assert_status 0
	[ "$(getfattr --only-values -n user.a one)" = one ]
	[ "$(stat -c %a one)" = 444 ]
}

@test "symlinks, FIFOs and devices keep their xattrs and ACLs as with cp -a" {
	require_root
	cd "$BATS_TEST_TMPDIR" || return
	mkdir src
	ln -s target src/link
	ln -s /nowhere src/dangling
	mkfifo src/fifo
	mknod src/null c 1 3
	setfattr -h -n trusted.l -v link src/link || skip "no trusted xattrs on symlinks here"
	setfattr -h -n trusted.d -v dangling src/dangling
	setfattr -n trusted.f -v fifo src/fifo
	setfacl -m u:nobody:r src/fifo
	setfacl -m g:nogroup:rw src/null
	cp -a src ref
	# cp keeps them all: the reference shows what is compared.
	[ "$(getfattr -h --only-values -n trusted.l ref/link)" = link ]
	getfacl -c ref/null | grep -q '^group:nogroup:rw-'
	run pcopy -a src out
	assert_status 0
	[ "$(getfattr -h --only-values -n trusted.l out/link)" = link ]
	[ "$(getfattr -h --only-values -n trusted.d out/dangling)" = dangling ]
	[ "$(getfattr --only-values -n trusted.f out/fifo)" = fifo ]
	getfacl -c out/fifo | grep -q '^user:nobody:r--'
	getfacl -c out/null | grep -q '^group:nogroup:rw-'
	# Reading a symlink moves its atime (its ctime is newer): cp's read
	# moved the one pcopy sees.
	assert_same_tree --no-atime ref out
	# --no-preserve=xattr keeps the ACLs (they belong to the mode), not
	# the others; --no-preserve=mode the reverse.
	run pcopy -a --no-preserve=xattr src noxattr
	assert_status 0
	run getfattr -h -n trusted.l noxattr/link
	[ "$status" -ne 0 ]
	getfacl -c noxattr/fifo | grep -q '^user:nobody:r--'
}
