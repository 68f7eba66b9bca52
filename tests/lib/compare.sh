#!/bin/bash
# SPDX-License-Identifier: MIT
# Compare two directory trees entry by entry: exit 0 iff equivalent,
# otherwise print what differs and exit 1 (2: usage or tool failure).
#
# usage: compare.sh [--no-times] [--no-atime] [--no-blocks] REF OUT
#
#   --no-times   ignore mtimes and atimes (copies that do not preserve them)
#   --no-atime   ignore atimes only (e.g. a tree whose atimes move when read)
#   --no-blocks  ignore allocated sizes
# The environment variable COMPARE_NO_ATIME=1 has the effect of --no-atime.
#
# REF is the expected tree (usually made by cp), OUT the one under test.
# Four independent views, each printed on a difference:
#
# 1. A manifest walk (python3, dir_fd based so paths longer than PATH_MAX
#    are covered, names as raw bytes): type, mode, uid, gid, size, device
#    number, symlink target, mtime in nanoseconds, atime in nanoseconds
#    (not for directories), nlink (not for directories), every xattr with
#    its exact value (POSIX ACLs included, as system.posix_acl_*), allocated
#    blocks of regular files, and the hard-link structure (the names sharing
#    an inode in REF must share one in OUT, and no more).
#    Directory atimes are left out: listing a directory updates its atime
#    (under relatime when the atime is older than the mtime or ctime or a day
#    old, always under strictatime), and every reader of a copy lists its
#    directories: cp itself, mtree, this script.  A directory atime is not a
#    stable property of a copy, and cp -a's reference would drift as well.
#    Allocated blocks may differ by max(64 KiB, 1/32 of REF's): file systems
#    add extent-tree blocks, but a hole filled with zeros, or data turned into
#    holes, shows.
# 2. mtree (mtree-netbsd): specs of both trees with type, mode, uid, gid,
#    size, link, time (ns), nlink, sha256, device, compared as text.  mtree
#    walks paths longer than PATH_MAX; it is the only view that reads file
#    contents.
# 3. getfattr -R -P -h -d -m - -e hex, run inside each tree (relative names),
#    records sorted (readdir order differs between copies).
# 4. getfacl -R -P -s -n (extended ACLs only), same treatment.
# getfattr and getfacl stop at paths longer than PATH_MAX (their messages are
# compared too); view 1 covers what lies beyond.
set -u

times=1
atime=1
blocks=1
if [ "${COMPARE_NO_ATIME:-0}" = 1 ]; then
	atime=0
fi
while [ $# -gt 0 ]; do
	case $1 in
	--no-times) times=0 ;;
	--no-atime) atime=0 ;;
	--no-blocks) blocks=0 ;;
	--) shift; break ;;
	-*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
