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
	stderr=${stderr//"'pcopy --help'"/"'cp --help'"}
	echo "cp: status $cp_status"$'\n'"stdout: $cp_out"$'\n'"stderr: $cp_err"
	echo "pcopy: status $status"$'\n'"stdout: $output"$'\n'"stderr: $stderr"
	[ "$status" -eq "$cp_status" ]
	if [ "${SAME_STDERR:-1}" = sorted ]; then # walk order: lines in any order
		diff <(sort <<<"$output") <(sort <<<"$cp_out")
	else
		[ "$output" = "$cp_out" ]
	fi
	# SAME_STDERR=0: pcopy words that error its own way (see the test);
	# =sorted: the same lines in another order (pcopy's walk order), on
	# stdout too.
	if [ "${SAME_STDERR:-1}" = sorted ]; then
		diff <(sort <<<"${stderr//pcopy:/cp:}") <(sort <<<"$cp_err")
	elif [ "${SAME_STDERR:-1}" = 1 ]; then
		[ "${stderr//pcopy:/cp:}" = "$cp_err" ]
	fi
	[ "${stderr:+err}" = "${cp_err:+err}" ]
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

@test "--backup=CONTROL: every version control on every set of existing backups (cp-mv-backup.sh)" {
	local initial opt
	for initial in 'x' 'x y' 'x y y~' 'x y y.~1~' 'x y y~ y.~1~' 'x y y.~1~ y.~9~ y.~10~'; do
		for opt in none off numbered t existing nil simple never; do
			eval "scene_b() { touch $initial; echo new >x; }"
			same_as_cp scene_b --backup=$opt x y
			rm -rf ref/* out/*
		done
	done
}

@test "-b, VERSION_CONTROL, -S, SIMPLE_BACKUP_SUFFIX, and a suffix with a slash" {
	same_as_cp scene_files -b c d
	VERSION_CONTROL=numbered same_as_cp scene_files -b c d
	VERSION_CONTROL=numbered same_as_cp scene_files --backup=simple c d
	SIMPLE_BACKUP_SUFFIX=.orig same_as_cp scene_files -b c d
	SIMPLE_BACKUP_SUFFIX=.orig same_as_cp scene_files -S .bak c d
	same_as_cp scene_files -S .bak c d
	same_as_cp scene_files -S x/y c d
	same_as_cp scene_files --backup=off -S .bak c d
}

@test "--backup in a tree: each replaced file is kept, new files make no backup" {
	same_as_cp scene_files -R --backup=numbered a b
	same_as_cp scene_files -R --backup=numbered a b
	same_as_cp scene_files -R -b a b
}

@test "--backup with -u backs up only what is replaced; with --update=none nothing" {
	same_as_cp scene_times -R -u -b a b
	(cd out && rm -rf ./* && scene_times && pcopy -R --update=none -b a b)
	(cd ref && rm -rf ./* && scene_times && cp -R -n a b)
	diff <(cd ref && tree_listing) <(cd out && tree_listing)
}

@test "-f --backup copies a file onto itself through its backup (backup-1.sh)" {
	scene_f() { echo test >F; }
	same_as_cp scene_f --force --backup=simple --suffix=.b F F
	same_as_cp scene_f -T --force --backup=simple --suffix=.b F F
	same_as_cp scene_f --backup=simple F F
	same_as_cp scene_f -f --backup=simple F ./F
	same_as_cp scene_f -f F F
}

@test "an operand onto itself or another of its links: cp's 'are the same file'; -l leaves it, even with -b" {
	scene_same() { echo x >foo; ln -f foo hardlink; }
	same_as_cp scene_same foo foo
	same_as_cp scene_same foo hardlink
	same_as_cp scene_same -bl foo foo
	same_as_cp scene_same -bfl foo hardlink
	same_as_cp scene_same -l foo hardlink
}

@test "--backup onto another link of the source: backed up, then replaced" {
	scene_l() { echo a >a; ln -f a b; }
	same_as_cp scene_l -b a b
	[ "$(stat -c %h out/a)" -eq 2 ] && [ "$(stat -c %h out/b)" -eq 1 ]
}

@test "a backup that would replace the source is refused (backup-is-src.sh)" {
	scene_s() { echo a >a; echo a-tilde >a~; }
	same_as_cp scene_s --b=simple a~ a
	same_as_cp scene_s --backup=simple -R a~ a
}

@test "--remove-destination removes the destination first; not onto a directory" {
	scene_r() { echo new >c; echo old >d; chmod 0444 d; ln -sf c e; mkdir -p dir; touch g; }
	same_as_cp scene_r --remove-destination c d
	same_as_cp scene_r --remove-destination c e
	same_as_cp scene_r --remove-destination g dir
	same_as_cp scene_files -R --remove-destination a b
}

# Files, a symlink and a FIFO in a tree, for -l and -s.
scene_links() {
	mkdir -p d/s
	echo x >d/x
	echo y >d/s/y
	ln -sf x d/sl
	[ -p d/p ] || mkfifo d/p
	echo a >a
	echo b >b
}

# The inode structure: which names share an inode (with the sources).
link_structure() {
	find . -mindepth 1 ! -type d -printf '%i %P\n' | LC_ALL=C sort | awk '
		{ names[$1] = names[$1] " " $2 } END { for (i in names) print names[i] }' |
		LC_ALL=C sort
}

@test "-l: hard links instead of copies, in a tree; symlinks followed unless -P" {
	same_as_cp scene_links -lR d e
	diff <(cd ref && link_structure) <(cd out && link_structure)
	rm -rf ref/* out/*
	same_as_cp scene_links -lRP d e
	diff <(cd ref && link_structure) <(cd out && link_structure)
	rm -rf ref/* out/*
	same_as_cp scene_links -l a c
	diff <(cd ref && link_structure) <(cd out && link_structure)
}

@test "-l onto existing names: an error, -f replaces, the same link is left, -n skips, -b backs up" {
	same_as_cp scene_links -l a b
	same_as_cp scene_links -l a c
	same_as_cp scene_links -lf a b
	diff <(cd ref && link_structure) <(cd out && link_structure)
	same_as_cp scene_links -l a b
	same_as_cp scene_links -ln a d/x
	rm -rf ref/* out/*
	same_as_cp scene_links -lb a b
	diff <(cd ref && link_structure) <(cd out && link_structure)
}

@test "-s: symbolic links; relative ones only in the current directory" {
	mkdir ref/sub out/sub
	same_as_cp scene_links -s a f
	same_as_cp scene_links -s a sub/f
	same_as_cp scene_links -s a f
	same_as_cp scene_links -sf a f
	SAME_STDERR=sorted same_as_cp scene_links -sR d g
}

@test "-s with absolute sources, in a tree" {
	# The targets name the scene's own directory: make both the same path.
	local top=$BATS_TEST_TMPDIR/abs
	mkdir "$top"
	(cd "$top" && scene_links && cp -sR "$top/d" g_ref) 2>/dev/null
	(cd "$top" && pcopy -sR "$top/d" g_out)
	diff <(cd "$top/g_ref" && tree_listing) <(cd "$top/g_out" && tree_listing)
}

# Directories with unusual modes for --parents.
scene_parents() {
	mkdir -p a/b/c d e np/b
	chmod 0750 a/b
	echo x >a/b/c/x
	touch f
	chmod 0700 np
	touch np/b/file
}

@test "--parents: the source's directories are made under DIR, with their modes under -a" {
	same_as_cp scene_parents --parents a/b/c/x d
	same_as_cp scene_parents -a --parents a/b/c e
	same_as_cp scene_parents -R --parents a/ e
	same_as_cp scene_parents --parents --no-preserve=mode np/b/file d
	same_as_cp scene_parents --parents f/g d
}

@test "--parents onto a non-directory exits 1, as cp" {
	same_as_cp scene_parents --parents a/b/c/x f
}

scene_slash() {
	mkdir -p d/s
	echo x >d/x
	ln -sfn d sym
	mkdir -p dst/t real
	ln -sfn ../real dst/s
}

@test "--strip-trailing-slashes: 'sym/' into a directory is the symlink, not the directory" {
	same_as_cp scene_slash -R sym/ x
	same_as_cp scene_slash -R --strip-trailing-slashes sym/ y
	same_as_cp scene_slash -R --strip-trailing-slashes sym/ real
	same_as_cp scene_slash -R --strip-trailing-slashes d/ z
}

@test "--keep-directory-symlink: a symlink to a directory in the destination is followed" {
	# Not an option of GNU cp 9.1, which refuses as pcopy does without it;
	# with it pcopy behaves as tar --keep-directory-symlink.
	SAME_STDERR=0 same_as_cp scene_slash -R d/. dst
	cd out
	pcopy -R --keep-directory-symlink d/. dst
	[ -L dst/s ] && [ -d real ] && [ "$(cat dst/x)" = x ]
	run pcopy -R --keep-directory-symlink d/. dst/x
	[ "$status" -eq 1 ]
}

scene_modes() {
	touch a b
	chmod 600 b
	mkdir -p d2
	chmod 705 d2
	[ -p fifo ] || mkfifo fifo
	touch e
	chmod 731 e
}

@test "--no-preserve=mode: new files 0666 and directories 0777 minus the umask; existing files keep theirs (preserve-mode.sh)" {
	same_as_cp scene_modes --no-preserve=mode b c
	same_as_cp scene_modes --no-preserve=mode a b
	same_as_cp scene_modes --no-preserve=mode -R d2 d3
	same_as_cp scene_modes -a --no-preserve=mode fifo fifo_copy
	same_as_cp scene_modes --no-preserve=mode --preserve=all b g
	same_as_cp scene_modes --preserve=ownership e h
}

@test "-a --no-preserve=mode under umask 077 (link-preserve.sh)" {
	umask 077
	same_as_cp scene_modes -a --no-preserve=mode e f
}

@test "a file copied onto an existing one keeps the existing file's mode, as cp" {
	scene_keep() { echo new >n; chmod 644 n; echo old >o; chmod 600 o; }
	same_as_cp scene_keep n o
	same_as_cp scene_keep -p n o
}

@test "--sparse=always makes holes of zero blocks even when the source has none (sparse-2.sh)" {
	printf x >k
	dd bs=1k seek=1 of=k count=255 </dev/zero 2>/dev/null
	cp --reflink=never --sparse=always k k_cp
	pcopy --reflink=never --sparse=always k k_out
	cmp k k_out
	echo "blocks: source $(stat -c %b k), cp $(stat -c %b k_cp), pcopy $(stat -c %b k_out)"
	[ "$(stat -c %b k_out)" -le "$(stat -c %b k_cp)" ]
	# And a file whose zeros are not block aligned, in chunks.
	head -c 100000 /dev/urandom >r
	dd bs=1 seek=300000 of=r count=0 2>/dev/null
	cat r r r r >big
	pcopy --sparse=always --chunk-size=64K big big_out
	cmp big big_out
	[ "$(stat -c %b big_out)" -lt "$(stat -c %b big)" ]
}

@test "--preserve=links with -H and -L: a followed symlink is another name of its file (link-preserve.sh)" {
	scene_h() { touch a; ln -sf a b; mkdir -p c; }
	same_as_cp scene_h --preserve=links -R -H a b c
	[ "$(stat -c %i out/c/a)" = "$(stat -c %i out/c/b)" ]
	scene_l() { mkdir -p d; touch d/a; ln -sf a d/b; }
	same_as_cp scene_l --preserve=links -R -L d c
	[ "$(stat -c %i out/c/a)" = "$(stat -c %i out/c/b)" ]
}

scene_attr() {
	printf 1 >file1
	printf 2 >file2
	chmod 600 file1
	touch -d 2001-01-01 file1
	ln -f file2 link2
	ln -sf file1 sym1
	[ -p ff ] || mkfifo ff
	mkdir -p dd
	echo x >dd/f
}

@test "--attributes-only: empty new files, existing files keep their data and inode (attr-existing.sh)" {
	same_as_cp scene_attr --attributes-only file1 new
	same_as_cp scene_attr --attributes-only file1 file2
	same_as_cp scene_attr -a --attributes-only file1 file2
	[ "$(stat -c %h out/file2)" -eq 2 ]
	[ "$(stat -c '%a %Y' out/file2)" = "$(stat -c '%a %Y' ref/file2)" ]
	same_as_cp scene_attr -R --attributes-only dd de
}

@test "--attributes-only: a symlink or FIFO onto an existing file is an error, unless --remove-destination" {
	same_as_cp scene_attr -a --attributes-only sym1 file2
	same_as_cp scene_attr -a --attributes-only ff file2
	same_as_cp scene_attr -a --remove-destination --attributes-only sym1 file2
}

@test "--debug: each file's -v line, then how it was copied, in the words of later cp" {
	# GNU cp 9.1 has no --debug: the words are those of coreutils 9.2 and later.
	echo hello >a
	truncate -s 1M s
	echo x >>s
	local re='^copy offload: (yes|avoided|unsupported|unknown), reflink: (yes|unsupported|avoided), sparse detection: '
	run --separate-stderr pcopy --debug a b
	assert_status 0
	[ "${lines[0]}" = "'a' -> 'b'" ]
	[[ ${lines[1]} =~ $re ]]
	run --separate-stderr pcopy --debug --sparse=always --reflink=never a c
	[[ ${lines[1]} == "copy offload: avoided, reflink: avoided, sparse detection: zeros" ]]
	run --separate-stderr pcopy --debug s s2
	[[ ${lines[1]} =~ $re(SEEK_HOLE|no)$ ]]
	run --separate-stderr pcopy --debug -q a d
	[ -z "$output" ]
	cmp a b && cmp a c && cmp s s2 && cmp a d
}

@test "--copy-contents: FIFOs and devices in a tree are read into regular files, as cp -R" {
	require_root
	scene_n() { mkdir -p d; echo f >d/f; mknod d/null c 1 3; chmod 640 d/null; }
	same_as_cp scene_n -R --copy-contents d e
	[ -f out/e/null ] && [ ! -s out/e/null ]
	rm -rf ref/* out/*
	same_as_cp scene_n -R d e
	[ -c out/e/null ]
}

@test "--copy-contents: a FIFO's data, written while pcopy waits for it" {
	mkdir d
	mkfifo d/p
	echo data >d/f
	(sleep 1; echo through-the-fifo >d/p) &
	run timeout 60 "$PCOPY" -B "$PCOPY_BACKEND" -R --copy-contents d e
	wait
	assert_status 0
	[ -f e/p ] && [ "$(cat e/p)" = through-the-fifo ] && [ "$(cat e/f)" = data ]
}

@test "-v with --backup names the backup, as cp: 'SRC' -> 'DST' (backup: 'BACKUP')" {
	same_as_cp scene_files -v -b c d
	same_as_cp scene_files -v --backup=numbered c d
	SAME_STDERR=sorted same_as_cp scene_files -v -R --backup=t a b
}

@test "-i about a file the user may not write: cp's 'unwritable' and 'replace ... overriding mode' questions" {
	require_root
	require_cmd setpriv
	local dir=$BATS_TEST_TMPDIR/nobody
	mkdir -m 0777 "$dir"
	chmod 0755 "$BATS_TEST_TMPDIR"
	as_nobody() {
		(cd "$dir" && rm -f a b && echo a >a && echo b >b && chmod 444 b &&
			echo n | setpriv --reuid=65534 --regid=65534 --clear-groups "$@")
	}
	local args cp_err
	for args in "-i" "-if" "--remove-destination -i"; do
		cp_err=$(as_nobody cp $args a b 2>&1)
		run as_nobody "$PCOPY" -B "$PCOPY_BACKEND" $args a b
		echo "$args: cp: $cp_err / pcopy: $output"
		assert_status 0
		[ "${output//pcopy:/cp:}" = "$cp_err" ]
		[ "$(cat "$dir/b")" = b ]
	done
}

@test "--copy-contents of a FIFO operand: the copy is named at once, owner-only, while it is read (file-perm-race.sh)" {
	umask 022
	mkfifo fifo
	timeout 60 "$PCOPY" -B "$PCOPY_BACKEND" -p --copy-contents fifo fifo-copy &
	local pid=$! tries=0
	{
		while [ ! -f fifo-copy ] && [ $((tries += 1)) -lt 100000 ]; do
			echo foo
		done
		stat -c %A fifo-copy >perm.out
		echo foo
	} >fifo
	wait $pid
	echo "mode while read: $(cat perm.out)"
	[[ $(cat perm.out) == -???------ ]]
	[ "$(stat -c %a fifo-copy)" = 644 ]
	grep -q foo fifo-copy
}

@test "--copy-contents of a FIFO onto an existing file: written into while read, then -p's owner and mode (existing-perm-race.sh)" {
	require_root
	umask 077
	mkfifo fifo
	touch fifo-copy
	chgrp 0 fifo
	chgrp 100 fifo-copy
	chmod g+r fifo-copy
	local ino tries=0
	ino=$(stat -c %i fifo-copy)
	timeout 60 "$PCOPY" -B "$PCOPY_BACKEND" -p --copy-contents fifo fifo-copy &
	local pid=$!
	{
		while [ ! -s fifo-copy ] && [ $((tries += 1)) -lt 100000 ]; do
			echo foo
		done
		stat -c %A fifo-copy >perm.out
		echo foo
	} >fifo
	wait $pid
	[[ $(cat perm.out) == -rw-r----- ]] || [[ $(cat perm.out) == -rw------- ]]
	[ "$(stat -c '%A %g %i' fifo-copy)" = "-rw------- 0 $ino" ]
}

@test "a directory into itself: cp's message and status, also with -l (into-self.sh)" {
	# cp makes an empty dir/dir first; pcopy makes nothing (semantics.bats).
	mkdir a dir
	local args cp_err
	for args in "-R dir dir" "-rl dir dir" "-rl a dir dir"; do
		cp_err=$(cp $args 2>&1 >/dev/null) && false
		rm -rf dir/dir
		run --separate-stderr pcopy $args
		echo "$args: cp: $cp_err / pcopy: $stderr"
		assert_status 1
		[ "${stderr//pcopy:/cp:}" = "$cp_err" ]
	done
}
