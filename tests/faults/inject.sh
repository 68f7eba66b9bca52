#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Systematic fault injection (issue 17): for every system call pcopy makes
# while copying, fail its Nth call (per thread, as strace counts) with a
# plausible errno, for N over the run, on each backend, and check the
# invariants of tests/faults/inject_check.py (no crash, no hang, exit 1 and
# the failed path named, or exit 0 and the tree cp -a makes; no partial
# file under a final name, no temporary, an existing file keeps its old
# content, everything else copied).
#
# thread and process: strace -f -e inject=SYSCALL:error=E:when=N, with -j 1
# so that the counts (per thread) are the same from run to run.
# uring: the same for the calls it makes outside the ring, io_uring_enter
# included, plus the ring's completions through the backend's test hook
# PCOPY_TEST_FAIL_CQE=N:ERRNO (src/backends/uring/ring.c; with -j 1, so
# that N counts one ring's completions).
#
# usage: tests/faults/inject.sh [--full [--first-errno]] [--backends LIST]
#                               [--syscalls LIST]
#   default (CI): the first errno of each call, at 3 points (the first,
#   middle and last call of the busiest thread; the middle one only with
#   PCOPY_SKIP_SLOW, CI's sanitizer build); --full: every errno at every N
#   up to 200, then every 10th; --first-errno: only each call's first
#   errno (at every N).
# Environment: PCOPY (default build/pcopy), INJECT_LOG (per-run lines).
# Prints a table (call, errnos, points injected / calls of the busiest
# thread, runs that exited 0 / 1, runs that do not count (n/a: the dynamic
# loader failed before main(), or an errno such as ENOSPC hit a pipe or an
# eventfd, which cannot return it), violations)
# and "inject: runs N checks N violations N"; exits 1 on a violation, 77
# when strace is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PCOPY=${PCOPY:-$top/build/pcopy}
COMPARE=$here/../lib/compare.sh
CHECK=$here/inject_check.py

full=0
first_errno=0
backends=thread,process,uring
only=
while [ $# -gt 0 ]; do
	case $1 in
	--full) full=1 ;;
	--first-errno) first_errno=1 ;;
	--backends) backends=$2; shift ;;
	--syscalls) only=$2; shift ;;
	*) echo "usage: $0 [--full [--first-errno]] [--backends LIST] [--syscalls LIST]" >&2
	   exit 2 ;;
	esac
	shift
done
command -v strace >/dev/null || { echo "inject: skip: strace not found"; exit 77; }
[ -x "$PCOPY" ] || { echo "inject: skip: no pcopy at $PCOPY"; exit 77; }

# Each call, and the errnos it can plausibly return; the first is CI's.
# EOPNOTSUPP/EXDEV/EINVAL where they ask for a fallback (exit 0 expected).
# Not ENXIO for lseek: SEEK_DATA's ENXIO means "only a hole from here on",
# an answer, not a fault; a copy that believes it is right to skip.
SYSCALLS=(
	"openat EACCES,EIO,ENOSPC,ENOMEM,EINTR,EMFILE"
	"statx EIO,EACCES,ENOMEM"
	"newfstatat EIO,EACCES,ENOMEM"
	"getdents64 EIO,ENOMEM"
	"read EIO,EINTR"
	"write ENOSPC,EIO,EINTR"
	"pread64 EIO,EINTR"
	"pwrite64 ENOSPC,EIO,EINTR"
	"copy_file_range EIO,ENOSPC,EXDEV,EOPNOTSUPP"
	"ioctl EIO,EOPNOTSUPP,ENOSPC"
	"lseek EIO,EINVAL"
	"fchown EPERM,EIO"
	"fchownat EPERM,EIO"
	"fchmod EPERM,EIO"
	"fchmodat EPERM,EIO"
	"flistxattr EIO,ENOMEM"
	"fgetxattr EIO,ENOMEM"
	"fsetxattr ENOSPC,EOPNOTSUPP,EIO"
	"utimensat EIO,EPERM"
	"mkdirat ENOSPC,EACCES,EIO"
	"symlinkat ENOSPC,EIO"
	"mknodat ENOSPC,EPERM"
	"linkat ENOSPC,EIO,EMLINK"
	"renameat2 EIO,ENOSPC"
	"unlinkat EIO,EACCES"
	"fsync EIO,ENOSPC"
	"fdatasync EIO,ENOSPC"
	"close EIO,EINTR"
	"io_uring_enter EINTR,EAGAIN,EBUSY"
)
CQE_ERRNOS="EIO ENOSPC ECANCELED"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pcopy-inject.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/src OLD=$WORK/old DST=$WORK/dst REF=$WORK/ref
LOG=${INJECT_LOG:-$WORK/runs.log}
: >"$LOG"

