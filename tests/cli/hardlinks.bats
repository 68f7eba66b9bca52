#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Hard links under -u and -n (SPEC 9, issue 14): a -u run converges to the
# tree cp makes, -n never replaces a name (not even by a link, not even one
# that appears during the run), links are made through directory
# descriptors (no PATH_MAX limit, no symlink in DEST followed), and -L
# remembers files within a budget. The reference is GNU cp on the same trees.

# status, output: set by bats run; PYTHON etc.: by lib/common.bash
# shellcheck disable=SC2154,SC2153
load ../lib/common

setup() {
	require_pcopy
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w" || return
}

# link_groups DIR: one line per non-directory: path, the first path (in
# sorted order) of its inode inside DIR, and a hash of its content. Two
# trees print the same lines when their names share inodes the same way.
# dir_fd based: paths beyond PATH_MAX work.
link_groups() {
	"$PYTHON" - "$1" <<'PY'
import hashlib, os, stat, sys
rows, first = [], {}
def visit(dfd, rel):
	for name in sorted(os.listdir(dfd)):
		r = rel + "/" + name if rel else name
		st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
		if stat.S_ISDIR(st.st_mode):
			sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)
			visit(sub, r)
			os.close(sub)
			continue
		first.setdefault(st.st_ino, r)
		data = b""
		if stat.S_ISREG(st.st_mode):
			fd = os.open(name, os.O_RDONLY, dir_fd=dfd)
			data = os.read(fd, 1 << 20)
			os.close(fd)
		rows.append((r, st.st_ino, hashlib.sha1(data).hexdigest()[:12]))
visit(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY), "")
for r, ino, h in rows:
	print(r, first[ino], h)
PY
}

# same_links REF OUT: both trees group their names into inodes alike.
same_links() {
	diff <(link_groups "$1") <(link_groups "$2")
}

# listed DIR: DIR's names in getdents order (the order pcopy and cp meet them).
listed() {
	ls -U "$1"
}

# groups N DIR: N inodes of three names each in DIR (g<i>a g<i>b g<i>c),
# plus filler files so that some copies finish before the walker reaches
# the other names of their inode and some do not.
groups() {
	local i
	mkdir -p "$2"
	for i in $(seq "$1"); do
		echo "content $i" > "$2/g${i}a"
		ln "$2/g${i}a" "$2/g${i}b"
		ln "$2/g${i}a" "$2/g${i}c"
	done
	for i in $(seq 200); do
		echo "filler $i" > "$2/filler$i"
	done
}

# names_of_group DIR I: the three names of group I in getdents order.
names_of_group() {
	listed "$1" | grep -x "g${2}[abc]"
}

# Across directories too: one inode under d1/, d2/ and d3/.
cross_dirs() {
	mkdir -p "$1/d1" "$1/d2" "$1/d3"
	echo cross > "$1/d1/x"
	ln "$1/d1/x" "$1/d2/y"
	ln "$1/d1/x" "$1/d3/z"
}

@test "-u re-run recreates removed hard-link names, linked to the name left, whichever name getdents lists first" {
	groups 30 src/g
	cross_dirs src
	cp -a src dst
	kept=()
	# Group i keeps its (i mod 3)-th name in getdents order.
	for i in $(seq 30); do
		mapfile -t names < <(names_of_group src/g "$i")
		keep=${names[$((i % 3))]}
		[ $((i % 3)) != 0 ] || kept+=("g/$keep")
		for n in "${names[@]}"; do
			[ "$n" = "$keep" ] || rm "dst/g/$n"
		done
	done
	rm dst/d1/x dst/d3/z
	cp -a dst ref
	before=$(cd dst && stat -c %i "${kept[@]}")
	cp -au src/. ref/
	run pcopy -a -u -T --summary=json src dst
	assert_status 0
	same_links ref dst
	# A name left in place that is listed first is the copy: the others
	# link to its inode (cp -au replaces a later one by a link to the first).
	[ "$(cd dst && stat -c %i "${kept[@]}")" = "$before" ]
	[ "$(cd dst && stat -c %h "${kept[@]}" | sort -u)" = 3 ]
	[ "$(summary_field "$output" hardlinks)" -gt 0 ]
}

