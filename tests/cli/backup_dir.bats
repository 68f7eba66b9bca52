#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --backup-dir (issue 19): replaced and --delete'd entries moved into DIR,
# compared with rsync --backup --backup-dir on real trees; run once per
# backend. pcopy replaces every existing file (cp), rsync only those its
# quick check finds changed: the comparisons give pcopy -u (src newer) or
# rsync -I (every file).

bats_require_minimum_version 1.5.0

# status, output, stderr: set by bats run
# shellcheck disable=SC2154,SC2153
load ../lib/common

setup() {
	require_pcopy
	require_cmd rsync
	cd "$BATS_TEST_TMPDIR"
}

# listing DIR: path, type, mode, size, sha256 (files) or target (symlinks)
# of everything under DIR, sorted; not times (DIR's directories get theirs
# when entries move in).
listing() {
	"$PYTHON" - "$1" <<'EOF'
import hashlib, os, stat, sys
root = sys.argv[1]
out = []
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        p = os.path.join(d, n)
        st = os.lstat(p)
        rel = os.path.relpath(p, root)
        line = "%r %o %d" % (rel, st.st_mode, st.st_size if not stat.S_ISDIR(st.st_mode) else 0)
        if stat.S_ISREG(st.st_mode):
            line += " " + hashlib.sha256(open(p, "rb").read()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            line += " -> %r" % os.readlink(p)
        out.append(line)
print("\n".join(sorted(out)))
EOF
}

# same_listing REF OUT: the listings of REF and OUT are equal (diff shown).
same_listing() {
	diff <(listing "$1") <(listing "$2")
}

# fixture: src/ and dst/ (an older copy with changes): files to replace
# (older in dst), files and subtrees and symlinks and a FIFO to delete,
# nested paths, directories whose modes differ, an unchanged file.
fixture() {
	mkdir -p src/a/b/c src/keep dst/a/b/c dst/keep dst/gone/sub/deep dst/gone/empty
	echo new-f >src/a/b/c/f
	echo new-top >src/top
	echo same >src/keep/same
	echo old-f-longer >dst/a/b/c/f
	echo old-top >dst/top
	echo gone >dst/gone/sub/deep/g
	echo extra >"dst/a/b/extra file"
	ln -s ../top dst/a/link-gone
	mkfifo dst/a/fifo-gone
	touch -d '2020-01-01' dst/a/b/c/f dst/top
	cp -p src/keep/same dst/keep/same
	chmod 750 dst/gone/sub src/a/b
	chmod 700 dst/a/b
}

@test "--delete --backup-dir=../B: the dst and B trees rsync --delete --backup-dir gives" {
	fixture
	cp -a dst ref
	rsync -a --delete --backup --backup-dir=../refB src/ ref/
	run --separate-stderr pcopy -a -u --delete --backup-dir=../B -T src dst
	assert_status 0
	same_listing ref dst
	same_listing refB B
	[ "$(cat B/a/b/c/f)" = old-f-longer ] && [ "$(cat B/gone/sub/deep/g)" = gone ]
	[ -L B/a/link-gone ] && [ -p B/a/fifo-gone ] && [ ! -e B/keep ]
}

@test "--backup-dir: an absolute DIR, and replaced files without -u (rsync -I)" {
	fixture
	cp -a dst ref
	rsync -a -I --backup-dir="$PWD/refB" src/ ref/
	run --separate-stderr pcopy -a --backup-dir="$PWD/B" -T src dst
	assert_status 0
	same_listing ref dst
	same_listing refB B
	[ "$(cat B/keep/same)" = same ] && [ "$(cat B/top)" = old-top ]
}

@test "--backup-dir: a directory operand into DEST keeps its name under DIR (rsync src dst/)" {
	fixture
	mkdir -p into/src/a/b/c intoref/src/a/b/c
	cp -a dst/. into/src/
	cp -a dst/. intoref/src/
	rsync -a -I --backup-dir=../refB src intoref/
	run --separate-stderr pcopy -a --backup-dir=../B src into
	assert_status 0
	same_listing intoref into
	same_listing refB B
	[ "$(cat B/src/a/b/c/f)" = old-f-longer ]
}

@test "--backup-dir inside the destination: made there, never deleted by --delete nor copied into" {
	fixture
	cp -a dst ref
	rsync -a --delete --backup --backup-dir=old src/ ref/
	run --separate-stderr pcopy -a -u --delete --backup-dir=old -T src dst
	assert_status 0
	same_listing ref dst # the first run: as rsync
	# A second run: rsync would back old/ up into old/old/ and say "cannot
	# delete non-empty directory"; pcopy leaves DIR alone.
	listing dst/old >before
	echo newer >src/top
	touch -d '2030-01-01' src/top
	run --separate-stderr pcopy -a -u --delete --backup-dir=old -T src dst
	assert_status 0
	[ ! -e dst/old/old ] && [ "$(cat dst/old/top)" = new-top ]
	diff <(grep -v "^'top'" before) <(listing dst/old | grep -v "^'top'")
	# A source entry at DIR's path is not copied into it: an error.
	mkdir -p src/old
	echo intruder >src/old/x
	run --separate-stderr pcopy -a -u --delete --backup-dir=old -T src dst
	assert_status 1
	assert_contains "$stderr" "cannot copy into the backup directory 'dst/old'"
	[ ! -e dst/old/x ] && [ -e dst/old/top ]
}

@test "--backup-dir: a symlink planted in the backup path is removed, never followed (as rsync)" {
	fixture
	mkdir -p outside B/a refB/a
	echo precious >outside/b
	ln -s "$PWD/outside" B/a/b
	ln -s "$PWD/outside" refB/a/b
	ln -s "$PWD/outside" B/keep
	ln -s "$PWD/outside" refB/keep
	cp -a dst ref
	rsync -a -I --backup-dir=../refB src/ ref/
	run --separate-stderr pcopy -a --backup-dir=../B -T src dst
	assert_status 0
	same_listing refB B
	[ -d B/a/b ] && [ ! -L B/a/b ] && [ "$(cat B/a/b/c/f)" = old-f-longer ]
	[ "$(ls outside)" = b ] && [ "$(cat outside/b)" = precious ]
}

@test "--backup-dir: a file or directory in the way in DIR is replaced (as rsync)" {
	fixture
	mkdir -p B/a/b/c/f/older refB/a/b/c/f/older
	echo blocker >B/top-blocker
	echo blocker >refB/top-blocker
	echo blocker >B/keep
	echo blocker >refB/keep
	cp -a dst ref
	rsync -a -I --backup-dir=../refB src/ ref/
	run --separate-stderr pcopy -a --backup-dir=../B -T src dst
	assert_status 0
	same_listing refB B
	[ "$(cat B/a/b/c/f)" = old-f-longer ] && [ "$(cat B/keep/same)" = same ]
}

@test "--backup-dir with -S: the suffix applies inside DIR (rsync --suffix)" {
	fixture
	cp -a dst ref
	rsync -a --delete --backup --backup-dir=../refB --suffix=.bak src/ ref/
	run --separate-stderr pcopy -a -u --delete --backup-dir=../B -S .bak -T src dst
	assert_status 0
	same_listing ref dst
	same_listing refB B
	[ "$(cat B/top.bak)" = old-top ] && [ ! -e B/top ]
}

@test "--backup-dir --backup=numbered: numbered against what DIR holds" {
	mkdir src dst
	echo 1 >dst/f
	echo beside >dst/f.~7~
	echo 2 >src/f
	run --separate-stderr pcopy -a --backup=numbered --backup-dir=../B -T src dst
	assert_status 0
	[ "$(cat B/f.~1~)" = 1 ] && [ ! -e B/f ]
	echo 3 >src/f
	run --separate-stderr pcopy -a --backup=numbered --backup-dir=../B -T src dst
	assert_status 0
	[ "$(cat B/f.~1~)" = 1 ] && [ "$(cat B/f.~2~)" = 2 ] && [ "$(cat dst/f)" = 3 ]
	[ "$(cat dst/f.~7~)" = beside ]
}

@test "--backup-dir -v names the backup" {
	mkdir src dst
	echo new >src/f
	echo old >dst/f
	run --separate-stderr pcopy -v --backup-dir=../B -T src dst
	assert_status 0
	assert_contains "$output" "'src/f' -> 'dst/f' (backup: 'dst/../B/f')"
}

@test "--backup-dir --dry-run writes nothing" {
	skip_mpi "--dry-run is not supported with -B mpi"
	fixture
	cp -a dst ref
	run --separate-stderr pcopy -a --delete --dry-run --backup-dir=../B -T src dst
	assert_status 0
	[ ! -e B ]
	same_listing ref dst
}

@test "--backup-dir that cannot be made: a clear error, exit 1, nothing replaced or deleted" {
	fixture
	echo file >blocker
	cp -a dst ref
	run --separate-stderr pcopy -a -u --delete --backup-dir="$PWD/blocker/B" -T src dst
	assert_status 1
	assert_contains "$stderr" "cannot make the backup directory '$PWD/blocker/B': Not a directory"
	assert_contains "$stderr" "cannot backup 'dst/top'"
	[ "$(cat dst/top)" = old-top ] && [ "$(cat dst/a/b/c/f)" = old-f-longer ]
	[ "$(cat dst/gone/sub/deep/g)" = gone ] && [ -L dst/a/link-gone ]
}

@test "--backup-dir on another file system (EXDEV): copied then unlinked, as rsync" {
	local other=/dev/shm
	[ -d "$other" ] && [ -w "$other" ] || skip "needs a writable /dev/shm"
	[ "$(stat -c %d "$other")" != "$(stat -c %d .)" ] || skip "/dev/shm is this file system"
	local B refB
	B=$(mktemp -d "$other/pcopy-bdir.XXXXXX")
	refB=$(mktemp -d "$other/pcopy-bdir.XXXXXX")
	fixture
	cp -a dst ref
	rsync -a --delete --backup --backup-dir="$refB" src/ ref/
	run --separate-stderr pcopy -a -u --delete --backup-dir="$B" -T src dst
	local ok=0
	[ "$status" -eq 0 ] && same_listing ref dst && same_listing "$refB" "$B" &&
		[ "$(stat -c %Y "$B/top")" = "$(stat -c %Y "$refB/top")" ] || ok=1
	rm -rf "$B" "$refB"
	[ "$ok" -eq 0 ]
}

@test "--backup-dir: usage (empty DIR; implies --backup, so not with -n)" {
	run --separate-stderr "$PCOPY" --backup-dir= a b
	assert_status 2
	assert_contains "$stderr" "invalid argument '' for '--backup-dir'"
	run --separate-stderr "$PCOPY" -n --backup-dir=B a b
	assert_status 1 # cp's status for this one
	assert_contains "$stderr" "options --backup and --no-clobber are mutually exclusive"
}

@test "--backup-dir: a backup that would overwrite its own source is refused (as cp's)" {
	mkdir src dst
	echo source >src/f
	echo old >dst/f
	run --separate-stderr pcopy -a --backup-dir="$PWD/src" -T src dst
	assert_status 1
	assert_contains "$stderr" "backing up 'dst/f' might destroy source;  'src/f' not copied"
	[ "$(cat src/f)" = source ] && [ "$(cat dst/f)" = old ]
}
