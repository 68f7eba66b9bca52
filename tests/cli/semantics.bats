#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# cp's operand rules and the destination rules of SPEC sections 2, 6 and 8:
# where a copy lands, what replaces what, what is refused, -t/-T, -n, -u,
# -v, and that the destination tree is never followed through.

# status, output, stderr: set by bats run; MKTREE etc.: by lib/common.bash
# shellcheck disable=SC2154,SC2153
load ../lib/common

setup() {
	require_pcopy
	# a directory of our own: bats keeps files in BATS_TEST_TMPDIR
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w" || return
	mkdir -p src/sub
	echo "file content" > src/file
	echo inner > src/sub/inner
	echo one > f1
	echo two > f2
}

# tree_state DIR: every entry under DIR with type, size, inode and mtime.
tree_state() {
	find "$1" -printf '%p %y %s %i %T@\n' | sort
}

@test "a directory onto a missing destination becomes the destination" {
	run pcopy src dst
	assert_status 0
	cmp src/file dst/file
	cmp src/sub/inner dst/sub/inner
	[ ! -e dst/src ]
}

@test "a directory onto an existing directory lands in DEST/basename(SRC)" {
	mkdir dst
	run pcopy src dst
	assert_status 0
	[ "$(ls -A dst)" = src ]
	cmp src/file dst/src/file
	cmp src/sub/inner dst/src/sub/inner
}

@test "a file onto a missing name creates that file" {
	run pcopy f1 g
	assert_status 0
	cmp f1 g
}

@test "a file onto an existing file replaces it by a new inode, never writing into the old one" {
	echo "old content" > g
	ln g g.keep
	local ino
	ino=$(stat -c %i g)
	run pcopy f1 g
	assert_status 0
	cmp f1 g
	[ "$(stat -c %i g)" != "$ino" ]
	[ "$(cat g.keep)" = "old content" ]
}

@test "a file into an existing directory lands as DIR/basename(FILE)" {
	mkdir dst
	run pcopy f1 dst
	assert_status 0
	cmp f1 dst/f1
	[ "$(ls -A dst)" = f1 ]
}

@test "several sources are copied into the destination directory" {
	mkdir dst
	run pcopy f1 f2 src dst
	assert_status 0
	cmp f1 dst/f1
	cmp f2 dst/f2
	cmp src/sub/inner dst/src/sub/inner
	[ "$(ls -A dst | tr '\n' ' ')" = "f1 f2 src " ]
}

@test "-t DIR copies every source into DIR" {
	mkdir dst
	run pcopy -t dst f1 src
	assert_status 0
	cmp f1 dst/f1
	cmp src/file dst/src/file
	run pcopy --target-directory=dst f2
	assert_status 0
	cmp f2 dst/f2
}

@test "-T merges a directory into an existing directory" {
	mkdir dst
	echo keep > dst/keep
	run pcopy -T src dst
	assert_status 0
	cmp src/file dst/file
	cmp src/sub/inner dst/sub/inner
	[ "$(cat dst/keep)" = keep ]
	[ ! -e dst/src ]
}

@test "-T refuses to overwrite an existing directory with a file" {
	mkdir dst
	run --separate-stderr pcopy -T f1 dst
	assert_status 1
	[[ "$stderr" == "pcopy: "*dst* ]] || { echo "stderr: $stderr"; false; }
	[ -d dst ] && [ -z "$(ls -A dst)" ]
}

@test "a directory onto an existing file is refused and the file kept" {
	run --separate-stderr pcopy src f2
	assert_status 1
	[[ "$stderr" == "pcopy: "*f2* ]] || { echo "stderr: $stderr"; false; }
	[ "$(cat f2)" = two ]
}

@test "a directory source with a trailing slash is copied as the directory itself" {
	run pcopy src/ dst
	assert_status 0
	cmp src/file dst/file
	[ ! -e dst/src ]
	mkdir dst2
	run pcopy src/ dst2
	assert_status 0
	cmp src/file dst2/src/file
}

@test "a missing destination with a trailing slash is created as the copy" {
	run pcopy src dst/
	assert_status 0
	cmp src/file dst/file
	[ ! -e dst/src ]
}

@test "a file source with a trailing slash is an error: Not a directory" {
	run --separate-stderr pcopy f1/ g
	assert_status 1
	[ "$stderr" = "pcopy: f1/: Not a directory" ] || { echo "stderr: $stderr"; false; }
	[ ! -e g ]
}

