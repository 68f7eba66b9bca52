#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# rsync's backup options (issue 19): --delete, --delete-excluded and
# --link-dest, compared with rsync on real trees; run once per backend.

bats_require_minimum_version 1.5.0

# status, output, stderr: set by bats run; MKTREE etc.: by lib/common.bash
# shellcheck disable=SC2154,SC2153
load ../lib/common

setup_file() {
	require_pcopy
	export TREE=$BATS_FILE_TMPDIR/tree
	"$MKTREE" "$TREE" 3>&- 2>/dev/null
	# rsync stops at PATH_MAX ("File name too long"), which is an I/O error
	# that turns its --delete off: the comparison leaves the long path out.
	rm -rf "$TREE/longpath"
}

setup() {
	require_pcopy
	cd "$BATS_TEST_TMPDIR"
	"$MKTREE" --retime "$TREE"
}

# extras DIR: put into the copy DIR entries its source does not have, of
# every kind (a file, a symlink to a directory outside, a FIFO, a subtree
# with hard links, xattrs and odd names), and change or remove some it has.
extras() {
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	echo keep >"$BATS_TEST_TMPDIR/outside/precious"
	echo extra >"$1/regular/extra file"
	ln -s "$BATS_TEST_TMPDIR/outside" "$1/links/to-outside"
	mkfifo "$1/special/extra-fifo"
	mkdir -p "$1/gone/deep/er" "$1/gone/$(printf 'new\nline')"
	echo g >"$1/gone/deep/er/g"
	ln "$1/gone/deep/er/g" "$1/gone/g-link"
	ln -s "$BATS_TEST_TMPDIR/outside" "$1/gone/deep/out"
	setfattr -n user.k -v v "$1/gone/deep" 2>/dev/null || true
	echo changed >"$1/regular/1B"
	rm -f "$1/names/"*space*
}

@test "--delete: the tree rsync -aHAXS --delete gives (files, symlinks, FIFOs, subtrees, odd names)" {
	require_cmd rsync
	cp -a "$TREE" base
	extras base
	cp -a base ref
	cp -a base out
	rsync -aHAXSU --delete "$TREE/" ref/
	run --separate-stderr pcopy -a --delete -T "$TREE" out
	assert_status 0
	assert_same_tree --no-atime ref out # rsync -U keeps atimes to the second only
	[ "$(cat outside/precious)" = keep ]
	[ ! -e out/gone ] && [ ! -e out/regular/"extra file" ]
}

@test "--delete never follows a symlink in the destination, and never leaves DEST" {
	mkdir -p src/sub outside/inner dst
	echo s >src/sub/s
	echo o >outside/inner/o
	ln -s ../outside dst/sub2
	ln -s "$PWD/outside/inner" dst/elsewhere
	mkdir dst/sub
	ln -s "$PWD/outside" dst/sub/loop
	run --separate-stderr pcopy -a --delete -T src dst
	assert_status 0
	[ -f outside/inner/o ] && [ -d outside/inner ]
	[ ! -e dst/sub2 ] && [ ! -L dst/sub2 ] && [ ! -L dst/elsewhere ] && [ ! -L dst/sub/loop ]
	[ "$(cat dst/sub/s)" = s ]
}

@test "--delete keeps excluded names, --delete-excluded removes them (as rsync)" {
	require_cmd rsync
	mkdir -p src/a dst/a dst/gone/deep
	echo 1 >src/a/f
	echo 2 >src/a/x.o
	echo o >dst/top.o
	echo o >dst/a/x.o
	echo z >dst/gone/deep/z
	echo o >dst/gone/keep.o
	cp -a dst ref
	cp -a dst ref2
	cp -a dst dst2
	rsync -a --delete --exclude='*.o' src/ ref/ 2>/dev/null || true
	run --separate-stderr pcopy -a --delete --exclude='*.o' -T src dst
	assert_status 0
	assert_contains "$stderr" "pcopy: dst/gone: cannot delete non-empty directory"
	diff <(cd ref && find . | sort) <(cd dst && find . | sort)
	rsync -a --delete-excluded --exclude='*.o' src/ ref2/
	run --separate-stderr pcopy -a --delete-excluded --exclude='*.o' -T src dst2
	assert_status 0
	diff <(cd ref2 && find . | sort) <(cd dst2 && find . | sort)
}

