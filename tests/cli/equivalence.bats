#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# pcopy's copies are equivalent to GNU cp's: the tree of tests/lib/mktree.sh
# copied with pcopy matches the copy made by the cp options of the same
# meaning (tests/lib/compare.sh: mtree, xattrs, ACLs, ns times, holes, hard
# links).  GNU cp stops at paths longer than PATH_MAX, so the references get
# that part (longpath/) from graft_longpath (lib/common.bash).
# The last two tests copy the Linux source tree (slow; PCOPY_SKIP_SLOW=1
# skips them).

# status, output, stderr: set by bats run; MKTREE etc.: by lib/common.bash
# shellcheck disable=SC2154,SC2153
load ../lib/common

setup_file() {
	require_pcopy
	export SRC=$BATS_FILE_TMPDIR/src
	export REF=$BATS_FILE_TMPDIR/ref-a
	"$MKTREE" "$SRC" 3>&- 2> "$BATS_FILE_TMPDIR/mktree.log"
	if [ -s "$BATS_FILE_TMPDIR/mktree.log" ]; then
		sed 's/^/# /' "$BATS_FILE_TMPDIR/mktree.log" >&3
	fi
	make_ref -a "$SRC" "$REF"
	# Atimes are compared only where reading a file with a future atime
	# leaves it alone (relatime, noatime); under strictatime every read by
	# cp or mtree moves them.
	local probe=$BATS_FILE_TMPDIR/atime-probe
	echo probe > "$probe"
	touch -a -d @2200000000 "$probe"
	cat "$probe" > /dev/null
	if [ "$(stat -c %X "$probe")" != 2200000000 ]; then
		export COMPARE_NO_ATIME=1
		echo "# reads update atimes here (strictatime?): atimes not compared" >&3
	fi
}

setup() {
	require_pcopy
	OUT=$BATS_TEST_TMPDIR/out
	# restore the source's atimes, in case something read it under strictatime
	"$MKTREE" --retime "$SRC"
}

# copy_ok ARG...: pcopy ARG... succeeds silently.
copy_ok() {
	run --separate-stderr pcopy "$@"
	assert_status 0
	[ -z "$output" ] || { echo "unexpected stdout: $output"; return 1; }
	[ -z "$stderr" ] || { echo "unexpected stderr: $stderr"; return 1; }
}

@test "-a -j 1 copies the tree exactly as cp -a does" {
	copy_ok -a -j 1 "$SRC" "$OUT"
	assert_same_tree "$REF" "$OUT"
}

@test "-a -j 8 copies the tree exactly as cp -a does" {
	copy_ok -a -j 8 "$SRC" "$OUT"
	assert_same_tree "$REF" "$OUT"
}

@test "-a with --chunk-size=64K copies large files in chunks exactly as cp -a does" {
	copy_ok -a -j 8 --chunk-size=64K "$SRC" "$OUT"
	assert_same_tree "$REF" "$OUT"
}

@test "-a -j 1 with --chunk-size=64K copies exactly as cp -a does" {
	copy_ok -a -j 1 --chunk-size=64K "$SRC" "$OUT"
	assert_same_tree "$REF" "$OUT"
}

@test "-a into an existing directory creates DIR/basename(SRC) as cp -a does" {
	mkdir "$OUT"
	copy_ok -a -j 8 "$SRC" "$OUT"
	[ "$(ls -A "$OUT")" = src ]
	assert_same_tree "$REF" "$OUT/src"
}

@test "-a over an existing copy gives the same tree and replaces every regular file by a new inode" {
	mkdir "$OUT"
	copy_ok -a -j 8 "$SRC" "$OUT"
	inodes "$OUT/src" > "$BATS_TEST_TMPDIR/before"
	"$MKTREE" --retime "$SRC"
	copy_ok -a -j 8 "$SRC" "$OUT"
	assert_same_tree "$REF" "$OUT/src"
	inodes "$OUT/src" > "$BATS_TEST_TMPDIR/after"
	# same set of files, and no file kept its inode
	diff <(cut -f2 "$BATS_TEST_TMPDIR/before") <(cut -f2 "$BATS_TEST_TMPDIR/after")
	local same
	same=$(paste "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" | awk -F'\t' '$1 == $3 { print $2 }')
	if [ -n "$same" ]; then
		echo "files rewritten in place (same inode):"
		echo "$same"
		return 1
	fi
}

