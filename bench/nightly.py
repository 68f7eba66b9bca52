# SPDX-License-Identifier: MIT
"""The nightly-backup scenario (issue 19), on a tmpfs, warm.

Yesterday's backup is `cp -a` of the kernel tree. Today 1% of its files
changed, 0.5% were deleted and 0.5% added. Timed in alternating pairs:

  update:    pcopy -a -u --delete -T src dst   vs  rsync -aHAX --delete src/ dst/
  link-dest: pcopy -a --link-dest=BASE -T src snap
                                               vs  rsync -aHAX --link-dest=BASE src/ snap/

Each run starts from the same state (dst a fresh `cp -a` of yesterday's
backup, snap absent; not timed). The first pair is checked: pcopy's tree
must equal rsync's (types, modes, owners, times, content, hard links), and
the snapshot must share with BASE exactly the inodes that rsync's shares.
The result goes into bench/results.json under "nightly" and RESULTS.md is
rendered again. Run as root after bench/run has built pcopy:

  python3 bench/nightly.py   (PAIRS=6, BACKENDS, CORPUS=kernel, LOAD_MAX, ON_LOAD
                              as for bench/run)
"""

import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_corpus  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import verify  # noqa: E402

from measure import GiB, MiB, log, sh, remove, run_once, geomean, summarize  # noqa: E402

CHANGED, DELETED, ADDED = 0.01, 0.005, 0.005
TARGET_UPDATE = 0.3


def regular_files(root):
    out = []
    for dp, dns, fns in os.walk(root):
        dns.sort()
        for f in sorted(fns):
            p = os.path.join(dp, f)
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out


def mutate(root, seed):
    """Today's tree: change, delete and add files; return the counts."""
    rng = random.Random(seed)
    files = regular_files(root)
    picked = rng.sample(files, int(len(files) * (CHANGED + DELETED)))
    n_changed = int(len(files) * CHANGED)
    later = time.time() + 3600  # newer than yesterday's backup, so -u and rsync see it
    for i, p in enumerate(picked[:n_changed]):
        with open(p, "r+b") as f:
            data = bytearray(f.read())
            if i % 2 and data:  # same size, other bytes: only the mtime tells
                data[rng.randrange(len(data))] ^= 0x55
            else:
                data += b"/* changed */\n"
            f.seek(0)
            f.write(data)
            f.truncate()
        os.utime(p, (later, later))
    for p in picked[n_changed:]:
        os.unlink(p)
    dirs = sorted({os.path.dirname(p) for p in files if os.path.isdir(os.path.dirname(p))})
    n_added = int(len(files) * ADDED)
    for i in range(n_added):
        d = rng.choice(dirs)
        with open(os.path.join(d, f"nightly-new-{i}.c"), "wb") as f:
            f.write(rng.randbytes(rng.randrange(64, 32 * 1024)))
    return {"files": len(files), "changed": n_changed,
            "deleted": len(picked) - n_changed, "added": n_added}


def update_argv(tool, src, dst, base):
    if tool == "rsync":
        return ["rsync", "-aHAX", "--delete", src + "/", dst + "/"]
    return [measure.PCOPY, "-a", "-u", "--delete", "-B", tool[6:], "-T", src, dst]


def linkdest_argv(tool, src, dst, base):
    if tool == "rsync":
        return ["rsync", "-aHAX", "--link-dest=" + base, src + "/", dst + "/"]
    return [measure.PCOPY, "-a", "--link-dest=" + base, "-B", tool[6:], "-T", src, dst]


def shared_inodes(base, snap):
    """Relative paths of SNAP's files that are the same inode as BASE's."""
    out = set()
    for p in regular_files(snap):
        rel = os.path.relpath(p, snap)
        try:
            if os.stat(os.path.join(base, rel)).st_ino == os.stat(p).st_ino:
                out.add(rel)
        except FileNotFoundError:
            pass
    return out


def check(tool, got, ref, base, scenario):
    """Differences between TOOL's tree and rsync's, as a list of strings."""
    a, _ = verify.manifest(ref, True)
    b, _ = verify.manifest(got, True)
    # rsync -X copies no security.* or trusted.* xattrs as pcopy; the kernel
    # tree has none. The root's own mtime is what each run leaves there.
    a.pop(b"", None)
    b.pop(b"", None)
    summary, diffs = verify.compare(a, b)
    if scenario == "linkdest":
        want, have = shared_inodes(base, ref), shared_inodes(base, got)
        if want != have:
            summary.append(f"hard links to BASE: rsync {len(want)}, {tool} {len(have)}, "
                           f"{len(want ^ have)} differ")
    return summary + diffs[:5]