@test "--delete: -v and --dry-run print 'deleting PATH'; the summary counts deleted" {
	skip_mpi "--dry-run is not supported with -B mpi"
	mkdir -p src dst/old/sub
	echo a >src/a
	echo x >dst/x
	echo y >dst/old/sub/y
	run --separate-stderr pcopy -a --delete --dry-run -T src dst
	assert_status 0
	assert_contains "$output" "deleting dst/x"
	assert_contains "$output" "deleting dst/old/sub/y"
	assert_contains "$output" "deleting dst/old/sub/"
	assert_contains "$output" "deleting dst/old/"
	[ -e dst/x ] && [ -e dst/old/sub/y ] && [ ! -e dst/a ]
	run --separate-stderr pcopy -a --delete -v --summary=json -T src dst
	assert_status 0
	assert_contains "$output" "deleting dst/old/sub/y"
	[ "$(summary_field "${lines[-1]}" deleted)" -eq 4 ]
	[ ! -e dst/x ] && [ ! -e dst/old ] && [ -e dst/a ]
	echo z >dst/z
	run --separate-stderr pcopy -a -u --delete --summary -T src dst
	assert_status 0
	assert_contains "$stderr" "deleted:      1"
	[ ! -e dst/z ]
	[ -z "$output" ]
}

@test "--delete is skipped after an error reading the source" {
	require_root
	require_cmd setpriv
	local world
	world=$(mktemp -d /tmp/pcopy-mirror.XXXXXX)
	chmod 0755 "$world"
	cp "$PCOPY" "$world/pcopy"
	mkdir -p "$world/src/locked" "$world/src/open" "$world/dst/open"
	echo ok >"$world/src/open/ok"
	echo stale >"$world/dst/open/stale"
	echo stale >"$world/dst/stale"
	chmod 000 "$world/src/locked"
	chown -R 65534:65534 "$world/dst"
	run --separate-stderr bash -c "cd '$world' && setpriv --reuid=65534 --regid=65534 \
		--clear-groups -- ./pcopy -B '$PCOPY_BACKEND' -a --delete -T src dst"
	assert_status 1
	assert_contains "$stderr" "pcopy: src/locked: Permission denied"
	assert_contains "$stderr" "IO error encountered -- skipping file deletion"
	[ -e "$world/dst/stale" ]
	rm -rf "$world"
}

# pair NAME SRC_DATA DST_DATA SRC_TIME DST_TIME: src/NAME and dst/NAME
# with these contents and mtimes (touch -d strings).
pair() {
	printf '%s' "$2" >"src/$1"
	printf '%s' "$3" >"dst/$1"
	touch -d "$4" "src/$1"
	touch -d "$5" "dst/$1"
}