@test "-u into a tree holding one newer name of the file, as GNU tests/cp/preserve-link.sh" {
	mkdir -p s/f/sub
	echo data > s/f/a
	ln s/f/a s/f/b
	ln s/f/a s/f/c
	ln s/f/a s/f/sub/d
	touch -d '2001-01-01' s/f/a
	mkdir -p t/s/f
	touch t/s/f/a
	cp -a t ref
	cp -au s ref
	run pcopy -a -u s t
	assert_status 0
	same_links ref t
	[ "$(stat -c %h t/s/f/b)" = 4 ]
}

@test "-u: a separate, up-to-date file under one name of a hard-linked file, in each getdents position, ends as cp -au leaves it" {
	groups 30 src/g
	touch -d '2001-01-01' src/g/*
	cp -a src dst
	for i in $(seq 30); do
		mapfile -t names < <(names_of_group src/g "$i")
		sep=${names[$((i % 3))]}
		rm "dst/g/$sep"
		echo "separate newer file $i" > "dst/g/$sep"
	done
	cp -a dst ref
	cp -au src/. ref/
	run pcopy -a -u -T src dst
	assert_status 0
	same_links ref dst
}

@test "-n never replaces a name by a hard link and makes the missing ones, whichever name getdents lists first" {
	groups 30 src/g
	cross_dirs src
	cp -a src dst
	for i in $(seq 30); do
		mapfile -t names < <(names_of_group src/g "$i")
		mine=${names[$((i % 3))]}
		rm "dst/g/$mine"
		echo "mine $i" > "dst/g/$mine"
		# and in every other group a name to make, as a link
		[ $((i % 2)) = 0 ] || rm "dst/g/${names[$(((i + 1) % 3))]}"
	done
	rm dst/d3/z dst/d2/y
	echo "mine z" > dst/d3/z
	cp -a dst ref
	cp -an src/. ref/
	run pcopy -a -n -T src dst
	assert_status 0
	same_links ref dst
	[ "$(cat dst/d3/z)" = "mine z" ]
}

@test "-n: when the first-listed name is taken, the next name is copied and the rest link to it, as cp -an" {
	groups 20 src/g
	cross_dirs src
	mkdir -p dst/g dst/d1
	for i in $(seq 20); do
		first=$(names_of_group src/g "$i" | head -n 1)
		echo "mine $i" > "dst/g/$first"
	done
	echo "mine x" > dst/d1/x
	cp -a dst ref
	cp -an src/. ref/
	run pcopy -a -n -T src dst
	assert_status 0
	same_links ref dst
	[ "$(stat -c %i dst/d2/y)" = "$(stat -c %i dst/d3/z)" ]
}

@test "-n and -u copy hard links into a fresh tree as cp -a does" {
	groups 10 src/g
	cross_dirs src
	cp -a src ref
	run pcopy -a -n src dst_n
	assert_status 0
	same_links ref dst_n
	run pcopy -a -u src dst_u
	assert_status 0
	same_links ref dst_u
}

# race_env: the shim sees the publish through the C library: on io_uring
# (whose LINKAT bypasses it) use the temporary-name path.
race_env() {
	[ -n "${RACE_SHIM:-}" ] || skip "needs RACE_SHIM (tests/helpers/race_shim.c)"
	env=(LD_PRELOAD="$RACE_SHIM" ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0)
	[ "$PCOPY_BACKEND" != uring ] || env+=(PCOPY_NO_TMPFILE=1)
}

@test "-n: a file that appears after the check is never replaced (file, hard link, temporary-name path)" {
	skip_mpi "the shim is not passed through mpirun"
	mkdir src
	echo new > src/plain
	echo data > src/a
	ln src/a src/b
	race_env
	for tmpfile in default none; do
		for name in plain b; do
			rm -rf dst
			mkdir dst
			extra=()
			[ $tmpfile = default ] || extra=(PCOPY_NO_TMPFILE=1)
			# b is a link when a is listed first, else the copy: both race.
			run env "${env[@]}" "${extra[@]}" RACE_CREATE_NAME=$name \
				"$PCOPY" -B "$PCOPY_BACKEND" -a -n -T --summary=json src dst
			assert_status 0
			[ "$(cat dst/$name)" = raced ]
			[ "$(summary_field "$output" skipped no_clobber)" = 1 ]
			no_temporaries dst
		done
	done
}

@test "hard links between directories deeper than PATH_MAX are made" {
	"$PYTHON" - <<'PY'
import os
def deep(top, depth):
	fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
	for i in range(depth):
		name = ("%03d" % i) + "d" * 197
		os.mkdir(name, dir_fd=fd)
		nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
		os.close(fd)
		fd = nfd
	return fd
os.makedirs("src/one")
os.makedirs("src/two")
a = deep("src/one", 24)
fd = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=a)
os.write(fd, b"deep\n")
os.close(fd)
b = deep("src/two", 22)
os.link("f", "g", src_dir_fd=a, dst_dir_fd=b)
os.link("f", "h", src_dir_fd=a, dst_dir_fd=a)
for i in range(20):
	os.link("f", "g%d" % i, src_dir_fd=a, dst_dir_fd=b)
PY
	run pcopy -a src dst
	assert_status 0
	diff <(link_groups src | sed 's/ [^ ]* [^ ]*$//') <(link_groups dst | sed 's/ [^ ]* [^ ]*$//')
	[ "$(link_groups dst | cut -d' ' -f2 | sort -u | wc -l)" = 1 ]
	# and a -u run that finds the deep names missing makes them again
	"$PYTHON" - <<'PY'
import os
fd = os.open("dst/two", os.O_RDONLY | os.O_DIRECTORY)
while True:
	subs = [n for n in os.listdir(fd) if not n.startswith("g")]
	if not subs:
		break
	nfd = os.open(subs[0], os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
	os.close(fd)
	fd = nfd
os.unlink("g", dir_fd=fd)
PY
	run pcopy -a -u -T src dst
	assert_status 0
	[ "$(link_groups dst | cut -d' ' -f2 | sort -u | wc -l)" = 1 ]
	[ "$(link_groups dst | wc -l)" = 23 ]
}

@test "a DEST directory swapped for a symlink after the copy cannot send its hard links outside DEST" {
	skip_mpi "the shim is not passed through mpirun"
	mkdir -p src/d1 src/d2 outside
	echo data > src/d1/x
	ln src/d1/x src/d2/x
	echo secret > outside/x
	race_env
	first=$(listed src | head -n 1)
	other=d1
	[ "$first" != d1 ] || other=d2
	run env "${env[@]}" RACE_SWAP_NAME=x RACE_SWAP_DIR="$PWD/dst/$first" \
		RACE_SWAP_TO="$PWD/outside" "$PCOPY" -B "$PCOPY_BACKEND" -a src dst
	# The link cannot be made: an error naming it, nothing outside.
	assert_status 1
	assert_contains "$output" "dst/$other/x"
	[ -L "dst/$first" ]
	[ "$(stat -c %h outside/x)" = 1 ]
	[ "$(cat outside/x)" = secret ]
	if [ -e "dst/$other/x" ]; then
		[ "$(stat -c %i "dst/$other/x")" != "$(stat -c %i outside/x)" ]
	fi
}

# max_rss_kb ARG...: the peak RSS of pcopy ARG... (its largest process).
max_rss_kb() {
	"$PYTHON" - "$PCOPY" -B "$PCOPY_BACKEND" "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

@test "-L remembers files for hard links within a fixed budget: memory does not grow with the number of files" {
	skip_mpi "measures one process"
	# AddressSanitizer's quarantine keeps freed memory: RSS says nothing there.
	if ldd "$PCOPY" 2>/dev/null | grep -q libasan; then
		skip "memory figures of a sanitizer build"
	fi
	"$PYTHON" - <<'PY'
import os
d = "src/" + "/".join(["p" * 150] * 3)
os.makedirs(d)
for i in range(60000):
	os.close(os.open("%s/%s%06d" % (d, "f" * 60, i), os.O_WRONLY | os.O_CREAT, 0o644))
PY
	plain=$(max_rss_kb -a src dst_p)
	deref=$(max_rss_kb -a -L src dst_l)
	echo "max RSS: -P $plain KiB, -L $deref KiB"
	# Remembering all 60000 (~600 bytes each) would take 35 MiB more;
	# the budget is 16 MiB.
	[ "$deref" -lt $((plain + 24 * 1024)) ]
}

@test "-L: symlinks to a hard-linked file never break the pair, wherever getdents lists them" {
	mkdir src
	echo pair > src/p
	ln src/p src/q
	for i in 1 2 3 4 5 6; do
		ln -s p "src/s$i"
	done
	run pcopy -a -L src dst
	assert_status 0
	[ "$(stat -c %i dst/p)" = "$(stat -c %i dst/q)" ]
	for i in 1 2 3 4 5 6; do
		[ "$(cat "dst/s$i")" = pair ]
	done
}
