#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Resumable large files (issue 19): a file copied in chunks that is
# interrupted (SIGKILL, SIGINT) leaves a hidden .NAME.pcopy-partial and a
# .NAME.pcopy-journal, never anything under its final name; the next run
# copies only the chunks that are not journaled (or whose bytes in the
# partial no longer match their hash), and the result is byte-identical to
# the source (cmp). A changed source, a damaged partial or a torn journal
# cost a recopy, never a wrong file. --no-resume starts over.
#
# The bytes a run reads from the source and writes to the partial are
# counted with strace (-ff: one file per thread, no split lines) on the
# file's descriptors (-y), so that the re-reading of the partial to verify
# its chunks is counted apart. io_uring's reads and writes are not system
# calls, nor counted in /proc/PID/io (rchar, wchar; read_bytes is 0 on
# tmpfs): for that backend only the result and the partial's read-back
# are checked, not the bytes copied.

# status, output, stderr: set by bats run
# shellcheck disable=SC2154
load ../lib/common

HEADER=56 # bytes of the journal's header; each record is 24

setup() {
	require_pcopy
	require_cmd strace
	# tmpfs when there is room: 2 GiB files copied several times.
	local base=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 6000000 ]; then
		base=$(mktemp -d /dev/shm/pcopy-resume.XXXXXX)
	fi
	W=$base
	cd "$W" || return
	mkdir src dst
}

teardown() {
	[ -n "${W:-}" ] && [ "$W" != "$BATS_TEST_TMPDIR" ] && rm -rf "$W"
	return 0
}

# make_src MIB: src/big of MIB MiB of random bytes (no holes, no repeats).
make_src() {
	head -c "$(($1 << 20))" /dev/urandom >src/big
}

journal_records() {
	local size
	size=$(stat -c %s dst/.big.pcopy-journal 2>/dev/null) || size=0
	echo $(((size > HEADER ? size - HEADER : 0) / 24))
}

# interrupt SIG RECORDS ARG...: start pcopy ARG... src/big dst/big slowed
# by --bwlimit, wait until its journal holds RECORDS chunks, send SIG. The
# final name must never appear meanwhile. Sets $run_status.
interrupt() {
	local sig=$1 want=$2 pid tries=0
	shift 2
	# io_uring with its default depth has every chunk of the file in
	# flight at once, all done near the end: a few at a time here.
	[ "$PCOPY_BACKEND" != uring ] || set -- --queue-depth=4 "$@"
	"$PCOPY" -B "$PCOPY_BACKEND" "$@" src/big dst/big &
	pid=$!
	while [ "$(journal_records)" -lt "$want" ]; do
		[ ! -e dst/big ] || { kill -9 "$pid"; echo "dst/big visible during the copy"; return 1; }
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; echo "finished before the signal"; return 1; }
		tries=$((tries + 1))
		[ "$tries" -lt 3000 ] || { kill -9 "$pid"; echo "no progress"; return 1; }
		sleep 0.05
	done
	kill -"$sig" "$pid"
	run_status=0
	wait "$pid" || run_status=$?
	[ ! -e dst/big ] || { echo "dst/big exists after the interrupt"; return 1; }
	[ -f dst/.big.pcopy-partial ] && [ -f dst/.big.pcopy-journal ] || {
		echo "partial or journal missing:"
		ls -la dst
		return 1
	}
	[ "$(stat -c %a dst/.big.pcopy-partial)" = 600 ]
}