@test "-c, --size-only, --modify-window: what -u takes as unchanged" {
	mkdir src dst
	local old='2020-01-01 00:00:00' new='2021-01-01 00:00:00'
	pair same-content-older-dst abc abc "$new" "$old"  # -u copies, -c skips
	pair other-content-same-time abc abd "$new" "$new" # -u skips, -c copies
	pair other-size-newer-dst abc abcd "$old" "$new"   # -u skips (newer), as -u -c
	pair one-second-older-dst abc abc '2021-01-01 00:00:01' "$new" # window
	cp -a dst base
	run --separate-stderr pcopy -a -u --summary=json -T src dst
	assert_status 0
	[ "$(cat dst/same-content-older-dst)" = abc ] && [ "$(stat -c %Y dst/same-content-older-dst)" = "$(stat -c %Y src/same-content-older-dst)" ]
	[ "$(cat dst/other-content-same-time)" = abd ]
	[ "$(summary_field "$output" skipped unchanged)" -eq 2 ]

	rm -rf dst && cp -a base dst
	run --separate-stderr pcopy -a -c --summary=json -T src dst
	assert_status 0
	[ "$(stat -c %Y dst/same-content-older-dst)" = "$(stat -c %Y base/same-content-older-dst)" ]
	[ "$(cat dst/other-content-same-time)" = abc ]
	[ "$(cat dst/other-size-newer-dst)" = abc ] # no -u: size differs, copied
	[ "$(summary_field "$output" skipped unchanged)" -eq 2 ]
	rm -rf dst && cp -a base dst
	run --separate-stderr pcopy -a -u -c --summary=json -T src dst
	assert_status 0
	[ "$(cat dst/other-size-newer-dst)" = abcd ] # -u: newer destination kept
	[ "$(cat dst/other-content-same-time)" = abc ]

	rm -rf dst && cp -a base dst
	run --separate-stderr pcopy -a --size-only --summary=json -T src dst
	assert_status 0
	[ "$(cat dst/other-content-same-time)" = abd ] # same size: skipped
	[ "$(cat dst/other-size-newer-dst)" = abc ]
	[ "$(summary_field "$output" skipped unchanged)" -eq 3 ]

	rm -rf dst && cp -a base dst
	run --separate-stderr pcopy -a -u --modify-window=2 --summary=json -T src dst
	assert_status 0
	[ "$(stat -c %Y dst/one-second-older-dst)" = "$(stat -c %Y base/one-second-older-dst)" ]
	[ "$(summary_field "$output" skipped unchanged)" -eq 3 ]
	run --separate-stderr pcopy -a -u --summary=json -T src dst
	[ "$(stat -c %Y dst/one-second-older-dst)" = "$(stat -c %Y src/one-second-older-dst)" ]
	run --separate-stderr pcopy --modify-window=86401 src dst
	assert_status 2
}

# shared_with_prev ROOT: for each regular file of ROOT/new, its path, its
# link count and whether it is ROOT/prev's file of the same path (one inode).
shared_with_prev() {
	"$PYTHON" - "$1" <<'PY'
import os, stat, sys
root = os.fsencode(sys.argv[1])
new = os.path.join(root, b"new")
for top, dirs, files in os.walk(new):
	dirs.sort()
	for f in sorted(files):
		p = os.path.join(top, f)
		st = os.lstat(p)
		if not stat.S_ISREG(st.st_mode):
			continue
		rel = os.path.relpath(p, new)
		try:
			shared = os.lstat(os.path.join(root, b"prev", rel)).st_ino == st.st_ino
		except OSError:
			shared = False
		print(repr(rel), st.st_nlink, shared)
PY
}

@test "--link-dest: the inode sharing rsync -aHAXS --link-dest gives (a snapshot of a changed tree)" {
	require_cmd rsync
	cp -a "$TREE" src
	mkdir r p
	cp -a src r/prev
	cp -a src p/prev
	# Changed since the previous snapshot: data, mtime only, mode, owner.
	echo changed >src/regular/one-byte
	touch -d '2001-01-01 00:00:00.5' src/regular/4096
	chmod 0600 src/regular/4095
	chown 4321 src/regular/4097 2>/dev/null || true
	echo new >src/regular/new-file
	# rsync 3.5 leaves a directory modified in this very second with the
	# time it wrote into it (not the source's): give it an older one.
	touch -d '2002-02-02 02:02:02.5' src/regular
	rsync -aHAXS --link-dest=../prev src/ r/new
	run --separate-stderr pcopy -a --link-dest=../prev --summary=json -T src p/new
	assert_status 0
	diff <(shared_with_prev r) <(shared_with_prev p)
	assert_same_tree --no-atime r/new p/new
	shared_with_prev p | grep -q "'regular/1MiB' 2 True"
	shared_with_prev p | grep -q "'regular/one-byte' 1 False"
	shared_with_prev p | grep -q "'regular/4095' 1 False"
	[ "$(summary_field "$output" linked)" -gt 10 ]
}

