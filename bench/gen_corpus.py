#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the benchmark corpora of pcopy, reproducibly from a seed.

    gen_corpus.py [--dir DIR] [--seed N] CORPUS...

CORPUS is one of: kernel small flat large mixed million sample.
Each corpus is written to DIR/corpora/NAME (DIR defaults to
$PCOPY_BENCH_DIR or /var/tmp/pcopy-bench) through NAME.partial, and a stamp
file NAME.stamp records the generator version, the seed and the parameters.
A corpus whose stamp matches is reused as it is; one whose stamp is missing
or different is removed and generated again.

Everything but `kernel` comes from random.Random(seed + corpus salt):
names, sizes, modes, owners, nanosecond mtimes and file contents, so two
runs with the same seed produce identical trees.  `kernel` is Debian's
linux-source-6.1 tarball, extracted.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

GEN_VERSION = 3
KERNEL_TARBALL = "/usr/src/linux-source-6.1.tar.xz"

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# What each corpus is; the parameters go into the stamp.
PARAMS = {
    "kernel": {"tarball": KERNEL_TARBALL},
    # 20 top directories x 20 leaf directories = 400 leaf dirs, 250 files each.
    "small": {"files": 100_000, "top": 20, "leaf": 20, "min": 0, "max": 16 * KiB},
    # 100,000 files in one directory.
    "flat": {"files": 100_000, "min": 0, "max": 4 * KiB},
    # 4 x 1 GiB of random data.
    "large": {"files": 4, "size": 1 * GiB},
    "mixed": {
        "small_files": 20_000, "small_dirs": 40, "small_max": 16 * KiB,
        "medium_files": 200, "medium_min": 64 * KiB, "medium_max": 8 * MiB,
        "big": 1 * GiB,
        "sparse_files": 4, "sparse_min": 256 * MiB, "sparse_max": 1 * GiB,
        "sparse_extents": 16,
        "hardlink_groups": 200, "symlinks": 300, "empty_dirs": 100,
    },
    # 1,000,000 entries: 1,000 dirs x 1,000 files, 90% empty, 10% 1-512 bytes.
    "million": {"dirs": 1000, "per_dir": 1000, "nonempty": 0.10, "max": 512},
    # The tree that strace counts system calls on: 2,000 small files.
    "sample": {"files": 2000, "dirs": 10, "min": 0, "max": 16 * KiB},
}
SALT = {name: i * 1_000_003 for i, name in enumerate(sorted(PARAMS))}

FILE_MODES = [0o644] * 8 + [0o600, 0o640, 0o755, 0o444]
DIR_MODES = [0o755] * 6 + [0o750, 0o700]
MTIME_BASE = 1_500_000_000  # 2017-07-14


class Gen:
    """Deterministic helpers shared by the generators."""

    def __init__(self, seed, pool_size=64 * MiB):
        self.rng = random.Random(seed)
        # Small files take their bytes from a random pool at a random
        # offset: cheap, deterministic, and not compressible or dedupable
        # in any way a copier could exploit.
        self.pool = memoryview(self.rng.randbytes(pool_size))
        self.dirs = []  # (path, mode, mtime_ns) set post-order at the end

    def mtime(self):
        return MTIME_BASE * 10**9 + self.rng.randrange(200_000_000 * 10**9)

    def write_small(self, path, size, mode=None):
        mode = self.rng.choice(FILE_MODES) if mode is None else mode
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            if size:
                off = self.rng.randrange(len(self.pool) - size)
                os.write(fd, self.pool[off:off + size])
        finally:
            os.close(fd)
        t = self.mtime()
        os.utime(path, ns=(t, t), follow_symlinks=False)

    def write_random(self, path, size, mode=0o644, seed=None):
        """size bytes of a seeded random stream (large files)."""
        r = random.Random(seed if seed is not None else self.rng.randrange(2**63))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            left = size
            while left:
                n = min(left, 4 * MiB)
                os.write(fd, r.randbytes(n))
                left -= n
        finally:
            os.close(fd)
        t = self.mtime()
        os.utime(path, ns=(t, t))

    def mkdir(self, path, mode=None):
        os.mkdir(path, 0o755)
        self.dirs.append((path, self.rng.choice(DIR_MODES) if mode is None else mode,
                          self.mtime()))

    def finish_dirs(self):
        # Deepest first, so setting a child's time does not change its parent's.
        for path, mode, t in sorted(self.dirs, key=lambda d: -d[0].count("/")):
            os.chmod(path, mode)
            os.utime(path, ns=(t, t))