# counted_run ARG...: pcopy ARG... src/big dst/big under strace; sets
# src_read (bytes read from src/big), dst_written (written to the partial
# or the file) and dst_read (read back from the partial).
counted_run() {
	local size
	size=$(stat -c %s src/big)
	rm -rf trace
	mkdir trace
	# LeakSanitizer cannot run under ptrace (the sanitizer build).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run strace -ff -qq -y -e trace=read,pread64,readv,preadv,write,pwrite64,writev,pwritev,copy_file_range,sendfile,splice \
		-o trace/t "$PCOPY" -B "$PCOPY_BACKEND" "$@" src/big dst/big
	[ "$status" -eq 0 ] || { echo "exit $status: $output"; return 1; }
	read -r src_read dst_written dst_read < <("$PYTHON" - "$W/src/big" "$W/dst/" "$PCOPY_BACKEND" trace/t.* <<'EOF'
import re, sys
src, dst, backend = sys.argv[1], sys.argv[2], sys.argv[3]
call = re.compile(r'^(\w+)\((\d+)<([^>]*)>(.*)\) += (\d+)$')
fd_arg = re.compile(r'^, [^,]*, (\d+)<([^>]*)>')
r = w = back = 0
for name in sys.argv[4:]:
    for line in open(name, errors='replace'):
        m = call.match(line.strip())
        if not m:
            continue
        fn, path, rest, n = m.group(1), m.group(3), m.group(4), int(m.group(5))
        if fn in ('copy_file_range', 'splice', 'sendfile'):
            out = fd_arg.match(rest) if fn != 'sendfile' else re.match(r'^, (\d+)<([^>]*)>', rest)
            if path == src:
                r += n
            if out and out.group(2).startswith(dst):
                w += n
        elif fn.startswith(('read', 'pread')):
            if path == src:
                r += n
            elif path.startswith(dst):
                back += n
        elif path.startswith(dst):
            w += n
if backend == 'uring':
    r = w = -1  # not system calls: not counted
print(r, w, back)
EOF
)
	echo "size $size: read from the source $src_read, written $dst_written, partial read back $dst_read"
}

# under PERCENT BYTES: BYTES is under PERCENT % of src/big (-1: not
# measured, io_uring; passes).
under() {
	local size
	[ "$2" != -1 ] || return 0
	size=$(stat -c %s src/big)
	[ "$(($2 * 100))" -lt "$(($1 * size))" ] || {
		echo "$2 bytes is not under $1% of $size"
		return 1
	}
}

no_resume_files() {
	[ ! -e dst/.big.pcopy-partial ] && [ ! -e dst/.big.pcopy-journal ] || {
		echo "partial or journal left:"
		ls -la dst
		return 1
	}
}

@test "SIGKILL at half of a 2 GiB file: nothing under its name; the -u re-run copies under 60% and the copy is identical" {
	make_src 2048
	# 32 chunks of 64 MiB; killed once 16 are durable.
	interrupt KILL 16 --chunk-size=64M --bwlimit=256M
	[ "$run_status" -eq 137 ]
	counted_run -u --chunk-size=64M
	under 60 "$src_read"
	under 60 "$dst_written"
	cmp src/big dst/big
	no_resume_files
}

@test "SIGINT: exit 130, partial and journal kept; the next run (without -u) copies only what is missing" {
	make_src 512
	interrupt INT 16 --chunk-size=16M --bwlimit=128M
	[ "$run_status" -eq 130 ]
	counted_run --chunk-size=16M
	under 60 "$src_read"
	under 60 "$dst_written"
	cmp src/big dst/big
	no_resume_files
}

@test "SIGTERM: partial kept, resumed, identical" {
	make_src 256
	interrupt TERM 6 --chunk-size=16M --bwlimit=64M
	[ "$run_status" -eq 143 ]
	counted_run -u --chunk-size=16M
	under 70 "$src_read"
	cmp src/big dst/big
	no_resume_files
}

@test "a source changed between the runs (same size, new mtime) is copied again whole" {
	make_src 256
	interrupt KILL 6 --chunk-size=16M --bwlimit=64M
	# The first chunk is journaled: change it in the source.
	printf 'CHANGED' | dd of=src/big conv=notrunc status=none
	touch -d '+1 hour' src/big
	counted_run -u --chunk-size=16M
	[ "$src_read" = -1 ] || ! under 95 "$src_read"
	cmp src/big dst/big
	no_resume_files
}

@test "a damaged chunk of the partial is copied again, the others are kept" {
	make_src 256
	interrupt KILL 8 --chunk-size=16M --bwlimit=64M
	# Chunk 0 is journaled (the first to finish, with -j2): damage it.
	printf 'XXXXXXXX' | dd of=dst/.big.pcopy-partial bs=1 seek=1000 conv=notrunc status=none
	counted_run -u --chunk-size=16M
	under 70 "$src_read"
	cmp src/big dst/big
	no_resume_files
}