@test "--link-dest: DIRs tried in order, relative to the destination; a missing DIR is a warning" {
	mkdir -p src snaps/one snaps/two
	echo a >src/a
	echo b >src/b
	touch -d '2020-01-01' src/a src/b
	pcopy -a src/a snaps/two/
	pcopy -a src/b snaps/one/
	run --separate-stderr pcopy -a --link-dest=../nope --link-dest=../one --link-dest="$PWD/snaps/two" \
		--summary=json -T src snaps/three
	assert_status 0
	assert_contains "$stderr" "--link-dest arg does not exist"
	[ "$(stat -c %i snaps/three/a)" = "$(stat -c %i snaps/two/a)" ]
	[ "$(stat -c %i snaps/three/b)" = "$(stat -c %i snaps/one/b)" ]
	[ "$(summary_field "${lines[-1]}" linked)" -eq 2 ]
	# Into a directory (no -T): DIR is relative to DEST, the path below
	# it starts with the operand's name (rsync's "src into/").
	mkdir old into
	pcopy -a src old/
	pcopy -a --link-dest=../old src into/
	[ "$(stat -c %i into/src/a)" = "$(stat -c %i old/src/a)" ]
}

@test "--link-dest: more than 20 is a usage error" {
	local args=() i
	for i in $(seq 21); do args+=(--link-dest=d$i); done
	run --separate-stderr pcopy "${args[@]}" a b
	assert_status 2
	assert_contains "$stderr" "at most 20 --link-dest"
}

# rules_tree: a small source tree for the selection options, with old times
# (rsync 3.5 mistimes directories written in the current second).
rules_tree() {
	mkdir -p src/sub/deep src/other src/keepdir
	local f
	for f in a.c a.o keep.o sub/b.c sub/b.o sub/keep.o sub/deep/c.c other/x \
		keepdir/y.o "odd name.c"; do
		echo "$f" >"src/$f"
	done
	find src -exec touch -h -d '2020-01-01 00:00:00.5' {} +
}

# same_as_rsync RSYNC_ARGS -- PCOPY_ARGS: rsync -a RSYNC_ARGS src/ ref/ and
# pcopy -a PCOPY_ARGS -T src out give the same tree.
same_as_rsync() {
	local rargs=()
	while [ "$1" != -- ]; do
		rargs+=("$1")
		shift
	done
	shift
	rm -rf ref out
	rsync -a "${rargs[@]}" src/ ref/
	pcopy -a "$@" -T src out
	assert_same_tree --no-atime ref out
}

@test "--include and --exclude: the first match wins, as in rsync" {
	require_cmd rsync
	rules_tree
	same_as_rsync --include=keep.o --exclude='*.o' --exclude=other/ -- \
		--include=keep.o --exclude='*.o' --exclude=other/
	[ -e out/sub/keep.o ] && [ ! -e out/sub/b.o ] && [ ! -e out/other ]
	same_as_rsync --exclude='*.o' --include=keep.o -- --exclude='*.o' --include=keep.o
	[ ! -e out/keep.o ]
	# Only the C files, in every directory.
	same_as_rsync --include='*/' --include='*.c' --exclude='*' -- \
		--include='*/' --include='*.c' --exclude='*'
	[ -e out/sub/deep/c.c ] && [ ! -e out/other/x ] && [ -d out/other ]
}

@test "--exclude-from and --include-from read patterns from files (-0: NUL-separated)" {
	require_cmd rsync
	rules_tree
	printf '# comment\n\n; other comment\n*.o\nother/\n' >ex
	printf 'keep.o\n' >in
	same_as_rsync --include-from=in --exclude-from=ex -- --include-from=in --exclude-from=ex
	[ -e out/keep.o ] && [ ! -e out/a.o ] && [ ! -e out/other ]
	printf '*.o\0other/\0' >ex0
	printf 'keep.o\0' >in0
	same_as_rsync -0 --include-from=in0 --exclude-from=ex0 -- --include-from=in0 -0 \
		--exclude-from=ex0
	run --separate-stderr pcopy --exclude-from=no-such-file src dst
	assert_status 2
	assert_contains "$stderr" "no-such-file: No such file or directory"
}

