#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# cp's options (issue 16): every test runs GNU cp and pcopy on two copies of
# the same scene, with the same arguments and the same standard input, and
# wants the same exit status, the same stdout and stderr (cp's name read as
# pcopy's) and the same resulting tree. Run once per backend.

bats_require_minimum_version 1.5.0

load ../lib/common

setup() {
	require_pcopy
	cd "$BATS_TEST_TMPDIR"
	mkdir ref out
	INPUT=/dev/null
}

# The tree under the current directory: names, types, modes, sizes, link
# targets and contents (not times: each test that needs them sets them).
tree_listing() {
	find . -mindepth 1 -printf '%P %y %m %s %l\n' | LC_ALL=C sort
	find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r md5sum
}

# same_as_cp SCENE ARG...: run the function SCENE in ref/ and out/, then
# "cp ARG..." in ref/ and "pcopy ARG..." in out/ (stdin from $INPUT), and
# compare what they did.
same_as_cp() {
	local scene=$1
	shift
	(cd ref && "$scene") && (cd out && "$scene")
	run --separate-stderr bash -c 'cd ref && exec cp "$@"' cp "$@" <"$INPUT"
	local cp_status=$status cp_out=$output cp_err=$stderr
	local cp_tree
	cp_tree=$(cd ref && tree_listing)
	cd out
	run --separate-stderr pcopy "$@" <"$INPUT"
	cd ..
	local tree
	tree=$(cd out && tree_listing)
	echo "cp: status $cp_status"$'\n'"stdout: $cp_out"$'\n'"stderr: $cp_err"
	echo "pcopy: status $status"$'\n'"stdout: $output"$'\n'"stderr: $stderr"
	[ "$status" -eq "$cp_status" ]
	[ "$output" = "$cp_out" ]
	[ "${stderr//pcopy:/cp:}" = "$cp_err" ]
	diff <(echo "$cp_tree") <(echo "$tree")
	no_temporaries out
}

answer() {
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/answers"
	INPUT=$BATS_TEST_TMPDIR/answers
}

# Two files and a tree onto an existing copy that differs.
scene_files() {
	echo new >c
	echo old >d
	mkdir -p a/sub b/a/sub
	echo new-x >a/x
	echo new-y >a/sub/y
	echo new-z >a/z
	echo old-x >b/a/x
	echo old-y >b/a/sub/y
}

# Times for -u: a/x older than its copy, a/sub/y newer, a/z missing.
scene_times() {
	scene_files
	touch -d '2020-01-01' a/x b/a/sub/y c
	touch -d '2021-01-01' b/a/x a/sub/y d
}

# A file onto a directory of the same name, below the operand.
scene_dir_conflict() {
	mkdir -p a b/a/c
	touch a/c
}

@test "-i: 'n' keeps the file, 'y' replaces it, each asked on stderr" {
	answer n
	same_as_cp scene_files -vi c d
	answer y
	same_as_cp scene_files -vi c d
}

@test "-i in a tree: questions only for existing files, answers from stdin" {
	# One existing file: the order of the walk (pcopy's own) does not show.
	scene_two() { mkdir -p a/s b/a/s; echo 1 >a/x; echo 2 >a/s/y; echo o >b/a/s/y; }
	answer y
	same_as_cp scene_two -R -i a b
	rm -rf ref/* out/*
	answer n
	same_as_cp scene_two -R -i a b
}

@test "-i asks about a file onto a directory (coreutils 6.2 did not)" {
	answer n
	same_as_cp scene_dir_conflict -iR a b
}

@test "-i and -n: the last one wins; -f does not override either" {
	answer y
	same_as_cp scene_files -vni c d
	same_as_cp scene_files -vin c d
	same_as_cp scene_files -vfi c d
	same_as_cp scene_files -vfn c d
	same_as_cp scene_files -vnf c d
}

@test "-i with no answer (end of input) keeps the file" {
	same_as_cp scene_files -i c d
}

@test "-i does not ask about a file -u skips" {
	answer y
	same_as_cp scene_times -R -u -i a b
}

@test "-n never replaces, in a tree, and is not an error" {
	same_as_cp scene_files -R -n a b
	same_as_cp scene_files -vn c d
}

@test "-u copies newer and missing files and keeps newer destinations" {
	same_as_cp scene_times -R -u a b
	same_as_cp scene_times -u c d
}

@test "--update=older, --update=none, --update=all (coreutils 9.3 and later)" {
	# cp 9.1 has only the bare form: compare with its equivalents.
	local arg eq
	for arg in older:-u none:-n all:; do
		eq=${arg#*:}
		(cd ref && rm -rf ./* && scene_times && cp -R $eq a b)
		(cd out && rm -rf ./* && scene_times)
		(cd out && pcopy -R "--update=${arg%%:*}" a b)
		diff <(cd ref && tree_listing) <(cd out && tree_listing)
		rm -rf ref/* out/*
	done
}

@test "--update=none after -n is still -n; -n after --update=all wins" {
	(cd out && scene_files && pcopy -n --update=all c d)
	[ "$(cat out/d)" = old ]
	(cd out && pcopy --update=all -n c d)
	[ "$(cat out/d)" = old ]
	(cd out && pcopy -n --update=all --update=none c d)
	[ "$(cat out/d)" = old ]
}
