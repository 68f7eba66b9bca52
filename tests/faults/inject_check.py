#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The invariants of one fault-injected run (tests/faults/inject.sh).

  inject_check.py SRC OLD DST STDERR RC

SRC is the source, OLD what the destination held before the run, DST the
destination after it, STDERR pcopy's messages, RC its exit status.
* RC is 0 or 1: not a signal (128+N), not a hang (124), no sanitizer report;
* RC 1 names the failed path: a message names an entry of SRC or DST;
  RC 0 prints no error (the failure was retried or had a fallback), and
  the caller compares the whole tree with cp -a's;
* no .pcopy.* temporary is left, and a .NAME.pcopy-journal or -partial (a
  resumable copy's) only with RC 1 and a message naming it; every regular
  file under DST is complete:
  its SRC version or its OLD one (an existing file keeps its old content);
* everything that no message names (nor an ancestor, nor a hard link of
  it) is copied: type, data, symlink target, mode, owner, mtime.
Prints each violation, then "checks N violations N"; exits 1 on one.
"""
import hashlib
import os
import re
import stat
import sys


def sha(path):
	with open(path, "rb") as f:
		return hashlib.sha256(f.read()).hexdigest()


def walk(top):
	out = {}
	if not os.path.isdir(top):
		return out
	for root, dnames, fnames in os.walk(top):
		for n in dnames + fnames:
			p = os.path.join(root, n)
			out[os.path.relpath(p, top)] = os.lstat(p)
	return out


def named(stderr, src, dst):
	"""Relative paths (to SRC or DST) that the messages name."""
	out = set()
	for top in (src, dst):
		for m in re.finditer(re.escape(top) + r"(/[^:'\n]*)?(?=[:'\n]|$)", stderr):
			rel = (m.group(1) or "/").strip("/")
			out.add(rel or ".")
	# The directory that holds DST (its own name, fsynced there by --fsync).
	if re.search(re.escape(os.path.dirname(dst)) + r"'?:", stderr):
		out.add(".")
	return out


def excused(rel, names, links):
	if "." in names:
		return True
	parts = rel.split("/")
	for i in range(1, len(parts) + 1):
		if "/".join(parts[:i]) in names:
			return True
	return any(o in names for o in links.get(rel, ()))


def meta(st):
	m = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
	if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
		m += (st.st_mtime_ns,)
	return m


def main(src, old, dst, errfile, rc):
	bad = []
	checks = 0
	with open(errfile, errors="replace") as f:
		stderr = f.read()
	rc = int(rc)
	checks += 1
	if rc == 124:
		bad.append("hang: killed by the time limit")
	elif rc not in (0, 1):
		bad.append("exit status %d (a signal is 128+N)" % rc)
	checks += 1
	if re.search(r"Sanitizer|runtime error:|BUG", stderr):
		bad.append("crash report: %s" % stderr.strip()[:300])
	names = named(stderr, src, dst)
	# A failed close of stdout is "pcopy: write error: ..." (coreutils'
	# close_stdout): it names no path, and nothing else is missing.
	stdout_err = re.search(r"^pcopy: write error: ", stderr, re.M) is not None
	checks += 1
	if rc == 1 and not names and not stdout_err:
		bad.append("exit 1 but no message names a path: %r" % stderr.strip()[:300])
	if rc == 0 and "pcopy:" in stderr:
		bad.append("exit 0 with an error message: %r" % stderr.strip()[:300])
	s, o, d = walk(src), walk(old), walk(dst)
	by_ino = {}
	for rel, st in s.items():
		if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
			by_ino.setdefault(st.st_ino, []).append(rel)
	links = {r: g for g in by_ino.values() for r in g}
	for rel, st in d.items():
		checks += 1
		if os.path.basename(rel).startswith(".pcopy."):
			bad.append("temporary left: %s" % rel)
		elif re.search(r"\.pcopy-(journal|partial)$", rel):
			# A resume file holds no data under a final name; one left
			# behind must have been said (RC 1, "cannot remove 'it'").
			if rc == 0 or rel not in stderr:
				bad.append("resume file left unsaid: %s" % rel)
		elif stat.S_ISREG(st.st_mode):
			h = sha(os.path.join(dst, rel))
			ok = [sha(os.path.join(t, rel)) for t, m in ((src, s), (old, o))
			      if rel in m and stat.S_ISREG(m[rel].st_mode)]
			if h not in ok:
				bad.append("partial or foreign file: %s" % rel)
	for rel, st in s.items():
		if excused(rel, names, links):
			continue
		checks += 1
		if rel not in d:
			bad.append("not copied, and no message names it: %s" % rel)
			continue
		p = os.path.join(dst, rel)
		if meta(d[rel]) != meta(st):
			bad.append("wrong type or metadata: %s %r != %r" % (rel, meta(d[rel]), meta(st)))
		elif stat.S_ISLNK(st.st_mode) and os.readlink(p) != os.readlink(os.path.join(src, rel)):
			bad.append("wrong symlink target: %s" % rel)
		elif stat.S_ISREG(st.st_mode) and sha(p) != sha(os.path.join(src, rel)):
			bad.append("wrong data: %s" % rel)
	for b in bad:
		print(b)
	print("checks %d violations %d" % (checks, len(bad)))
	return 1 if bad else 0


if __name__ == "__main__":
	if len(sys.argv) != 6:
		sys.exit("usage: inject_check.py SRC OLD DST STDERR RC")
	sys.exit(main(*sys.argv[1:]))