# The representative tree: small files, one above --chunk-size (64K), a
# sparse file, a symlink, a hard-link pair, a FIFO, an xattr, nested and
# empty directories, and keep/old.txt that the destination already has
# (older, other bytes): it must keep them if its copy fails.
make_tree() {
	mkdir -p "$SRC/sub/deep" "$SRC/empty" "$SRC/keep" "$OLD/keep"
	printf 'one\n' >"$SRC/a.txt"
	head -c 5000 /dev/zero | tr '\0' 'b' >"$SRC/sub/b.dat"
	printf 'deep\n' >"$SRC/sub/deep/c.txt"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 1000)' >"$SRC/big.bin"
	truncate -s 1M "$SRC/sparse.img"
	printf 'data in the middle' | dd of="$SRC/sparse.img" bs=1 seek=500000 conv=notrunc status=none
	ln -s a.txt "$SRC/link"
	ln "$SRC/sub/b.dat" "$SRC/hard"
	mkfifo "$SRC/fifo"
	setfattr -n user.k -v value "$SRC/a.txt" 2>/dev/null || true
	printf 'new content\n' >"$SRC/keep/old.txt"
	printf 'the old content, longer\n' >"$OLD/keep/old.txt"
	touch -d '2001-01-01' "$OLD/keep/old.txt"
	touch -d '2020-02-02' "$SRC"/* "$SRC/sub/deep/c.txt" "$SRC/keep/old.txt"
	touch -h -d '2020-02-02' "$SRC/link"
}
make_tree
cp -a -T "$OLD" "$REF" && cp -a -T "$SRC" "$REF" || exit 2

reset_dst() {
	rm -rf "$DST"
	cp -a -T "$OLD" "$DST"
}

# run_pcopy BACKEND JOBS [strace args...]: one copy into a reset $DST.
run_pcopy() {
	local be=$1 jobs=$2
	shift 2
	reset_dst
	timeout -k 5 60 "$@" "$PCOPY" -a --fsync -B "$be" -j "$jobs" --chunk-size=64K \
		-T "$SRC" "$DST" </dev/null >/dev/null 2>"$WORK/err"
}

# LeakSanitizer cannot run under ptrace (a sanitizer build under strace).
STRACE=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)

# calls BACKEND SYSCALL: the most calls one thread made (strace counts per
# thread).
calls() {
	run_pcopy "$1" 1 "${STRACE[@]}" -f -qq -o "$WORK/trace" -e trace="$2" -e signal=none
	awk '{ n[$1]++ } END { m = 0; for (p in n) if (n[p] > m) m = n[p]; print m }' "$WORK/trace"
}

# points MAX: the N to inject at.
points() {
	local n
	if [ "$1" -eq 0 ]; then
		return
	elif [ -n "${PCOPY_SKIP_SLOW:-}" ] && [ "$full" = 0 ]; then
		echo $((($1 + 1) / 2)) # CI's sanitizer build: one point
		return
	elif [ "$full" = 0 ]; then
		printf '%s\n' 1 $((($1 + 1) / 2)) "$1" | sort -nu
		return
	fi
	for ((n = 1; n <= $1; n += (n < 200 ? 1 : 10))); do echo "$n"; done
	[ "$1" -gt 200 ] && [ $(((($1 - 200)) % 10)) != 0 ] && echo "$1"
	return 0
}

# implausible ERRNO: the injection hit a pipe, socket or eventfd (the
# process backend's messages, wake-ups) with an errno that only files and
# devices return (ENOSPC, EIO, ...): not a case pcopy has to survive.
implausible() {
	case $1 in EINTR | EAGAIN) return 1 ;; esac
	grep INJECTED "$WORK/trace" | grep -q -E '\(([0-9]+)<(pipe|socket|anon_inode):'
}

runs=0 checks=0 bad=0
row_runs=0 row_ok=0 row_fail=0 row_bad=0 row_na=0
TABLE=$WORK/table

# judge DESC RC: the invariants of one run.
judge() {
	local out line c v
	# The dynamic loader's own calls (liburing, libc) fail before main():
	# not pcopy's to handle. Counted apart.
	if [ "$2" = 127 ] && grep -q 'error while loading shared libraries' "$WORK/err"; then
		row_na=$((row_na + 1))
		echo "$1 rc=127 before main (ld.so)" >>"$LOG"
		return
	fi
	out=$(python3 "$CHECK" "$SRC" "$OLD" "$DST" "$WORK/err" "$2")
	line=$(tail -1 <<<"$out")
	read -r _ c _ v <<<"$line"
	# cp -a leaves out xattrs that the destination does not support
	# (ENOTSUP), silently: the reference (made where they are) has them.
	if [ "$2" = 0 ] && [ "$v" = 0 ] && [ "${3:-}" = fsetxattr:EOPNOTSUPP ]; then
		:
	elif [ "$2" = 0 ] && [ "$v" = 0 ]; then
		c=$((c + 1))
		if ! "$COMPARE" --no-atime "$REF" "$DST" >"$WORK/cmp" 2>&1; then
			v=1
			out="exit 0 but the tree differs from cp -a: $(head -5 "$WORK/cmp")"
		fi
	fi
	runs=$((runs + 1)) checks=$((checks + c)) row_runs=$((row_runs + 1))
	[ "$2" = 0 ] && row_ok=$((row_ok + 1)) || row_fail=$((row_fail + 1))
	echo "$1 rc=$2 checks=$c violations=$v" >>"$LOG"
	if [ "$v" != 0 ]; then
		bad=$((bad + v)) row_bad=$((row_bad + v))
		echo "VIOLATION [$1 rc=$2]: $(head -n -1 <<<"$out" | head -5 | tr '\n' ';') stderr: $(head -3 "$WORK/err" | tr '\n' ';')"
	fi
}

row() { # BACKEND CALL ERRNOS POINTS
	printf '| %-7s | %-15s | %-27s | %7s | %5s | %5s | %5s | %3s |\n' "$1" "$2" "$3" "$4" \
		"$row_ok" "$row_fail" "$row_na" "$row_bad" >>"$TABLE"
	row_runs=0 row_ok=0 row_fail=0 row_bad=0 row_na=0
}

printf '| %-7s | %-15s | %-27s | %7s | %5s | %5s | %5s | %3s |\n' backend call errnos points \
	exit0 exit1 n/a bad >"$TABLE"
echo '|---|---|---|---|---|---|---|---|' >>"$TABLE"
IFS=, read -r -a be_list <<<"$backends"
for be in "${be_list[@]}"; do
	for entry in "${SYSCALLS[@]}"; do
		sc=${entry%% *}
		errnos=${entry#* }
		[ -n "$only" ] && [[ ",$only," != *",$sc,"* ]] && continue
		[ "$full" = 0 ] || [ "$first_errno" = 1 ] && errnos=${errnos%%,*}
		max=$(calls "$be" "$sc")
		npts=0
		for n in $(points "$max"); do
			npts=$((npts + 1))
			for e in ${errnos//,/ }; do
				run_pcopy "$be" 1 "${STRACE[@]}" -f -qq -y -o "$WORK/trace" -e signal=none \
					-e trace="$sc" -e inject="$sc:error=$e:when=$n"
				rc=$?
				fired=$(grep -c INJECTED "$WORK/trace")
				if implausible "$e"; then
					row_na=$((row_na + 1))
					echo "$be $sc $e when=$n: on a pipe or eventfd, skipped" >>"$LOG"
					continue
				fi
				if [ "$rc" = 0 ] && [ "$fired" != 0 ] && [[ $sc == fsync || $sc == fdatasync ]]; then
					# --fsync promised durability: a failed fsync is an error.
					echo "pcopy: (test) an injected $sc failure went unreported" >>"$WORK/err"
					rc=9
				fi
				judge "$be $sc $e when=$n fired=$fired" $rc "$sc:$e"
			done
		done
		row "$be" "$sc" "$errnos" "$npts/$max"
	done
	[ "$be" = uring ] || continue
	[ -n "$only" ] && [[ ",$only," != *",cqe,"* ]] && continue
	# The ring's completions: N up to the first clean run (no N left).
	errnos=$CQE_ERRNOS
	[ "$full" = 0 ] || [ "$first_errno" = 1 ] && errnos=${errnos%% *}
	npts=0
	for ((n = 1; n < 100000; n += (full ? 1 : n))); do
		clean=1
		for e in $errnos; do
			num=$(python3 -c "import errno; print(errno.$e)")
			PCOPY_TEST_FAIL_CQE=$n:$num run_pcopy uring 1 env
			rc=$?
			[ "$rc" = 0 ] || clean=0
			judge "uring cqe $e n=$n" "$rc"
		done
		npts=$((npts + 1))
		[ "$clean" = 1 ] && break
	done
	row uring "ring completion" "${errnos// /,}" "$npts/$n"
done
cat "$TABLE"
echo "inject: runs $runs checks $checks violations $bad"
# Nothing injected (strace could not trace here): a skip, never a pass.
[ "$runs" -gt 0 ] || { echo "inject: skip: no injection ran"; exit 77; }
[ "$bad" -eq 0 ]