@test "a torn or garbage journal is ignored safely" {
	make_src 256
	interrupt KILL 6 --chunk-size=16M --bwlimit=64M
	# A torn last record, and a record whose bytes were changed.
	printf 'torn-record' >>dst/.big.pcopy-journal
	printf '\x07\x00\x00\x00\x00\x00\x00\x00\xff\xff' |
		dd of=dst/.big.pcopy-journal bs=1 seek=$((HEADER + 24)) conv=notrunc status=none
	counted_run -u --chunk-size=16M
	cmp src/big dst/big
	no_resume_files
	# A journal of garbage from its first byte: a full copy.
	rm dst/big
	interrupt KILL 6 --chunk-size=16M --bwlimit=64M
	head -c 4096 /dev/urandom >dst/.big.pcopy-journal
	counted_run -u --chunk-size=16M
	[ "$src_read" = -1 ] || ! under 95 "$src_read"
	cmp src/big dst/big
	no_resume_files
}

@test "a partial from another --chunk-size or a partial of the wrong size is not trusted" {
	make_src 256
	interrupt KILL 6 --chunk-size=16M --bwlimit=64M
	counted_run -u --chunk-size=32M
	[ "$src_read" = -1 ] || ! under 95 "$src_read"
	cmp src/big dst/big
	no_resume_files
	rm dst/big
	interrupt KILL 6 --chunk-size=16M --bwlimit=64M
	truncate -s 100M dst/.big.pcopy-partial
	counted_run -u --chunk-size=16M
	cmp src/big dst/big
	no_resume_files
}

@test "--no-resume copies the file whole and removes the stale partial" {
	make_src 256
	interrupt KILL 6 --chunk-size=16M --bwlimit=64M
	counted_run -u --no-resume --chunk-size=16M
	[ "$src_read" = -1 ] || ! under 95 "$src_read"
	cmp src/big dst/big
	no_resume_files
}

@test "--no-resume: an interrupted copy leaves nothing behind" {
	make_src 256
	"$PCOPY" -B "$PCOPY_BACKEND" --no-resume --chunk-size=16M --bwlimit=64M src/big dst/big &
	local pid=$! st=0
	sleep 1
	kill -INT "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	[ -z "$(ls -A dst)" ] || { ls -la dst; return 1; }
}

@test "SIGINT in a tree: small files leave nothing, the large file only its partial and journal" {
	make_src 256
	for i in 1 2 3 4 5; do echo "small $i" >"src/s$i"; done
	"$PCOPY" -B "$PCOPY_BACKEND" --chunk-size=16M --bwlimit=64M -T src dst &
	local pid=$! st=0 tries=0
	while [ "$(journal_records)" -lt 2 ] && [ "$tries" -lt 600 ]; do
		sleep 0.05
		tries=$((tries + 1))
	done
	kill -INT "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	no_temporaries dst
	[ ! -e dst/big ]
	run ls -A dst
	for f in $output; do
		case $f in
		.big.pcopy-partial | .big.pcopy-journal | s[1-5]) ;;
		*) echo "unexpected $f"; return 1 ;;
		esac
	done
	for f in dst/s*; do [ ! -e "$f" ] || cmp "src/${f#dst/}" "$f"; done
	"$PCOPY" -B "$PCOPY_BACKEND" -u --chunk-size=16M -T src dst
	cmp src/big dst/big
	no_resume_files
}

@test "a journal that cannot be removed after the publish: the file is whole, the run says so and exits 1" {
	make_src 8
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		run --separate-stderr strace -f -qq -o /dev/null -e trace=unlinkat \
		-e inject=unlinkat:error=EPERM "$PCOPY" -B "$PCOPY_BACKEND" --chunk-size=1M src/big dst/big
	assert_status 1
	[[ "$stderr" == *"cannot remove 'dst/.big.pcopy-journal': Operation not permitted"* ]] ||
		{ echo "stderr: $stderr"; return 1; }
	cmp src/big dst/big
}

@test "a power cut after the rename: -u beside the up-to-date file drops the stale partial and journal" {
	make_src 8
	"$PCOPY" -B "$PCOPY_BACKEND" -a --chunk-size=1M src/big dst/big
	# what a cut between the rename and the journal's removal leaves (the
	# partial too, as a cut in a later run of another source might)
	echo stale >dst/.big.pcopy-journal
	echo stale >dst/.big.pcopy-partial
	run "$PCOPY" -B "$PCOPY_BACKEND" -a -u --chunk-size=1M src/big dst/big
	assert_status 0
	cmp src/big dst/big
	no_resume_files
	# the same through a directory operand (the walker's up-to-date check)
	echo stale >dst/.big.pcopy-journal
	run "$PCOPY" -B "$PCOPY_BACKEND" -a -u --chunk-size=1M -T src dst
	assert_status 0
	no_resume_files
}
