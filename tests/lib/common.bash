# SPDX-License-Identifier: MIT
# Shared helpers for the command-line tests (load ../lib/common).
#
# Environment (set by tests/meson.build):
#   PCOPY          the pcopy binary under test
#   PCOPY_BACKEND  backend name, passed as -B "$PCOPY_BACKEND" (default thread)
#   TESTS_DIR      the tests/ directory (default: found from this file)
# Optional:
#   PCOPY_SKIP_SLOW=1          skip tests marked slow (the kernel tree)
#   PCOPY_KERNEL_TREE_DIR=DIR  where the kernel source tree is extracted (cached)
#
# Debian packages: bats mtree-netbsd acl attr rsync python3 coreutils util-linux.

# shellcheck disable=SC2034,SC2154 # variables used by the .bats files; set by bats
bats_require_minimum_version 1.5.0

TESTS_DIR=${TESTS_DIR:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
MKTREE=$TESTS_DIR/lib/mktree.sh
COMPARE=$TESTS_DIR/lib/compare.sh
PCOPY_BACKEND=${PCOPY_BACKEND:-thread}
# Resolve the interpreter once: wrappers such as pyenv shims are slow to start.
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
export PYTHON

# pcopy ARG...: run the binary under test with the backend under test; the
# mpi backend runs as PCOPY_MPI_NP ranks (default 2) under mpirun.
pcopy() {
	if [ "$PCOPY_BACKEND" = mpi ]; then
		mpi_pcopy "${PCOPY_MPI_NP:-2}" "$@"
	else
		"$PCOPY" -B "$PCOPY_BACKEND" "$@"
	fi
}

# mpi_pcopy NP ARG...: pcopy -B mpi as NP ranks of an Open MPI job on this
# machine (shared memory only), killed after PCOPY_MPI_TIMEOUT seconds so
# that a deadlock fails the test instead of hanging it.
mpi_pcopy() {
	local np=$1
	shift
	timeout -k 5 "${PCOPY_MPI_TIMEOUT:-300}" mpirun --allow-run-as-root --oversubscribe \
		--bind-to none --mca btl self,vader --mca mpi_yield_when_idle 1 \
		-np "$np" "$PCOPY" -B mpi "$@"
}

# summary_field JSON KEY...: print one field of a --summary=json line.
summary_field() {
	"$PYTHON" -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v[k]
print(v)' "$@"
}

# skip_mpi REASON: skip the test when the backend under test is mpi.
skip_mpi() {
	[ "$PCOPY_BACKEND" != mpi ] || skip "$1"
}

require_pcopy() {
	: "${PCOPY:?set PCOPY to the pcopy binary under test}"
	[ -x "$PCOPY" ] || {
		echo "PCOPY=$PCOPY is not executable" >&2
		return 1
	}
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "needs $c"
	done
}

# assert_status N: the last `run` exited with N; shows its output otherwise.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status"
		echo "output: $output"
		[ -z "${stderr+x}" ] || echo "stderr: $stderr"
		return 1
	fi
}

# assert_contains HAYSTACK NEEDLE: print both unless HAYSTACK contains NEEDLE.
assert_contains() {
	if [[ "$1" != *"$2"* ]]; then
		echo "expected to find: $2"
		echo "in: $1"
		return 1
	fi
}

# assert_same_tree [compare.sh options] REF OUT
assert_same_tree() {
	"$COMPARE" "$@"
}

# no_temporaries DIR: no pcopy temporary file (.pcopy.*) anywhere under DIR.
no_temporaries() {
	local left
	left=$(find "$1" -name '.pcopy.*' -print)
	if [ -n "$left" ]; then
		echo "temporary files left behind:"
		echo "$left"
		return 1
	fi
}

# same_data SRC DST: every regular file under DST is complete and equal to
# its counterpart under SRC (no partial file under a final name). The
# hidden partial and journal that an interrupted copy of a chunked file
# keeps for the next run (.NAME.pcopy-partial, .NAME.pcopy-journal) are
# not under a final name: not looked at here (see no_resume_files).
same_data() {
	local f
	while IFS= read -r -d '' f; do
		cmp -s "$1/$f" "$2/$f" || { echo "partial or wrong: $f"; return 1; }
	done < <(cd "$2" && find . -type f ! -name '.*.pcopy-partial' ! -name '.*.pcopy-journal' -print0)
}

# no_resume_files DIR: no resumable partial or journal is left under DIR
# (after an error, as opposed to an interrupt, none may be).
no_resume_files() {
	local left
	left=$(find "$1" -name '.*.pcopy-partial' -o -name '.*.pcopy-journal')
	[ -z "$left" ] || { echo "resume files left behind: $left"; return 1; }
}