@test "a file onto a missing name with a trailing slash is an error and creates nothing" {
	run --separate-stderr pcopy f1 g/
	assert_status 1
	[[ "$stderr" == "pcopy: "*"g/"*": Not a directory"* ||
		"$stderr" == "pcopy: "*"g/"*": Is a directory"* ]] || { echo "stderr: $stderr"; false; }
	[ ! -e g ]
}

@test "copying a directory into itself is refused with exit 1 and creates nothing inside" {
	local before
	before=$(tree_state src)
	run --separate-stderr pcopy src src/sub
	assert_status 1
	assert_contains "$stderr" "into itself"
	[[ "$stderr" == "pcopy: "* ]]
	[ "$(tree_state src)" = "$before" ]
}

@test "copying a directory into its own existing self (pcopy dir dir) is refused" {
	local before
	before=$(tree_state src)
	run --separate-stderr pcopy src src
	assert_status 1
	assert_contains "$stderr" "into itself"
	[ "$(tree_state src)" = "$before" ]
}

@test "copying a file onto itself is an error and leaves it intact" {
	local before
	before=$(tree_state .)
	run --separate-stderr pcopy f1 f1
	assert_status 1
	assert_contains "$stderr" "same file"
	[ "$(cat f1)" = one ]
	[ "$(tree_state .)" = "$before" ]
	run --separate-stderr pcopy f1 ./f1
	assert_status 1
	[ "$(cat f1)" = one ]
}

@test "copying a file onto a hard link of itself is a same-file error" {
	ln f1 h
	local ino
	ino=$(stat -c %i f1)
	run --separate-stderr pcopy f1 h
	assert_status 1
	assert_contains "$stderr" "same file"
	[ "$(stat -c %i h)" = "$ino" ] && [ "$(stat -c %h f1)" = 2 ]
	[ "$(cat f1)" = one ]
}

@test "-n leaves existing files untouched, copies the missing ones and exits 0" {
	mkdir -p dst/src
	echo old > dst/f1
	echo "old file" > dst/src/file
	local before1 before2
	before1=$(stat -c '%i %s %y %z' dst/f1)
	before2=$(stat -c '%i %s %y %z' dst/src/file)
	run --separate-stderr pcopy -n f1 f2 src dst
	assert_status 0
	[ -z "$stderr" ]
	[ "$(cat dst/f1)" = old ] && [ "$(stat -c '%i %s %y %z' dst/f1)" = "$before1" ]
	[ "$(cat dst/src/file)" = "old file" ]
	[ "$(stat -c '%i %s %y %z' dst/src/file)" = "$before2" ]
	cmp f2 dst/f2
	cmp src/sub/inner dst/src/sub/inner
}

@test "-u copies missing, newer and same-mtime different-size files; keeps unchanged and newer ones" {
	echo same > src/a
	echo "old b" > src/b
	echo "old c" > src/c
	echo "old d" > src/d
	echo e > src/e
	mkdir dst
	cp -a src dst/src
	# b: the source is newer
	echo "new b" > src/b
	touch -d '2030-01-01 00:00:00' src/b
	# c: same mtime, different size
	echo "new c, longer" > src/c
	touch -r dst/src/c src/c
	# d: the destination is newer: kept
	echo "dest d" > dst/src/d
	touch -d '2031-01-01 00:00:00' dst/src/d
	# e: missing in the destination
	rm dst/src/e
	local a_before inner_before
	a_before=$(stat -c '%i %z %y' dst/src/a)
	inner_before=$(stat -c '%i %z %y' dst/src/sub/inner)
	run --separate-stderr pcopy -a -u src dst
	assert_status 0
	[ "$(cat dst/src/b)" = "new b" ]
	[ "$(cat dst/src/c)" = "new c, longer" ]
	[ "$(cat dst/src/d)" = "dest d" ]
	[ "$(cat dst/src/e)" = e ]
	# unchanged files are not rewritten: same inode and ctime
	[ "$(stat -c '%i %z %y' dst/src/a)" = "$a_before" ]
	[ "$(stat -c '%i %z %y' dst/src/sub/inner)" = "$inner_before" ]
}

