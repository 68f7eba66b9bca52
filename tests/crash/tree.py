#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Trees and invariant checks for the power-cut tests (tests/crash/run).

  tree.py gen SRC OLD SEED
      SRC: a seeded source tree (small files, files above --chunk-size,
      hard links, sparse files, symlinks, xattrs, nested directories).
      OLD: an older copy of part of it (other bytes and sizes, older
      mtimes), the destination a -u run starts from.
  tree.py check DST SRC OLD|- VLINES FSYNC DONE
      The invariants after a cut and a remount, before any recovery:
      * every entry under its final name is absent, the complete old
        version (OLD) or the complete new copy (SRC): no partial file, no
        foreign bytes, no entry that neither tree has;
      * FSYNC=1: every destination that a flushed -v line (VLINES) had
        reported is present, with its source's data and metadata;
        DONE=1 (the run had exited 0 before the cut): the whole tree is.
      Without --fsync, a file that holds zeros (or is short) where the
      source has data counts as "unsynced", not as a violation: SPEC 9
      promises a complete file after a power cut only with --fsync.
      Prints "checks N violations N temps N unsynced N" last, each
      violation on a line before it; exits 1 on a violation.
"""
import hashlib
import os
import random
import stat
import sys

CHUNK = 64 << 10  # the runs use --chunk-size=64K


def data(rng, size):
	# Seeded bytes, cheap: a random block repeated with a per-file prefix.
	block = rng.randbytes(min(size, 8192) or 1)
	out = bytearray()
	while len(out) < size:
		out += block
		block = block[1:] + block[:1]
	return bytes(out[:size])


def write(path, content, mtime, mode=0o644):
	with open(path, "wb") as f:
		f.write(content)
	os.chmod(path, mode)
	os.utime(path, ns=(mtime, mtime))


def gen(src, old, seed):
	rng = random.Random(seed)
	base = 1_600_000_000 * 10**9
	dirs = ["", "a", "a/b", "a/b/c", "big", "links", "sparse", "m"]
	for d in dirs:
		os.makedirs(os.path.join(src, d), exist_ok=True)
	files = []
	for i in range(rng.randint(60, 90)):
		d = rng.choice(dirs)
		rel = os.path.join(d, "f%03d" % i)
		size = rng.choice([0, 1, 100, 4095, 4096, 4097, rng.randint(1, 20000)])
		files.append((rel, size))
	for i in range(3):  # several chunks each
		files.append(("big/L%d" % i, rng.randint(3 * CHUNK, 24 * CHUNK)))
	for rel, size in files:
		mode = rng.choice([0o644, 0o600, 0o755, 0o444])
		write(os.path.join(src, rel), data(rng, size), base + rng.randint(0, 10**15), mode)
	for i in range(3):  # holes: leading, middle, trailing
		p = os.path.join(src, "sparse", "s%d" % i)
		with open(p, "wb") as f:
			f.truncate(rng.randint(1, 4) << 20)
			for _ in range(2):
				f.seek(rng.randrange(0, 1 << 20, 4096))
				f.write(data(rng, rng.randint(1, 9000)))
		os.utime(p, ns=(base, base + i))
	for i in range(3):  # hard-link groups across directories
		first = os.path.join(src, "a", "h%d" % i)
		write(first, data(rng, rng.randint(1, 70000)), base + i)
		os.link(first, os.path.join(src, "m", "h%d.1" % i))
		if i == 0:
			os.link(first, os.path.join(src, "a/b/c", "h0.2"))
	for i in range(8):
		target = rng.choice(["../a/f001", "nowhere", "a", "/etc/hostname", "x" * 200])
		os.symlink(target, os.path.join(src, "links", "l%d" % i))
	for rel, _ in files[:6]:
		os.setxattr(os.path.join(src, rel), "user.crash", data(rng, 40))
	for d in sorted(dirs, key=len, reverse=True):
		os.utime(os.path.join(src, d), ns=(base, base + len(d)))
	gen_old(src, old, rng, base)


def gen_old(src, old, rng, base):
	"""An older copy: the same names, other bytes (and sizes), older times."""
	for root, dnames, fnames in os.walk(src):
		rel_root = os.path.relpath(root, src)
		os.makedirs(os.path.join(old, rel_root), exist_ok=True)
		for n in fnames:
			rel = os.path.normpath(os.path.join(rel_root, n))
			p = os.path.join(src, rel)
			st = os.lstat(p)
			if st.st_nlink > 1 or rng.random() < 0.3:
				continue
			if stat.S_ISLNK(st.st_mode):
				os.symlink("old-" + os.readlink(p), os.path.join(old, rel))
				os.utime(os.path.join(old, rel), ns=(base - 10**12,) * 2,
					 follow_symlinks=False)
				continue
			size = max(0, st.st_size + rng.choice([-3000, 0, 5000, 70000]))
			write(os.path.join(old, rel), data(rng, min(size, 300000)),
			      base - 10**12, 0o644)


def sha(path):
	h = hashlib.sha256()
	with open(path, "rb") as f:
		for b in iter(lambda: f.read(1 << 20), b""):
			h.update(b)
	return h.hexdigest()


def manifest(top):
	"""rel -> (kind, content id) of every entry below top."""
	out = {}
	if not top or not os.path.isdir(top):
		return out
	for root, dnames, fnames in os.walk(top):
		for n in dnames + fnames:
			p = os.path.join(root, n)
			rel = os.path.relpath(p, top)
			st = os.lstat(p)
			if stat.S_ISDIR(st.st_mode):
				out[rel] = ("dir", None)
			elif stat.S_ISLNK(st.st_mode):
				out[rel] = ("link", os.readlink(p))
			elif stat.S_ISREG(st.st_mode):
				out[rel] = ("file", None)
			else:
				out[rel] = ("other", None)
	return out


def meta(path):
	st = os.lstat(path)
	m = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
	if not stat.S_ISDIR(st.st_mode):
		m += (st.st_size, st.st_mtime_ns)
	if not stat.S_ISLNK(st.st_mode):
		m += (tuple(sorted((x, os.getxattr(path, x)) for x in os.listxattr(path))),)
	return m


class Checker:
	def __init__(self, dst, src, old, fsync):
		self.dst, self.src, self.old, self.fsync = dst, src, old, fsync
		self.checks = self.temps = self.unsynced = 0
		self.bad = []
		self.shas = {}

	def fail(self, msg):
		self.bad.append(msg)

	def content(self, top, rel, kind):
		p = os.path.join(top, rel)
		if kind == "file":
			key = p
			if key not in self.shas:
				self.shas[key] = sha(p)
			return self.shas[key]
		if kind == "link":
			return os.readlink(p)
		return None

	def allowed(self, rel, kind):
		"""The versions an entry may have: the new and the old one."""
		out = []
		for top, m in ((self.src, self.msrc), (self.old, self.mold)):
			if m.get(rel, (None,))[0] == kind:
				out.append(self.content(top, rel, kind))
		return out

	def final_names(self):
		self.msrc, self.mold = manifest(self.src), manifest(self.old)
		for rel, (kind, _) in sorted(manifest(self.dst).items()):
			base = os.path.basename(rel)
			# Temporaries, and the hidden partial and journal of a
			# resumable chunked file: under no final name.
			if base.startswith(".pcopy.") or base.endswith((".pcopy-partial", ".pcopy-journal")):
				self.temps += 1
				continue
			self.checks += 1
			versions = self.allowed(rel, kind)
			if not versions:
				self.fail("foreign entry (%s): %s" % (kind, rel))
			elif kind in ("file", "link") and \
				self.content(self.dst, rel, kind) not in versions:
				if kind == "file" and not self.fsync and self.partial(rel):
					# Without --fsync, SPEC 9 promises nothing across
					# a power cut: data may lag the name and size.
					self.unsynced += 1
				else:
					self.fail("partial or foreign %s: %s" % (kind, rel))

	def partial(self, rel):
		"""Only zeros where SRC has other bytes (data that never hit the disk)."""
		with open(os.path.join(self.dst, rel), "rb") as d, \
			open(os.path.join(self.src, rel), "rb") as s:
			while True:
				a, b = d.read(1 << 16), s.read(1 << 16)
				if not a and not b:
					return True
				if len(a) > len(b):
					return False
				if any(x != y and x != 0 for x, y in zip(a, b)):
					return False

	def durable(self, rel):
		"""rel was reported done before the cut: new data and metadata."""
		self.checks += 1
		d, s = os.path.join(self.dst, rel), os.path.join(self.src, rel)
		if not os.path.lexists(d):
			self.fail("reported done, lost: %s" % rel)
			return
		kind = self.msrc.get(rel, ("?",))[0]
		if kind in ("file", "link") and \
			self.content(self.dst, rel, kind) != self.content(self.src, rel, kind):
			self.fail("reported done, wrong data: %s" % rel)
		elif kind != "dir" and meta(d) != meta(s):
			self.fail("reported done, wrong metadata: %s %r != %r" % (rel, meta(d), meta(s)))


def reported(vlines, dst):
	"""Destination paths (relative to dst) of the flushed -v lines."""
	out = []
	with open(vlines, "rb") as f:
		for line in f.read().decode(errors="replace").splitlines():
			if not line.endswith("'") or " -> '" not in line:
				continue  # the last line may be cut short
			d = line.rsplit(" -> '", 1)[1][:-1]
			rel = os.path.relpath(d, dst)
			if rel != ".":
				out.append(rel)
	return out


def check(dst, src, old, vlines, fsync, done):
	c = Checker(dst, src, None if old == "-" else old, fsync == "1")
	c.final_names()
	if fsync == "1":
		names = c.msrc.keys() if done == "1" else reported(vlines, dst)
		for rel in names:
			c.durable(rel)
	for b in c.bad[:40]:
		print(b)
	print("checks %d violations %d temps %d unsynced %d" %
	      (c.checks, len(c.bad), c.temps, c.unsynced))
	return 1 if c.bad else 0


if __name__ == "__main__":
	if sys.argv[1] == "gen":
		gen(sys.argv[2], sys.argv[3], int(sys.argv[4]))
	elif sys.argv[1] == "check":
		sys.exit(check(*sys.argv[2:8]))
	else:
		sys.exit("usage: tree.py gen SRC OLD SEED | check DST SRC OLD VLINES FSYNC DONE")