# no_partial_files SRC DST: same_data, and no temporary is left in DST.
no_partial_files() {
	same_data "$1" "$2" && no_temporaries "$2"
}

# inodes DIR: "inode<TAB>relative path" of every regular file under DIR,
# path bytes escaped (python repr), dir_fd based (paths beyond PATH_MAX).
inodes() {
	"$PYTHON" - "$1" <<'PY'
import os, stat, sys
def visit(dfd, rel):
	for name in sorted(os.listdir(dfd)):
		b = os.fsencode(name)
		r = rel + b"/" + b if rel else b
		st = os.stat(b, dir_fd=dfd, follow_symlinks=False)
		if stat.S_ISREG(st.st_mode):
			print("%d\t%s" % (st.st_ino, repr(r)[2:-1]))
		elif stat.S_ISDIR(st.st_mode):
			sub = os.open(b, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)
			visit(sub, r)
			os.close(sub)
visit(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY), b"")
PY
}

# graft_longpath [--preserve] SRC DST: replace DST/longpath by a copy of
# SRC/longpath made with dir_fd calls.  GNU cp stops at paths longer than
# PATH_MAX ("File name too long"), so reference trees made with cp get this
# part from here: with --preserve as cp -a would (mode, owner, times;
# longpath has no xattrs), without as cp -r would (mode minus umask).
graft_longpath() {
	local preserve=0
	if [ "$1" = --preserve ]; then
		preserve=1
		shift
	fi
	[ -d "$1/longpath" ] || return 0
	rm -rf "$2/longpath"
	"$PYTHON" - "$1/longpath" "$2/longpath" "$preserve" "$(umask)" <<'PY'
import os, stat, sys
src, dst, preserve, umask = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4], 8)

def meta(dfd, name, st):
	"""With --preserve, give name in dfd (None: dfd itself) st's owner,
	mode and times; the owner first, as chown clears set-id bits."""
	if not preserve:
		return
	if name is None:
		target, kw, mkw = dfd, {}, {}
	else:
		target, kw, mkw = name, {"dir_fd": dfd, "follow_symlinks": False}, {"dir_fd": dfd}
	os.chown(target, st.st_uid, st.st_gid, **kw)
	if not stat.S_ISLNK(st.st_mode):
		os.chmod(target, stat.S_IMODE(st.st_mode), **mkw)
	os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns), **kw)

def copy(sfd, dfd):
	for name in sorted(os.listdir(sfd)):
		st = os.stat(name, dir_fd=sfd, follow_symlinks=False)
		mode = stat.S_IMODE(st.st_mode)
		if stat.S_ISDIR(st.st_mode):
			os.mkdir(name, 0o700, dir_fd=dfd)
			s = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=sfd)
			d = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dfd)
			copy(s, d)
			if not preserve:
				os.chmod(d, mode & ~umask)
			meta(d, None, st)
			os.close(s)
			os.close(d)
		elif stat.S_ISLNK(st.st_mode):
			os.symlink(os.readlink(name, dir_fd=sfd), name, dir_fd=dfd)
			meta(dfd, name, st)
		elif stat.S_ISREG(st.st_mode):
			s = os.open(name, os.O_RDONLY, dir_fd=sfd)
			d = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode & ~umask, dir_fd=dfd)
			while True:
				buf = os.read(s, 1 << 20)
				if not buf:
					break
				os.write(d, buf)
			os.close(s)
			os.close(d)
			meta(dfd, name, st)
		else:
			sys.exit("graft_longpath: unexpected file type in longpath")

st = os.stat(src)
os.mkdir(dst, 0o700)
s = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
d = os.open(dst, os.O_RDONLY | os.O_DIRECTORY)
copy(s, d)
if not preserve:
	os.chmod(d, stat.S_IMODE(st.st_mode) & ~umask)
meta(d, None, st)
PY
	# the parent's mtime changed when longpath was replaced
	if [ $preserve = 1 ]; then
		touch -m -h -r "$1" "$2"
	fi
}

# make_ref [--no-preserve] CP_ARG... SRC DST: DST = cp CP_ARG... SRC DST, where
# cp may fail only with "File name too long" below longpath/ (then that part
# is grafted).  --no-preserve: the cp options do not preserve metadata.
make_ref() {
	local graft=--preserve
	if [ "$1" = --no-preserve ]; then
		graft=
		shift
	fi
	local args=("$@") err
	local src=${args[$# - 2]} dst=${args[$# - 1]}
	err=$(cp "$@" 2>&1) || true
	if [ -n "$err" ]; then
		if grep -v 'File name too long' <<<"$err" | grep -q .; then
			echo "cp $* failed:"
			echo "$err"
			return 1
		fi
	fi
	if [ -d "$src/longpath" ]; then
		# shellcheck disable=SC2086
		graft_longpath $graft "$src" "$dst"
	fi
}