if [ $# -ne 2 ]; then
	echo "usage: compare.sh [--no-times] [--no-atime] [--no-blocks] REF OUT" >&2
	exit 2
fi
ref=$1
out=$2
for d in "$ref" "$out"; do
	if [ ! -d "$d" ]; then
		echo "compare.sh: $d: not a directory" >&2
		exit 2
	fi
done

PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
work=$(mktemp -d "${TMPDIR:-/tmp}/compare.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
status=0

# shorten: cut over-long lines (paths beyond PATH_MAX) for display.
shorten() {
	awk '{ if (length($0) > 400) print substr($0, 1, 180) " ...[" length($0) - 360 " bytes]... " substr($0, length($0) - 179); else print }'
}

# --- 1. manifest walk -----------------------------------------------------------
"$PYTHON" - "$ref" "$out" "$times" "$atime" "$blocks" > "$work/manifest" 2>&1 <<'PY'
import os, stat, sys

ref, out = (os.fsencode(a) for a in sys.argv[1:3])
check_times, check_atime, check_blocks = (a == "1" for a in sys.argv[3:6])

def show(path):
	s = repr(path)[2:-1]
	if len(s) > 400:
		s = "%s...[%d bytes]...%s" % (s[:180], len(s) - 360, s[-180:])
	return s

TYPES = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink",
	 stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket", stat.S_IFCHR: "char",
	 stat.S_IFBLK: "block"}

def attrs(dfd, name, st):
	"""The comparable attributes of one entry, as a dict."""
	a = {"type": TYPES.get(stat.S_IFMT(st.st_mode), "unknown"),
	     "mode": "%o" % stat.S_IMODE(st.st_mode),
	     "uid": st.st_uid, "gid": st.st_gid}
	isdir = stat.S_ISDIR(st.st_mode)
	if not isdir:
		a["size"] = st.st_size
		a["nlink"] = st.st_nlink
	if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
		a["rdev"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
	if stat.S_ISLNK(st.st_mode):
		a["link"] = show(os.readlink(name, dir_fd=dfd))
	if check_times:
		a["mtime_ns"] = st.st_mtime_ns
		if check_atime and not isdir:
			a["atime_ns"] = st.st_atime_ns
	# xattrs through /proc/self/fd/N/NAME: a short path whatever the depth
	p = b"/proc/self/fd/%d/%s" % (dfd, name) if name is not None else dfd
	kw = {} if name is None else {"follow_symlinks": False}
	try:
		for x in sorted(os.listxattr(p, **kw)):
			a["xattr " + x] = os.getxattr(p, x, **kw).hex()
	except OSError as e:
		a["xattr error"] = e.strerror
	return a

def walk(root):
	"""Map relative path -> (attrs, blocks, (dev, ino)) for a whole tree."""
	entries = {}

	def visit(dfd, rel):
		for name in sorted(os.listdir(dfd)):
			bname = os.fsencode(name)
			r = rel + b"/" + bname if rel else bname
			st = os.stat(bname, dir_fd=dfd, follow_symlinks=False)
			blk = st.st_blocks if stat.S_ISREG(st.st_mode) else None
			key = None if stat.S_ISDIR(st.st_mode) else (st.st_dev, st.st_ino)
			entries[r] = (attrs(dfd, bname, st), blk, key)
			if stat.S_ISDIR(st.st_mode):
				sub = os.open(bname, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)
				try:
					visit(sub, r)
				finally:
					os.close(sub)

	top = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
	entries[b"."] = (attrs(top, None, os.stat(top)), None, None)
	visit(top, b"")
	os.close(top)
	return entries

def link_groups(entries):
	"""path -> frozenset of the paths sharing its inode (non-directories)."""
	by_inode = {}
	for path, (_, _, key) in entries.items():
		if key is not None:
			by_inode.setdefault(key, set()).add(path)
	return {p: frozenset(g) for g in by_inode.values() for p in g}

R, O = walk(ref), walk(out)
problems = []
for path in sorted(R.keys() - O.keys()):
	problems.append("only in REF: %s" % show(path))
for path in sorted(O.keys() - R.keys()):
	problems.append("only in OUT: %s" % show(path))
gr, go = link_groups(R), link_groups(O)
reported = set()
for path in sorted(R.keys() & O.keys()):
	ra, rb, _ = R[path]
	oa, ob, _ = O[path]
	for k in sorted(ra.keys() | oa.keys()):
		if ra.get(k) != oa.get(k):
			problems.append("%s: %s: REF %s, OUT %s" % (show(path), k, ra.get(k, "(none)"), oa.get(k, "(none)")))
	if check_blocks and rb is not None and ob is not None and ra["type"] == oa["type"]:
		slack = max(128, rb // 32)
		if abs(rb - ob) > slack:
			problems.append("%s: allocated 512-byte blocks: REF %d, OUT %d (slack %d)" % (show(path), rb, ob, slack))
	if path in gr and path in go and gr[path] != go[path] and gr[path] not in reported:
		reported.add(gr[path])
		problems.append("hard links: REF links %s together, OUT links %s" % (
			", ".join(sorted(show(p) for p in gr[path])),
			", ".join(sorted(show(p) for p in go[path]))))
for p in problems:
	print(p if len(p) <= 400 else "%s ...[%d bytes]... %s" % (p[:200], len(p) - 360, p[-160:]))
sys.exit(1 if problems else 0)
PY
rc=$?
if [ $rc -ne 0 ]; then
	echo "=== manifest: OUT differs from REF (REF=$ref OUT=$out)"
	cat "$work/manifest"
	status=1
fi

# --- 2. mtree ---------------------------------------------------------------------
keys=type,mode,uid,gid,size,link,nlink,sha256,device
if [ $times = 1 ]; then
	keys=$keys,time
fi
# spec TREE: mtree's spec of TREE without its header (which names the tree,
# the host and the date).  Entries come sorted by name, so equal trees give
# equal specs.  The specs are compared as text rather than with mtree -f:
# verification compares times only to the microsecond, and mtree writes a
# directory name with a newline raw into its "# ./path" comments, which its
# own parser then rejects (the same bytes appear in both specs, so a text
# comparison is unaffected).
spec() {
	if ! mtree -c -p "$1" -k "$keys" > "$work/spec" 2> "$work/mtree.err"; then
		echo "=== mtree -c failed on $1" >&2
		shorten < "$work/mtree.err" >&2
		return 2
	fi
	grep -av "^#$(printf '\t')" "$work/spec"
}
spec "$ref" > "$work/ref.spec" || exit 2
spec "$out" > "$work/out.spec" || exit 2
if ! cmp -s "$work/ref.spec" "$work/out.spec"; then
	echo "=== mtree: OUT differs from REF"
	diff -u --label REF --label OUT "$work/ref.spec" "$work/out.spec" | shorten
	status=1
fi

# --- 3, 4. getfattr and getfacl dumps, records sorted -----------------------------
# dump TREE TOOL ARGS...: the tool's output and its messages, run in TREE.
dump() {
	local tree=$1
	shift
	(cd "$tree" && "$@" . 2> "$work/stderr") | "$PYTHON" -c '
import sys
recs = sys.stdin.buffer.read().split(b"\n\n")
sys.stdout.buffer.write(b"\n\n".join(sorted(r.strip(b"\n") for r in recs if r.strip())) + b"\n")
'
	sort "$work/stderr"
}
for tool in "getfattr -R -P -h -d -m - -e hex" "getfacl -R -P -s -n"; do
	# shellcheck disable=SC2086
	dump "$ref" $tool > "$work/ref.dump"
	# shellcheck disable=SC2086
	dump "$out" $tool > "$work/out.dump"
	if ! cmp -s "$work/ref.dump" "$work/out.dump"; then
		echo "=== ${tool%% *}: OUT differs from REF"
		diff -u --label REF --label OUT "$work/ref.dump" "$work/out.dump" | shorten
		status=1
	fi
done

if [ $status -ne 0 ]; then
	echo "compare.sh: $out differs from $ref"
fi
exit $status
