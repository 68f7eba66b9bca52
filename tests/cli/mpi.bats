#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The mpi backend (issue 11) on one machine: 1 to 4 Open MPI ranks over
# shared memory, under timeout so that a deadlock fails instead of hanging.
# Needs a build with -Dmpi=enabled (tests/meson.build registers this file
# only then) and mpirun; FAULT_SHIM for the unreadable-file test.

# status, output, stderr: set by bats run
# shellcheck disable=SC2154
load ../lib/common

MPIRUN=(timeout -k 5 300 mpirun --allow-run-as-root --oversubscribe --bind-to none
	--mca btl self,vader --mca mpi_yield_when_idle 1)

setup_file() {
	require_pcopy
	export SRC=$BATS_FILE_TMPDIR/src REF=$BATS_FILE_TMPDIR/ref
	"$MKTREE" "$SRC" 3>&- 2>/dev/null
	make_ref -a "$SRC" "$REF"
}

setup() {
	require_pcopy
	require_cmd mpirun
	cd "$BATS_TEST_TMPDIR"
	OUT=$BATS_TEST_TMPDIR/out
	"$MKTREE" --retime "$SRC"
}

# random_file PATH KIB
random_file() {
	head -c "$(($2 << 10))" /dev/urandom >"$1"
}

# pids_of_ranks: the pcopy processes that run as ranks now.
pids_of_ranks() {
	pgrep -f -- "^$PCOPY -B mpi" || true
}