def gen_kernel(root, p, seed):
    if not os.path.exists(p["tarball"]):
        sys.exit(f"gen_corpus: {p['tarball']} is missing "
                 "(apt-get install -y linux-source-6.1)")
    os.makedirs(root)
    subprocess.run(["tar", "-C", root, "--strip-components=1", "-xf", p["tarball"]],
                   check=True)


def gen_tree(root, p, seed, leaf_names):
    g = Gen(seed)
    g.mkdir(root, 0o755)
    dirs = []
    for top, leaves in leaf_names:
        d = os.path.join(root, top)
        g.mkdir(d)
        for leaf in leaves:
            dl = os.path.join(d, leaf)
            g.mkdir(dl)
            dirs.append(dl)
    per = p["files"] // len(dirs)
    for d in dirs:
        for i in range(per):
            g.write_small(os.path.join(d, f"f{i:05d}"), g.rng.randint(p["min"], p["max"]))
    g.finish_dirs()


def gen_small(root, p, seed):
    gen_tree(root, p, seed, [(f"d{t:02d}", [f"s{s:02d}" for s in range(p["leaf"])])
                             for t in range(p["top"])])


def gen_sample(root, p, seed):
    gen_tree(root, p, seed, [("sample", [f"s{s:02d}" for s in range(p["dirs"])])])


def gen_flat(root, p, seed):
    g = Gen(seed)
    g.mkdir(root, 0o755)
    for i in range(p["files"]):
        g.write_small(os.path.join(root, f"file-{i:06d}"), g.rng.randint(p["min"], p["max"]))
    g.finish_dirs()


def gen_large(root, p, seed):
    g = Gen(seed, pool_size=MiB)
    g.mkdir(root, 0o755)
    for i in range(p["files"]):
        g.write_random(os.path.join(root, f"large-{i}.bin"), p["size"], seed=seed * 100 + i)
    g.finish_dirs()


def gen_million(root, p, seed):
    g = Gen(seed, pool_size=MiB)
    g.mkdir(root, 0o755)
    for d in range(p["dirs"]):
        dp = os.path.join(root, f"d{d:04d}")
        g.mkdir(dp)
        for i in range(p["per_dir"]):
            size = g.rng.randint(1, p["max"]) if g.rng.random() < p["nonempty"] else 0
            g.write_small(os.path.join(dp, f"f{i:04d}"), size)
    g.finish_dirs()


def gen_mixed(root, p, seed):
    g = Gen(seed)
    r = g.rng
    g.mkdir(root, 0o755)
    # Small files in a two-level tree.
    small = os.path.join(root, "small")
    g.mkdir(small)
    sdirs = []
    for i in range(p["small_dirs"]):
        d = os.path.join(small, f"d{i:02d}")
        g.mkdir(d)
        sdirs.append(d)
    small_files = []
    for i in range(p["small_files"]):
        f = os.path.join(sdirs[i % len(sdirs)], f"f{i:05d}.txt")
        g.write_small(f, r.randint(0, p["small_max"]))
        small_files.append(f)
    # Medium files, log-uniform sizes.
    med = os.path.join(root, "medium")
    g.mkdir(med)
    lo, hi = p["medium_min"], p["medium_max"]
    for i in range(p["medium_files"]):
        size = int(lo * (hi / lo) ** r.random())
        g.write_random(os.path.join(med, f"m{i:03d}.dat"), size, r.choice(FILE_MODES))
    # One big file.
    g.write_random(os.path.join(root, "big.bin"), p["big"])
    # Sparse files: large holes, a few data extents, sometimes a hole at the end.
    sp = os.path.join(root, "sparse")
    g.mkdir(sp)
    for i in range(p["sparse_files"]):
        path = os.path.join(sp, f"sparse-{i}.img")
        size = r.randrange(p["sparse_min"], p["sparse_max"]) // 4096 * 4096
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            for _ in range(p["sparse_extents"]):
                n = r.randrange(64 * KiB, 1 * MiB)
                off = r.randrange(0, size - n) // 4096 * 4096
                os.pwrite(fd, r.randbytes(n), off)
            os.ftruncate(fd, size)
        finally:
            os.close(fd)
        t = g.mtime()
        os.utime(path, ns=(t, t))
    # Hard-link groups of 2-4 names, across directories.
    ln = os.path.join(root, "links")
    g.mkdir(ln)
    ldirs = []
    for i in range(8):
        d = os.path.join(ln, f"l{i}")
        g.mkdir(d)
        ldirs.append(d)
    for i in range(p["hardlink_groups"]):
        first = os.path.join(ldirs[i % len(ldirs)], f"hl{i:03d}-0")
        g.write_small(first, r.randint(0, p["small_max"]))
        for k in range(1, r.randint(2, 4)):
            where = r.choice(ldirs + sdirs[:4])
            os.link(first, os.path.join(where, f"hl{i:03d}-{k}"))
    # Symlinks: to files, to directories, dangling, absolute.
    sl = os.path.join(root, "symlinks")
    g.mkdir(sl)
    for i in range(p["symlinks"]):
        kind = i % 4
        if kind == 0:
            target = os.path.relpath(r.choice(small_files), sl)
        elif kind == 1:
            target = os.path.relpath(r.choice(sdirs), sl)
        elif kind == 2:
            target = f"does/not/exist-{i}"
        else:
            target = "/etc/hostname"
        link = os.path.join(sl, f"link{i:03d}")
        os.symlink(target, link)
        t = g.mtime()
        os.utime(link, ns=(t, t), follow_symlinks=False)
    # Empty directories, some nested.
    ed = os.path.join(root, "empty")
    g.mkdir(ed)
    for i in range(p["empty_dirs"]):
        parent = ed if i % 10 == 0 else os.path.join(ed, f"e{i - i % 10:03d}")
        g.mkdir(os.path.join(parent, f"e{i:03d}"))
    # Some entries owned by other users (root preserves them; cp -a as well).
    for f in small_files[::40]:
        os.lchown(f, 1000, 1000)
    for f in small_files[7::97]:
        os.lchown(f, 0, 100)
    g.finish_dirs()