@test "-r, -R and --recursive are accepted" {
	run pcopy -r src d1
	assert_status 0
	run pcopy -R src d2
	assert_status 0
	run pcopy --recursive src d3
	assert_status 0
	cmp src/sub/inner d1/sub/inner
	cmp src/sub/inner d2/sub/inner
	cmp src/sub/inner d3/sub/inner
}

@test "-v prints one 'SRC' -> 'DST' line per entry on stdout, quoted as cp -v quotes" {
	echo q > "src/it's here"
	echo n > "src/with space"
	local expected
	expected=$(cp -rv src dst | sort)
	rm -rf dst
	run --separate-stderr pcopy -v src dst
	assert_status 0
	[ -z "$stderr" ] || { echo "stderr: $stderr"; false; }
	diff <(echo "$expected") <(sort <<<"$output")
}

@test "-v on a single file prints exactly its line" {
	run --separate-stderr pcopy -v f1 g
	assert_status 0
	[ "$output" = "'f1' -> 'g'" ] || { echo "stdout: $output"; false; }
	[ -z "$stderr" ]
}

@test "a plain successful copy to a non-terminal prints nothing" {
	run --separate-stderr pcopy src dst
	assert_status 0
	[ -z "$output" ] || { echo "stdout: $output"; false; }
	[ -z "$stderr" ] || { echo "stderr: $stderr"; false; }
}

@test "a DEST operand that is a symlink to a directory is followed" {
	mkdir real
	ln -s real link
	run pcopy f1 link
	assert_status 0
	run pcopy src link
	assert_status 0
	[ -L link ]
	cmp f1 real/f1
	cmp src/file real/src/file
}

@test "inside DEST a symlink where the source has a file is replaced by the file, nothing written through it" {
	echo precious > outside
	mkdir -p dst/src/sub
	ln -s "$PWD/outside" dst/src/file
	ln -s ../../../made-outside dst/src/sub/inner
	run --separate-stderr pcopy src dst
	assert_status 0
	[ ! -L dst/src/file ] && cmp src/file dst/src/file
	[ ! -L dst/src/sub/inner ] && cmp src/sub/inner dst/src/sub/inner
	[ "$(cat outside)" = precious ]
	[ ! -e made-outside ]
}

@test "inside DEST a symlink where the source has a directory is an error naming it, nothing created outside" {
	mkdir outside-dir
	mkdir -p dst/src
	ln -s "$PWD/outside-dir" dst/src/sub
	run --separate-stderr pcopy src dst
	assert_status 1
	assert_contains "$stderr" "dst/src/sub"
	[[ "$stderr" == "pcopy: "* ]]
	[ -z "$(ls -A outside-dir)" ]
	[ -L dst/src/sub ]
	cmp src/file dst/src/file
}

# same-file.sh of GNU coreutils: copied over its target, a symlink would
# point at itself and the file's data would be gone.
@test "a symlink onto the file it points to is 'the same file', as cp -d says; the file stays" {
	for opts in "" "-f" "--remove-destination" "-u"; do
		rm -rf t g
		for d in t g; do
			mkdir $d
			echo data >$d/foo
			ln -s foo $d/sl
		done
		# shellcheck disable=SC2086
		cp_status=0
		(cd g && cp -d $opts sl foo 2>../cp.err) || cp_status=$?
		# shellcheck disable=SC2086
		pcopy_status=0
		(cd t && pcopy $opts sl foo 2>../pcopy.err) || pcopy_status=$?
		[ "$pcopy_status" = "$cp_status" ] || { echo "opts '$opts': pcopy $pcopy_status, cp $cp_status"; return 1; }
		[ "$(sed 's/^pcopy:/cp:/' pcopy.err)" = "$(cat cp.err)" ] || { echo "opts '$opts'"; cat pcopy.err cp.err; return 1; }
		[ -f t/foo ] && [ ! -L t/foo ] && [ "$(cat t/foo)" = data ] || { echo "opts '$opts': foo lost"; ls -l t; return 1; }
	done
}

@test "-n with a destination that is the source itself, or a symlink to it, exits 0 as cp -n" {
	echo data >foo
	ln foo bar
	ln -s foo sl
	run pcopy -n foo bar
	assert_status 0
	run pcopy -n foo foo
	assert_status 0
	run pcopy -n sl foo
	assert_status 0
	[ -f foo ] && [ ! -L foo ] && [ "$(cat foo)" = data ]
}