@test "-p copies as cp -p does: mode, ACLs, owner, times; no xattrs, no hard links" {
	make_ref -rp "$SRC" "$BATS_TEST_TMPDIR/ref-p"
	copy_ok -p -j 8 "$SRC" "$OUT"
	assert_same_tree "$BATS_TEST_TMPDIR/ref-p" "$OUT"
}

@test "without options copies as cp -r does: mode minus umask, new owner and times, no xattrs" {
	umask 027
	make_ref --no-preserve -r "$SRC" "$BATS_TEST_TMPDIR/ref-r"
	copy_ok -j 8 "$SRC" "$OUT"
	assert_same_tree --no-times "$BATS_TEST_TMPDIR/ref-r" "$OUT"
}

@test "--sparse=never writes holes as data as cp -a --sparse=never does" {
	make_ref -a --sparse=never "$SRC" "$BATS_TEST_TMPDIR/ref-never"
	copy_ok -a -j 8 --sparse=never "$SRC" "$OUT"
	assert_same_tree "$BATS_TEST_TMPDIR/ref-never" "$OUT"
	# the reference really differs from the sparse copy: holes were filled
	[ "$(stat -c %b "$BATS_TEST_TMPDIR/ref-never/sparse/all-hole")" -gt 30000 ]
	[ "$(stat -c %b "$REF/sparse/all-hole")" -lt 100 ]
}

# symtree DIR: a tree of symlinks without dangling ones: relative and
# absolute links to files, to a directory, a chain, two links to one file,
# a link to a FIFO; times from mktree.sh --retime (atimes in the future, so
# that reads do not move them).
symtree() {
	mkdir -p "$1/real/sub" "$1/links"
	echo one > "$1/real/file"
	echo two > "$1/real/sub/inner"
	mkfifo "$1/real/fifo"
	ln -s ../real/file "$1/links/rel-file"
	ln -s "$(cd "$1" && pwd)/real/file" "$1/links/abs-file"
	ln -s ../real "$1/links/to-dir"
	ln -s rel-file "$1/links/chain"
	ln -s ../real/sub/inner "$1/links/inner-1"
	ln -s ../real/sub/inner "$1/links/inner-2"
	ln -s ../real/fifo "$1/links/to-fifo"
	ln -s inner "$1/real/sub/link-in-sub"
	"$MKTREE" --retime "$1"
}

@test "-L copies what symlinks point to as cp -aL does (without hard links)" {
	skip_mpi "-L is not supported with --backend=mpi yet"
	symtree "$BATS_TEST_TMPDIR/sym"
	make_ref -aL --no-preserve=links "$BATS_TEST_TMPDIR/sym" "$BATS_TEST_TMPDIR/ref-L"
	"$MKTREE" --retime "$BATS_TEST_TMPDIR/sym"
	run --separate-stderr timeout 20 "$PCOPY" -B "$PCOPY_BACKEND" -a -L --no-preserve=links \
		-j 8 "$BATS_TEST_TMPDIR/sym" "$OUT"
	assert_status 0
	assert_same_tree "$BATS_TEST_TMPDIR/ref-L" "$OUT"
	[ ! -L "$OUT/links/to-dir" ] && [ -f "$OUT/links/to-dir/sub/inner" ]
	[ -p "$OUT/links/to-fifo" ]
}

# cp -aL preserves links between the files it copies, and with -L several
# symlinks to one file (and the file itself) are names of one inode.
@test "-a -L makes the names that reach one file hard links, as cp -aL does" {
	skip_mpi "-L is not supported with --backend=mpi yet"
	symtree "$BATS_TEST_TMPDIR/sym"
	make_ref -aL "$BATS_TEST_TMPDIR/sym" "$BATS_TEST_TMPDIR/ref-L"
	"$MKTREE" --retime "$BATS_TEST_TMPDIR/sym"
	run --separate-stderr timeout 20 "$PCOPY" -B "$PCOPY_BACKEND" -a -L -j 8 \
		"$BATS_TEST_TMPDIR/sym" "$OUT"
	assert_status 0
	assert_same_tree "$BATS_TEST_TMPDIR/ref-L" "$OUT"
}