@test "--files-from copies the listed paths and the directories leading to them (rsync -r)" {
	require_cmd rsync
	rules_tree
	printf 'sub/deep/c.c\n./a.c\nother\nodd name.c\n' >list
	same_as_rsync -r --files-from=list -- --files-from=list
	[ -e out/sub/deep/c.c ] && [ ! -e out/sub/b.c ] && [ -e out/other/x ] && [ ! -e out/keepdir ]
	printf './sub/b.o\0keepdir\0' >list0 # ./: rsync then sets the top's time
	same_as_rsync -r -0 --files-from=list0 -- --from0 --files-from=list0
	[ -e out/keepdir/y.o ] && [ ! -e out/a.c ]
	# With --exclude too. (Not one that leaves a directory on the way to a
	# listed path empty: pcopy creates it, rsync leaves it out.)
	same_as_rsync -r --files-from=list --exclude=x -- --files-from=list --exclude=x
	[ -d out/other ] && [ ! -e out/other/x ]
}

@test "--bwlimit: one rate for all workers together (4 MiB at 1M/s take 3 s)" {
	mkdir src
	local i
	for i in 1 2 3 4; do head -c 1M /dev/urandom >"src/f$i"; done
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr pcopy -a -j 4 --bwlimit=1M src dst
	t1=$(date +%s%N)
	assert_status 0
	same_data src dst/src
	# The first MiB goes at once, each next one waits a second: >= 3 s
	# (a lower bound only: a loaded machine is slower, never faster).
	[ $(((t1 - t0) / 1000000)) -ge 2900 ] || { echo "took $(((t1 - t0) / 1000000)) ms"; false; }
	# A bare number is in KiB (rsync's unit); a bad rate is a usage error.
	t0=$(date +%s%N)
	pcopy -a --bwlimit=2048 src dst2
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -ge 1400 ]
	run --separate-stderr pcopy --bwlimit=fast src dst3
	assert_status 2
}

@test "--itemize-changes: rsync's YXcstpoguax lines (rsync -aiu --delete gives the same)" {
	require_cmd rsync
	mkdir -p src/sub src/new dst/sub dst/gone
	echo a >src/a
	echo bb >src/sub/b
	echo c >src/sub/c
	ln -s a src/lnk
	mkfifo src/fifo
	echo n >src/new/n
	find src -exec touch -h -d '2020-01-01' {} +
	echo a >dst/a
	echo b >dst/sub/b
	echo c >dst/sub/c
	echo x >dst/gone/x
	echo y >dst/y
	touch -d '2020-01-01' dst/a dst/sub/c
	touch -d '2019-01-01' dst/sub/b
	cp -a dst ref
	rsync -aiu --delete src/ ref/ | sort >rsync.txt
	run --separate-stderr pcopy -a -u --itemize-changes --delete -T src dst
	assert_status 0
	sed 's| dst/$| ./|; s| dst/| |' <<<"$output" | sort >pcopy.txt
	diff rsync.txt pcopy.txt
	assert_contains "$output" ">f.st...... dst/sub/b"
	assert_contains "$output" "*deleting   dst/gone/"
	# A hard link inside the copy; --itemize is the short name.
	ln src/a src/a2
	run --separate-stderr pcopy -a --itemize -T src dst3
	assert_status 0
	[[ "$output" == *"hf+++++++++ dst3/a => dst3/a2"* || "$output" == *"hf+++++++++ dst3/a2 => dst3/a"* ]]
	assert_contains "$output" "cd+++++++++ dst3/"
}