GENERATORS = {
    "kernel": gen_kernel, "small": gen_small, "flat": gen_flat, "large": gen_large,
    "mixed": gen_mixed, "million": gen_million, "sample": gen_sample,
}


def stamp_for(name, seed):
    return {"generator": GEN_VERSION, "corpus": name,
            "seed": seed if name != "kernel" else None, "params": PARAMS[name]}


def tree_stats(root):
    files = dirs = other = 0
    size = 0
    for dp, dns, fns in os.walk(root):
        dirs += 1
        for f in fns:
            st = os.lstat(os.path.join(dp, f))
            if (st.st_mode & 0o170000) == 0o100000:
                files += 1
                size += st.st_size
            else:
                other += 1
        for d in dns:
            if os.path.islink(os.path.join(dp, d)):
                other += 1
    return {"files": files, "dirs": dirs, "other": other, "bytes": size}


def ensure(base, name, seed, quiet=False):
    """Return the path of corpus NAME, generating it if its stamp differs."""
    corpora = os.path.join(base, "corpora")
    os.makedirs(corpora, exist_ok=True)
    root = os.path.join(corpora, name)
    stamp_path = root + ".stamp"
    want = stamp_for(name, seed)
    try:
        with open(stamp_path) as f:
            have = json.load(f)
        if {k: have.get(k) for k in want} == want and os.path.isdir(root):
            return root, have
    except (OSError, ValueError):
        pass
    partial = root + ".partial"
    for p in (stamp_path, root, partial):
        if os.path.lexists(p):
            if os.path.isdir(p) and not os.path.islink(p):
                subprocess.run(["rm", "-rf", "--", p], check=True)
            else:
                os.unlink(p)
    if not quiet:
        print(f"gen_corpus: generating {name} in {root} ...", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    old = os.umask(0)
    try:
        GENERATORS[name](partial, PARAMS[name], seed + SALT[name])
    finally:
        os.umask(old)
    os.sync()
    os.rename(partial, root)
    stats = tree_stats(root)
    want.update(stats)
    want["generated_in_s"] = round(time.monotonic() - t0, 1)
    with open(stamp_path + ".tmp", "w") as f:
        json.dump(want, f, indent=1)
    os.rename(stamp_path + ".tmp", stamp_path)
    if not quiet:
        print(f"gen_corpus: {name}: {stats['files']} files, {stats['dirs']} dirs, "
              f"{stats['other']} other, {stats['bytes'] / GiB:.2f} GiB "
              f"in {want['generated_in_s']} s", file=sys.stderr, flush=True)
    return root, want


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.environ.get("PCOPY_BENCH_DIR", "/var/tmp/pcopy-bench"))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "20240801")))
    ap.add_argument("corpus", nargs="+", choices=sorted(GENERATORS))
    a = ap.parse_args()
    for name in a.corpus:
        root, st = ensure(a.dir, name, a.seed)
        print(root)


if __name__ == "__main__":
    main()