@test "-L reports a dangling symlink, copies the rest and exits 1, as cp -aL does" {
	skip_mpi "-L is not supported with --backend=mpi yet"
	symtree "$BATS_TEST_TMPDIR/sym"
	ln -s nowhere "$BATS_TEST_TMPDIR/sym/links/dangling"
	"$MKTREE" --retime "$BATS_TEST_TMPDIR/sym"
	run cp -aL "$BATS_TEST_TMPDIR/sym" "$BATS_TEST_TMPDIR/ref-L"
	assert_status 1
	"$MKTREE" --retime "$BATS_TEST_TMPDIR/sym"
	run --separate-stderr pcopy -a -L -j 8 "$BATS_TEST_TMPDIR/sym" "$OUT"
	assert_status 1
	assert_contains "$stderr" "links/dangling: No such file or directory"
	assert_same_tree "$BATS_TEST_TMPDIR/ref-L" "$OUT"
}

@test "-H follows a symlink given as the source operand, not those inside, as cp -aH does" {
	symtree "$BATS_TEST_TMPDIR/sym"
	ln -s sym "$BATS_TEST_TMPDIR/operand"
	make_ref -aH "$BATS_TEST_TMPDIR/operand" "$BATS_TEST_TMPDIR/ref-H"
	"$MKTREE" --retime "$BATS_TEST_TMPDIR/sym"
	copy_ok -a -H -j 8 "$BATS_TEST_TMPDIR/operand" "$OUT"
	assert_same_tree "$BATS_TEST_TMPDIR/ref-H" "$OUT"
	[ -d "$OUT" ] && [ ! -L "$OUT" ] && [ -L "$OUT/links/to-dir" ]
}

@test "-a copies a symlink given as the source operand as a symlink (no -H, -L)" {
	symtree "$BATS_TEST_TMPDIR/sym"
	ln -s sym "$BATS_TEST_TMPDIR/operand"
	touch -h -d '2021-02-03 04:05:06.789' "$BATS_TEST_TMPDIR/operand"
	copy_ok -a "$BATS_TEST_TMPDIR/operand" "$OUT"
	[ -L "$OUT" ]
	[ "$(readlink "$OUT")" = sym ]
	[ "$(stat -c %y "$OUT")" = "$(stat -c %y "$BATS_TEST_TMPDIR/operand")" ]
}

# kernel_tree: set KTREE to an extracted Linux source tree (cached by path
# across runs) and KREF to its cp -a copy (made once per file), or skip.
kernel_tree() {
	[ "${PCOPY_SKIP_SLOW:-0}" = 0 ] || skip "slow test: PCOPY_SKIP_SLOW is set"
	# One backend is enough to keep CI short; PCOPY_SLOW_BACKENDS widens it.
	case " ${PCOPY_SLOW_BACKENDS:-thread} " in
	*" ${PCOPY_BACKEND:-thread} "*) ;;
	*) skip "slow test runs for backends: ${PCOPY_SLOW_BACKENDS:-thread}" ;;
	esac
	local tarball=/usr/src/linux-source-6.1.tar.xz
	[ -f "$tarball" ] || skip "$tarball is absent (Debian package linux-source-6.1)"
	local cache=${PCOPY_KERNEL_TREE_DIR:-/tmp/pcopy-kernel-tree}
	local stamp
	stamp=$(stat -c '%s %Y' "$tarball")
	if [ "$(cat "$cache/.extracted" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$cache"
		mkdir -p "$cache.tmp"
		tar -C "$cache.tmp" -xf "$tarball"
		echo "$stamp" > "$cache.tmp/.extracted"
		mv "$cache.tmp" "$cache"
	fi
	KTREE=$cache/linux-source-6.1
	[ -d "$KTREE" ]
	KREF=$BATS_FILE_TMPDIR/kernel-ref
	if [ ! -d "$KREF" ]; then
		cp -a "$KTREE" "$KREF.tmp"
		mv "$KREF.tmp" "$KREF"
	fi
}

# The extracted tree's atimes move whenever it is read (tar set them before
# the ctime), so they are not compared here.
@test "slow: the Linux source tree copied with -a -j 1 matches cp -a" {
	kernel_tree
	copy_ok -a -j 1 "$KTREE" "$OUT"
	assert_same_tree --no-atime "$KREF" "$OUT"
}

@test "slow: the Linux source tree copied with -a -j 8 matches cp -a" {
	kernel_tree
	copy_ok -a -j 8 "$KTREE" "$OUT"
	assert_same_tree --no-atime "$KREF" "$OUT"
}