def prepare(scenario, T):
    """The state every run of SCENARIO starts from (not timed)."""
    remove(T["dst"])
    if scenario == "update":
        sh(["cp", "-a", T["base"], T["dst"]])


def run_scenario(scenario, argv_of, tools, T, pairs, out):
    errfile = os.path.join(T["root"], "stderr.txt")
    runs = {t: [] for t in tools}
    for p in range(pairs):
        order = tools if p % 2 == 0 else list(reversed(tools))
        for tool in order:
            prepare(scenario, T)
            r = run_once(tool, T["src"], T["dst"], "tmpfs", errfile,
                         argv=argv_of(tool, T["src"], T["dst"], T["base"]))
            if r.get("error"):
                out.setdefault("failed", {})[tool] = r["error"]
                log(f"nightly/{scenario}: {tool}: FAILED: {r['error']}")
                return
            runs[tool].append(r)
            log(f"nightly/{scenario}: pair {p + 1}/{pairs} {tool}: {r['seconds']:.3f} s "
                f"(cpu {r['cpu']:.2f} s, load {r['load1']:.2f})")
            if p == 0 and tool == "rsync":
                remove(T["ref"])
                os.rename(T["dst"], T["ref"])
            elif p == 0:
                diffs = check(tool, T["dst"], T["ref"], T["base"], scenario)
                out.setdefault("checked", {})[tool] = diffs or "equal to rsync's"
                log(f"nightly/{scenario}: {tool}: " + ("; ".join(diffs) or "equal to rsync's"))
    out["tools"] = {}
    for tool in tools:
        s = summarize(runs[tool])
        s["seconds"] = [r["seconds"] for r in runs[tool]]
        s["cpu"] = [r["cpu"] for r in runs[tool]]
        s["load1"] = [r["load1"] for r in runs[tool]]
        if tool != "rsync":
            s["ratio_to_rsync"] = geomean([a["seconds"] / b["seconds"] for a, b in
                                           zip(runs[tool], runs["rsync"])])
        out["tools"][tool] = s


def main():
    if os.geteuid() != 0:
        sys.exit("nightly: must run as root (it mounts a tmpfs)")
    pairs = int(os.environ.get("PAIRS", "6"))
    backends = os.environ.get("BACKENDS", "thread process uring auto").split()
    tools = ["rsync"] + [f"pcopy-{b}" for b in backends]
    name = os.environ.get("CORPUS", "kernel")  # e.g. sample: a quick look
    corpus, stamp = gen_corpus.ensure(measure.BASE, name, measure.SEED)
    res = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": measure.machine_info(), "pairs": pairs, "corpus": name,
           "target_update_ratio": TARGET_UPDATE}
    mnt = os.path.join(measure.BASE, "tmpfs-nightly")
    os.makedirs(mnt, exist_ok=True)
    if os.path.ismount(mnt):
        sh(["umount", mnt])
    alloc, _ = measure.tree_size(corpus)
    sh(["mount", "-t", "tmpfs", "-o", f"size={int(alloc * 6) + GiB},nr_inodes=0",
        "pcopy-nightly", mnt])
    T = {k: os.path.join(mnt, k) for k in ("src", "base", "dst", "ref")}
    T["root"] = mnt
    try:
        log("nightly: filling the tmpfs")
        sh(["cp", "-a", corpus, T["src"]])
        sh(["cp", "-a", T["src"], T["base"]])
        res["changes"] = mutate(T["src"], measure.SEED)
        log(f"nightly: {res['changes']}")
        measure.drop_caches()
        for scenario, argv_of in (("update", update_argv), ("linkdest", linkdest_argv)):
            out = res.setdefault(scenario, {})
            measure.load_gate("nightly", scenario, out)
            run_scenario(scenario, argv_of, tools, T, pairs, out)
            out["load_after"] = os.getloadavg()
    finally:
        for _ in range(10):
            if os.system(f"umount {mnt}") == 0:
                break
            time.sleep(1)
    res["loadavg_end"] = os.getloadavg()
    try:
        with open(measure.OUT_JSON) as f:
            full = json.load(f)
    except (OSError, ValueError):
        sys.exit(f"nightly: {measure.OUT_JSON} is missing: run bench/run first; result:\n"
                 + json.dumps(res, indent=1, default=str))
    full["nightly"] = res
    with open(measure.OUT_JSON + ".tmp", "w") as f:
        json.dump(full, f, indent=1, default=str)
    os.rename(measure.OUT_JSON + ".tmp", measure.OUT_JSON)
    report.write(full, measure.OUT_MD)
    for sc in ("update", "linkdest"):
        for t, s in res[sc].get("tools", {}).items():
            if "ratio_to_rsync" in s:
                log(f"nightly/{sc}: {t}: {s['ratio_to_rsync']:.3f} of rsync")


if __name__ == "__main__":
    main()