# wait_ranks N: wait (10 s at most) until N ranks run.
wait_ranks() {
	local end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do
		[ "$(pids_of_ranks | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_no_ranks: wait (10 s at most) until no rank runs any more. mpirun
# may return while the ranks it killed are still going down (under load),
# and a rank still alive could add a temporary after the next run's sweep.
wait_no_ranks() {
	local end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do
		[ -z "$(pids_of_ranks)" ] && return 0
		sleep 0.05
	done
	echo "ranks still running: $(pids_of_ranks)"
	return 1
}

# A tree that keeps 3 ranks busy for a few seconds: files above the chunk
# size (split between ranks) and small files in several directories.
busy_tree() {
	mkdir -p src
	for d in 1 2 3 4; do
		mkdir -p "src/d$d"
		for i in 1 2; do head -c 192M /dev/zero >"src/d$d/zero$i"; done
		random_file "src/d$d/random" 8192
		for i in $(seq 1 50); do echo "$d $i" >"src/d$d/s$i"; done
	done
}

# copy_started DIR: wait (20 s at most) until the copy has put a file in DIR.
copy_started() {
	local end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do
		[ -n "$(find "$1" -type f -print -quit 2>/dev/null)" ] && return 0
		sleep 0.02
	done
	return 1
}

@test "1 to 4 ranks copy the tree exactly as cp -a does, large files split between ranks" {
	local np
	for np in 1 2 3 4; do
		rm -rf "$OUT"
		run --separate-stderr mpi_pcopy "$np" -a --chunk-size=64K "$SRC" "$OUT"
		assert_status 0
		[ -z "$stderr" ] || { echo "np=$np stderr: $stderr"; return 1; }
		graft_longpath --preserve "$SRC" "$REF"
		assert_same_tree --no-atime "$REF" "$OUT" || { echo "np=$np differs"; return 1; }
	done
}

@test "-np 3 gives the tree --backend=thread gives" {
	"$PCOPY" -B thread -a "$SRC" thread-copy
	run --separate-stderr mpi_pcopy 3 -a -j 3 --chunk-size=64K "$SRC" "$OUT"
	assert_status 0
	assert_same_tree --no-atime thread-copy "$OUT"
}

@test "hard links whose names land on different ranks come out as one inode each" {
	mkdir -p src
	for d in $(seq 1 12); do mkdir "src/d$d"; done
	for g in $(seq 1 40); do
		random_file "src/d$((g % 12 + 1))/f$g" $((g % 3 == 0 ? 200 : 1))
		ln "src/d$((g % 12 + 1))/f$g" "src/d$(((g + 5) % 12 + 1))/l$g"
		ln "src/d$((g % 12 + 1))/f$g" "src/d$(((g + 7) % 12 + 1))/m$g"
	done
	cp -a src ref
	run --separate-stderr mpi_pcopy 4 -a --chunk-size=64K --summary=json src "$OUT"
	assert_status 0
	assert_same_tree --no-atime ref "$OUT"
	[ "$(summary_field "$output" hardlinks)" -eq 80 ]
	[ "$(summary_field "$output" files)" -eq 40 ]
}

@test "an unreadable file: its error is printed once, by rank 0; the rest is copied; exit 1" {
	[ -n "${FAULT_SHIM:-}" ] || skip "needs FAULT_SHIM"
	mkdir -p src/a src/b
	for i in $(seq 1 30); do echo "$i" >"src/a/f$i"; echo "$i" >"src/b/g$i"; done
	random_file src/b/bad 4
	run --separate-stderr "${MPIRUN[@]}" -np 3 -x LD_PRELOAD="$FAULT_SHIM" \
		-x PCOPY_FAULT_READ=src/b/bad -x ASAN_OPTIONS=verify_asan_link_order=0 \
		"$PCOPY" -B mpi -a src "$OUT"
	assert_status 1
	[ "$(grep -c '^pcopy: ' <<<"$stderr")" -eq 1 ] || { echo "stderr: $stderr"; return 1; }
	assert_contains "$stderr" "pcopy: src/b/bad: Input/output error"
	[ ! -e "$OUT/b/bad" ]
	rm src/b/bad
	diff -r src "$OUT"
	no_temporaries "$OUT"
}

@test "a usage error: exit 2 from every rank, printed once, nothing written" {
	run --separate-stderr mpi_pcopy 3 -a --chunk-size=1 "$SRC" "$OUT"
	assert_status 2
	[ "$(grep -c "^pcopy: invalid argument '1' for '--chunk-size'" <<<"$stderr")" -eq 1 ] || {
		echo "stderr: $stderr"
		return 1
	}
	[ ! -e "$OUT" ]
}

@test "the process backend is refused under mpirun; so is a plain backend" {
	run --separate-stderr "${MPIRUN[@]}" -np 2 "$PCOPY" -B process -a "$SRC" "$OUT"
	[ "$status" -eq 2 ]
	[ ! -e "$OUT" ]
	run --separate-stderr "${MPIRUN[@]}" -np 2 "$PCOPY" -B thread -a "$SRC" "$OUT"
	[ "$status" -eq 2 ]
	assert_contains "$stderr" "needs --backend=mpi"
	[ ! -e "$OUT" ]
}

@test "SIGINT to every rank (as srun forwards Ctrl-C): exit 130, no temporaries, no partial files" {
	busy_tree
	"${MPIRUN[@]}" -np 3 "$PCOPY" -B mpi -a -j 2 --chunk-size=1M src dst 2>err &
	local job=$! status=0
	wait_ranks 3
	copy_started dst
	# shellcheck disable=SC2046
	kill -INT $(pids_of_ranks)
	wait $job || status=$?
	[ "$status" -eq 130 ] || { echo "exit $status"; cat err; return 1; }
	wait_no_ranks
	no_partial_files src dst
}

@test "SIGINT to mpirun ends the job without a hang; -u completes it, no temporary left" {
	busy_tree
	"${MPIRUN[@]}" -np 3 "$PCOPY" -B mpi -a --chunk-size=1M src dst 2>err &
	local job=$! status=0
	wait_ranks 3
	copy_started dst
	kill -INT "$(pgrep -P "$job" mpirun || echo "$job")"
	wait $job || status=$?
	[ "$status" -ne 0 ] || [ -d dst ]
	[ -z "$(pids_of_ranks)" ]
	same_data src dst
	run --separate-stderr mpi_pcopy 3 -a -u -T --chunk-size=1M src dst
	assert_status 0
	diff -r src dst
	no_temporaries dst
}

@test "kill -9 of one rank ends the job without a hang; -u completes it, no temporary left" {
	busy_tree
	"${MPIRUN[@]}" -np 3 "$PCOPY" -B mpi -a --chunk-size=1M src dst 2>err &
	local job=$! status=0 victim
	wait_ranks 3
	copy_started dst
	victim=$(pids_of_ranks | tail -1)
	kill -9 "$victim"
	wait $job || status=$?
	[ "$status" -ne 0 ] || { echo "the job ended with 0 after a rank was killed"; return 1; }
	[ "$status" -ne 124 ] || { echo "hung: killed by timeout"; return 1; }
	wait_no_ranks
	same_data src dst
	run --separate-stderr mpi_pcopy 3 -a -u -T --chunk-size=1M src dst
	assert_status 0
	diff -r src dst
	no_temporaries dst
}

@test "more ranks than entries, and an empty tree" {
	mkdir -p one empty
	echo x >one/only
	run --separate-stderr mpi_pcopy 4 -a one "$OUT"
	assert_status 0
	diff -r one "$OUT"
	run --separate-stderr mpi_pcopy 4 -a empty out2
	assert_status 0
	[ -d out2 ] && [ -z "$(ls -A out2)" ]
}

@test "a 3,000-deep tree, longer than PATH_MAX, with 3 ranks" {
	"$PYTHON" - <<-'EOF'
		import os
		os.mkdir("deep")
		fd = os.open("deep", os.O_RDONLY)
		for i in range(3000):
		    os.mkdir("d%d" % (i % 10), dir_fd=fd)
		    nxt = os.open("d%d" % (i % 10), os.O_RDONLY, dir_fd=fd)
		    os.close(fd)
		    fd = nxt
		with open(os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
		    f.write("bottom\n")
	EOF
	run --separate-stderr mpi_pcopy 3 -a deep "$OUT"
	assert_status 0
	[ "$(cd "$OUT" && find . | wc -l)" -eq 3002 ]
	"$PYTHON" - "$OUT" <<-'EOF'
		import os, sys
		fd = os.open(sys.argv[1], os.O_RDONLY)
		for i in range(3000):
		    nxt = os.open("d%d" % (i % 10), os.O_RDONLY, dir_fd=fd)
		    os.close(fd)
		    fd = nxt
		assert open(os.open("leaf", os.O_RDONLY, dir_fd=fd)).read() == "bottom\n"
	EOF
}

@test "--progress=json: one writer, every line an object, totals equal the summary, ranks in it" {
	busy_tree
	run --separate-stderr mpi_pcopy 3 -a --chunk-size=1M --progress=json --summary=json src "$OUT"
	assert_status 0
	printf '%s\n' "$stderr" >events.json
	"$PYTHON" - "$output" events.json <<-'EOF'
		import json, sys
		summary = json.loads(sys.argv[1])
		assert summary["backend"] == "mpi" and summary["ranks"] == 3, summary
		events = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
		done = [e for e in events if e["event"] == "done"]
		assert len(done) == 1 and events[-1] is done[0], events[-3:]
		assert done[0]["bytes"] == summary["bytes"] == 4 * (2 * 192 + 8) * 2**20 + sum(
		    len(f"{d} {i}\n") for d in range(1, 5) for i in range(1, 51)), (done, summary)
		assert summary["files"] == 12 + 200, summary
		last = 0
		for e in events:
		    assert e["bytes"] >= last, "bytes went backwards"
		    last = e["bytes"]
	EOF
}

@test "cp's -u, -n and --backup with 2 ranks: the tree cp makes" {
	mkdir -p s/sub ref
	echo new-x >s/x
	echo new-y >s/sub/y
	echo new-z >s/z
	mkdir -p d/sub
	echo old-x >d/x
	echo old-y >d/sub/y
	touch -d 2020-01-01 s/x d/sub/y
	touch -d 2021-01-01 d/x s/sub/y
	local args
	for args in "-u" "-n" "--backup=numbered" "-b -S .old"; do
		rm -rf ref/d out
		cp -a d ref/d
		cp -a d out
		(cd ref && cp -R $args ../s/. d)
		mpi_pcopy 2 $args s/. out
		diff <(cd ref/d && find . -printf '%P %y %s\n' | sort) \
			<(cd out && find . -printf '%P %y %s\n' | sort)
	done
}

@test "-i, -l, -s, --parents and --keep-directory-symlink are refused with --backend=mpi: exit 2" {
	local args
	for args in -i -l -s --parents --keep-directory-symlink; do
		run mpi_pcopy 2 $args s d
		echo "$args: $output"
		[ "$status" -eq 2 ]
		[[ $output == *"with --backend=mpi: not supported yet"* ]]
	done
}

# delete_tree: src, and dst holding an older copy plus what src lacks: files,
# a symlink (removed, never followed), a whole subtree, in several
# directories that different ranks list.
delete_tree() {
	mkdir -p src/a/b src/c dst/a/b dst/c dst/gone/deep
	echo 1 >src/a/f
	echo 2 >src/a/b/g
	echo 3 >src/c/h
	random_file src/big 3072
	for i in 1 2 3 4 5 6; do
		mkdir -p "src/d$i" "dst/d$i"
		echo "$i" >"src/d$i/keep"
		echo stale >"dst/d$i/stale"
	done
	echo x >dst/a/old
	echo y >dst/a/b/old2
	echo z >dst/gone/deep/z
	ln -s /etc dst/c/link
	echo t >dst/top
	# old times: rsync mistimes directories written in the current second
	find src -exec touch -h -d '2020-01-01 00:00:00.5' {} +
}

@test "--delete with 1 to 3 ranks: the tree rsync -a --delete makes; -v says each deletion" {
	require_cmd rsync
	local np
	for np in 1 2 3; do
		rm -rf src dst ref
		delete_tree
		cp -a dst ref
		rsync -a --delete src/ ref/
		run --separate-stderr mpi_pcopy "$np" -a -v --delete --chunk-size=1M -T src dst
		assert_status 0
		assert_contains "$output" "deleting dst/gone/"
		assert_contains "$output" "deleting dst/d4/stale"
		assert_contains "$output" "deleting dst/c/link"
		assert_same_tree --no-atime ref dst
		[ -d /etc ]
	done
}

@test "--delete: a source error on one rank stops deletion on every rank, said once" {
	require_root
	require_cmd setpriv
	local world
	world=$(mktemp -d /tmp/pcopy-mpi-delete.XXXXXX)
	cp "$PCOPY" "$world/pcopy"
	cd "$world"
	delete_tree
	mkdir src/locked
	chmod 000 src/locked
	chown -R 65534:65534 dst
	chmod 0777 "$world"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		env HOME="$world" TMPDIR="$world" timeout -k 5 120 mpirun --oversubscribe \
		--bind-to none --mca btl self,vader -np 3 ./pcopy -B mpi -a --delete -T src dst
	cd /
	[ "$status" -eq 1 ] || { echo "status $status: $stderr"; rm -rf "$world"; return 1; }
	[ "$(grep -c 'skipping file deletion' <<<"$stderr")" -eq 1 ] || { echo "$stderr"; rm -rf "$world"; return 1; }
	local left
	left=$(find "$world/dst" -name stale | wc -l)
	[ -e "$world/dst/top" ] && [ -e "$world/dst/gone/deep/z" ] && [ "$left" -eq 6 ] ||
		{ echo "deleted on a partial view (stale left: $left)"; rm -rf "$world"; return 1; }
	rm -rf "$world"
}

# shared_with BASE TREE: TREE's files that are BASE's inodes, one per line.
shared_with() {
	(cd "$2" && find . -type f | sort | while read -r f; do
		[ "$(stat -c %i "$f")" = "$(stat -c %i "$1/$f" 2>/dev/null)" ] && echo "$f"
	done)
}

@test "--link-dest with 3 ranks: the inode sharing rsync -aH --link-dest gives (large files, hard links)" {
	require_cmd rsync
	mkdir -p s/a s/b
	local i
	for i in 1 2 3 4 5; do
		echo "$i" >"s/a/f$i"
		echo "$i" >"s/b/g$i"
	done
	random_file s/big 3072
	random_file s/big2 3072
	ln s/a/f1 s/b/hl
	find s -exec touch -h -d '2020-01-01 00:00:00.5' {} +
	cp -a s base
	# changed: a small file and a large one (other size); new: one file
	echo changed >s/a/f2
	random_file s/big2 2048
	echo new >s/a/new
	touch -d '2021-01-01' s/a/f2 s/big2 s/a/new
	# (and old directory times: rsync mistimes those of the current second)
	find s -type d -exec touch -d '2021-01-01' {} +
	rsync -aH --link-dest="$PWD/base" s/ ref/
	run --separate-stderr mpi_pcopy 3 -a --chunk-size=1M --link-dest="$PWD/base" -T s snap
	assert_status 0
	assert_same_tree --no-atime ref snap
	diff <(shared_with "$PWD/base" ref) <(shared_with "$PWD/base" snap)
	# the unchanged large file and the hard-link pair are shared
	shared_with "$PWD/base" snap | grep -qx './big'
	shared_with "$PWD/base" snap | grep -qx './b/hl'
}
