# SPDX-License-Identifier: MIT
"""The benchmark's check of a copy: a manifest of a tree (types, modes,
owners, nanosecond mtimes, symlink targets, hard-link groups and, with
content, the SHA-256 of every file) and the differences of two manifests."""

import hashlib
import os

MiB = 1024**2

# ---------------------------------------------------------------- verification

S_IFMT = 0o170000
TYPES = {0o040000: "d", 0o100000: "f", 0o120000: "l", 0o010000: "p",
         0o140000: "s", 0o020000: "c", 0o060000: "b"}


def manifest(root, content):
    """{relative path: {field: value}} for the tree at ROOT, and its allocation."""
    ents = {}
    groups = {}
    alloc = 0
    stack = [b""]
    rootb = os.fsencode(root)
    while stack:
        rel = stack.pop()
        path = os.path.join(rootb, rel) if rel else rootb
        st = os.lstat(path)
        t = TYPES.get(st.st_mode & S_IFMT, "?")
        e = {"type": t, "mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid}
        alloc += st.st_blocks * 512
        if t == "l":
            e["target"] = os.readlink(path)
            e["lmtime"] = st.st_mtime_ns
        else:
            e["mtime"] = st.st_mtime_ns
        if t == "f":
            e["size"] = st.st_size
            if st.st_nlink > 1:
                groups.setdefault((st.st_dev, st.st_ino), []).append(rel)
            if content:
                h = hashlib.sha256()
                with open(path, "rb", buffering=0) as f:
                    while True:
                        b = f.read(4 * MiB)
                        if not b:
                            break
                        h.update(b)
                e["hash"] = h.hexdigest()
        if t in "bc":
            e["rdev"] = st.st_rdev
        ents[rel or b"."] = e
        if t == "d":
            with os.scandir(path) as it:
                for d in it:
                    stack.append(os.path.join(rel, d.name) if rel else d.name)
    for paths in groups.values():
        leader = min(paths)
        for p in paths:
            ents[p]["link"] = leader
    for e in ents.values():
        if e["type"] == "f":
            e.setdefault("link", None)
    return ents, alloc


def compare(ref, got, ignore=(), coarse=()):
    """Differences between two manifests, as a list of short strings."""
    diffs = []
    for p in sorted(set(ref) - set(got))[:5]:
        diffs.append(f"missing {os.fsdecode(p)}")
    missing = len(set(ref) - set(got))
    extra = sorted(set(got) - set(ref))
    for p in extra[:5]:
        diffs.append(f"extra {os.fsdecode(p)}")
    nfield = {}
    for p in ref.keys() & got.keys():
        a, b = ref[p], got[p]
        for k in a.keys() | b.keys():
            if k in ignore or a.get(k) == b.get(k):
                continue
            if k in coarse and a.get(k) is not None and b.get(k) is not None \
                    and a[k] // 10**9 == b[k] // 10**9:
                continue
            nfield[k] = nfield.get(k, 0) + 1
            if nfield[k] <= 3:
                diffs.append(f"{os.fsdecode(p)}: {k} {a.get(k)!r} vs {b.get(k)!r}")
    summary = []
    if missing:
        summary.append(f"{missing} missing")
    if extra:
        summary.append(f"{len(extra)} extra")
    for k, n in sorted(nfield.items()):
        summary.append(f"{n} differ in {k}")
    return summary, diffs
