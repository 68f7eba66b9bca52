#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pcopy benchmark driver: times pcopy against cp -a, rsync -a and tar | tar.

Run it through bench/run (which installs what is needed and builds pcopy);
every setting comes from the environment, see bench/README.md.

For every (mode, corpus) of the plan:
  1. the source is put in place (tmpfs: a tmpfs of our own, filled from the
     corpus on disk; disk: the corpus on ext4 itself);
  2. warm-up: each tool copies once, untimed; its exit status is checked and
     its output is compared with cp -a's (paths, types, modes, owners,
     nanosecond mtimes, symlink targets, hard-link groups and, with
     VERIFY=content, every byte).  A tool that fails or differs is reported
     as failed and is not timed;
  3. PAIRS rounds; in each, every tool runs paired with cp -a, tool first in
     even rounds and cp first in odd ones, and the tools' order rotates from
     round to round, so that drift on a shared machine hits all alike.  The
     figure is the geometric mean of the per-pair ratios tool/cp.
In disk mode every timed run starts after sync and drop_caches, and its
timed region ends with sync(2).  The destination is removed outside the
timed region.
"""

import copy
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import counts  # noqa: E402
from verify import compare, manifest  # noqa: E402
import gen_corpus  # noqa: E402
from targets import LOAD_MAX, MIN_PAIRS_TMPFS, evaluate_targets  # noqa: E402

KiB, MiB, GiB = 1024, 1024**2, 1024**3

ENV = os.environ
BASE = ENV.get("PCOPY_BENCH_DIR", "/var/tmp/pcopy-bench")
REPO = ENV.get("PCOPY_REPO", os.path.dirname(HERE))
PCOPY = ENV.get("PCOPY", os.path.join(BASE, "build-pcopy", "pcopy"))
PAIRS = int(ENV.get("PAIRS", "8"))
SEED = int(ENV.get("SEED", "20240801"))
VERIFY = ENV.get("VERIFY", "content")          # content | meta | none
TIMEOUT = float(ENV.get("TIMEOUT", "1800"))
SYSCALLS = ENV.get("SYSCALLS", "1") != "0"
CALLGRIND = ENV.get("CALLGRIND", "1") != "0"
# Load above LOAD_MAX before a cell: wait up to LOAD_WAIT seconds for it to
# settle (the benchmark's own last cell counts too), then ON_LOAD=refuse
# stops the run, ON_LOAD=mark times the cell and marks it not valid.
ON_LOAD = ENV.get("ON_LOAD", "refuse")
LOAD_WAIT = float(ENV.get("LOAD_WAIT", "600"))
OUT_MD = ENV.get("OUT_MD", os.path.join(HERE, "RESULTS.md"))
OUT_JSON = ENV.get("OUT_JSON", os.path.join(HERE, "results.json"))
TOOLS_FILTER = ENV.get("TOOLS", "").split()
BACKENDS = ENV.get("BACKENDS", "thread process uring").split()
# MERGE=1: add this run's corpora to the results already in OUT_JSON (e.g.
# the 1,000,000-entry check after the main run) instead of replacing them.
MERGE = ENV.get("MERGE", "0") != "0"

ALL_CORPORA = ["kernel", "small", "flat", "large", "mixed"]
ALL_MODES = ["tmpfs", "disk"]
DEFAULT_PAIRS = 8

# Fields a baseline tool keeps only to the second (the GNU tar format).
COARSE = {
    "tar": {"mtime": "mtimes to whole seconds (GNU tar format)",
            "lmtime": "mtimes to whole seconds (GNU tar format)"},
}
# Untimed warm-up run per tool, by mode (disk runs are cold anyway; there
# the first timed run of each tool is the one that is verified).
WARMUP = {"tmpfs": ENV.get("WARMUP_TMPFS", "1") != "0",
          "disk": ENV.get("WARMUP_DISK", "0") != "0"}

LABELS = {
    "cp": "cp -a", "rsync": "rsync -a", "tar": "tar | tar",
    "xcp": "xcp -r", "fcp": "fcp",
}
# Fields a baseline tool is known not to keep, by design of the command
# line the issue prescribes; a difference there is a note, not a failure.
KNOWN_DIFFS = {
    "rsync": {"link": "rsync -a does not keep hard links (that needs -H)"},
    "xcp": {"link": "no hard links", "uid": "no ownership", "gid": "no ownership",
            "lmtime": "symlink times"},
    "fcp": {"link": "no hard links", "uid": "no ownership", "gid": "no ownership",
            "mode": "no modes", "mtime": "no times", "lmtime": "no times"},
}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def out(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# ---------------------------------------------------------------- tools

def tool_argv(tool, src, dst):
    if tool == "cp":
        return ["cp", "-a", src, dst]
    if tool == "rsync":
        return ["rsync", "-a", src + "/", dst + "/"]
    if tool == "tar":
        return ["bash", "-c", 'set -o pipefail; mkdir -- "$2" && '
                'tar -C "$1" -cf - . | tar -C "$2" -xpf -', "tar", src, dst]
    if tool.startswith("pcopy-"):
        backend, _, jobs = tool[6:].partition("-j")
        return [PCOPY, "-a", "-B", backend] + ([f"-j{jobs}"] if jobs else []) + [src, dst]
    if tool == "xcp":
        return ["xcp", "-r", src, dst]
    if tool == "fcp":
        return ["fcp", src, dst]
    raise ValueError(tool)


def label(tool):
    if tool.startswith("pcopy-"):
        backend, _, jobs = tool[6:].partition("-j")
        return f"pcopy -a -B {backend}" + (f" -j{jobs}" if jobs else "")
    return LABELS[tool]


def probe_backends(scratch):
    """Backends of pcopy that copy a tiny tree with exit status 0."""
    src = os.path.join(scratch, "probe-src")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "d"))
    for i in range(3):
        with open(os.path.join(src, "d", f"f{i}"), "w") as f:
            f.write("x" * (i * 1000))
    os.symlink("d/f0", os.path.join(src, "l"))
    ok, why = [], {}
    for b in ["auto"] + BACKENDS:
        dst = os.path.join(scratch, "probe-dst")
        shutil.rmtree(dst, ignore_errors=True)
        try:
            r = subprocess.run([PCOPY, "-a", "-B", b, src, dst], capture_output=True,
                               text=True, timeout=60)
            if r.returncode == 0 and os.path.exists(os.path.join(dst, "d", "f2")):
                ok.append(b)
            else:
                why[b] = f"exit {r.returncode}: {(r.stderr.strip().splitlines() or [''])[-1]}"
        except (OSError, subprocess.SubprocessError) as e:
            why[b] = str(e)
        shutil.rmtree(dst, ignore_errors=True)
    shutil.rmtree(src, ignore_errors=True)
    # auto goes last, so that it is easy to compare with the explicit ones.
    if "auto" in ok:
        ok.remove("auto")
        ok.append("auto")
    return ok, why


def find_tools(scratch):
    tools = ["cp", "rsync", "tar"]
    backends, why = probe_backends(scratch)
    tools += [f"pcopy-{b}" for b in backends]
    for extra in ("xcp", "fcp"):
        if shutil.which(extra):
            tools.append(extra)
    if TOOLS_FILTER:
        tools = [t for t in tools if t == "cp" or t in TOOLS_FILTER]
    return tools, backends, why


# ---------------------------------------------------------------- running

def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def remove(path):
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", path], check=True)


def run_once(tool, src, dst, mode, errfile, argv=None):
    """Run TOOL once (dst must not exist), or the command ARGV under TOOL's
    name; return a dict of measurements.

    The tool runs under GNU time, which reports its CPU time, peak RSS and
    context switches: the rusage of a child spawned straight from Python
    would count Python's own RSS (the child starts as a copy of it).
    """
    argv = argv or tool_argv(tool, src, dst)
    timefile = errfile + ".time"
    t_prep = time.perf_counter()
    if mode == "disk":
        drop_caches()
    t_prep = time.perf_counter() - t_prep
    load = os.getloadavg()[0]
    full = ["/usr/bin/time", "-o", timefile, "-f", "%e %U %S %M %w %c", "--"] + argv
    t0 = time.perf_counter()
    pid = os.posix_spawn(full[0], full, dict(ENV), setpgroup=0, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, errfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ])
    timed_out = []

    def kill():
        timed_out.append(1)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    timer = threading.Timer(TIMEOUT, kill)
    timer.start()
    _, status = os.waitpid(pid, 0)
    timer.cancel()
    t_tool = time.perf_counter()
    if mode == "disk":
        os.sync()
    t1 = time.perf_counter()
    rc = os.waitstatus_to_exitcode(status)
    try:
        with open(timefile) as f:
            e, u, sy, rss, vcs, ics = f.read().strip().splitlines()[-1].split()
        u, sy, rss, vcs, ics = float(u), float(sy), int(rss), int(vcs), int(ics)
    except (OSError, ValueError, IndexError):
        u = sy = 0.0
        rss = vcs = ics = 0
    r = {"tool": tool, "seconds": t1 - t0, "tool_seconds": t_tool - t0,
         "sync_seconds": t1 - t_tool, "user": u, "sys": sy,
         "cpu": u + sy, "maxrss_kib": rss,
         "nvcsw": vcs, "nivcsw": ics, "exit": rc, "load1": load,
         "prep_seconds": t_prep}
    if timed_out:
        r["error"] = f"timed out after {TIMEOUT:.0f} s"
    elif rc != 0:
        try:
            with open(errfile, errors="replace") as f:
                tail = [ln for ln in f.read().strip().splitlines()
                        if not ln.startswith("Command exited with")][-3:]
        except OSError:
            tail = []
        r["error"] = f"exit status {rc}" + (": " + " | ".join(tail) if tail else "")
    return r


# ---------------------------------------------------------------- statistics

def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def summarize(runs):
    s = [r["seconds"] for r in runs]
    return {"n": len(s), "min": min(s), "median": statistics.median(s), "max": max(s),
            "cpu_median": statistics.median(r["cpu"] for r in runs),
            "user_median": statistics.median(r["user"] for r in runs),
            "sys_median": statistics.median(r["sys"] for r in runs),
            "maxrss_mib": max(r["maxrss_kib"] for r in runs) / 1024,
            "nvcsw_median": statistics.median(r["nvcsw"] for r in runs),
            "nivcsw_median": statistics.median(r["nivcsw"] for r in runs),
            "sync_median": statistics.median(r["sync_seconds"] for r in runs)}


# ---------------------------------------------------------------- one corpus

def tree_size(root):
    """(allocated bytes, apparent bytes) of a tree."""
    alloc = int(out(["du", "-s", "-B1", root]).split()[0])
    app = int(out(["du", "-s", "-B1", "--apparent-size", root]).split()[0])
    return alloc, app


def bench_corpus(mode, corpus, corpus_root, tools, result):
    work = os.path.join(BASE, "work")
    os.makedirs(work, exist_ok=True)
    mnt = None
    if mode == "tmpfs":
        alloc, app = tree_size(corpus_root)
        need = alloc + app
        avail = meminfo("MemAvailable")
        if need + 2 * GiB > avail:
            result["error"] = (f"needs {need / GiB:.1f} GiB of tmpfs, only "
                               f"{avail / GiB:.1f} GiB of memory available")
            log(f"{mode}/{corpus}: skipped: {result['error']}")
            return
        mnt = os.path.join(BASE, "tmpfs")
        os.makedirs(mnt, exist_ok=True)
        if os.path.ismount(mnt):
            sh(["umount", mnt])
        size = int(need * 1.1) + 512 * MiB
        sh(["mount", "-t", "tmpfs", "-o", f"size={size},nr_inodes=0,mode=0755",
            "pcopy-bench", mnt])
        result["tmpfs_size"] = size
        src = os.path.join(mnt, "src")
        dst = os.path.join(mnt, "dst")
    else:
        src = corpus_root
        dst = os.path.join(work, "dst")
    errfile = os.path.join(work, "stderr.txt")
    try:
        if mnt:
            log(f"{mode}/{corpus}: filling tmpfs ({alloc / GiB:.2f} GiB)")
            fill(corpus_root, src, corpus)
            # Free the page cache once (tmpfs pages stay): allocating the
            # destination's pages must not start with direct reclaim, which
            # made single runs of any tool several times slower.
            drop_caches()
        _bench(mode, corpus, src, dst, tools, errfile, result)
    finally:
        remove(dst)
        if mnt:
            for _ in range(10):
                if subprocess.run(["umount", mnt]).returncode == 0:
                    break
                time.sleep(1)
            else:
                subprocess.run(["umount", "-l", mnt])


def fill(corpus_root, src, corpus):
    """Copy the corpus into the tmpfs: cp -a, one process per top-level entry
    in parallel (the source is usually cold, and one reader at a time is
    slow on a virtual disk) unless the corpus has hard links across them."""
    if corpus == "mixed":
        sh(["cp", "-a", "--", corpus_root, src])
        return
    os.mkdir(src)
    names = sorted(os.listdir(corpus_root))
    procs = []
    # Batches of names per cp (flat has 100,000 files at the top: one cp
    # each took 25 minutes), at most 8 cp at a time.
    step = max(1, min(2000, -(-len(names) // 8)))
    for i in range(0, len(names), step):
        procs.append(subprocess.Popen(["cp", "-a", "-t", src, "--"]
                                      + [os.path.join(corpus_root, n) for n in names[i:i + step]]))
        while len([p for p in procs if p.poll() is None]) >= 8:
            time.sleep(0.05)
    if any(p.wait() for p in procs):
        raise RuntimeError("filling the tmpfs failed")
    st = os.stat(corpus_root)
    os.chown(src, st.st_uid, st.st_gid)
    os.chmod(src, st.st_mode & 0o7777)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))


class LoadRefused(Exception):
    pass


def load_gate(mode, corpus, result):
    """Before a cell's first run: wait for the 1-minute load average to be
    at most LOAD_MAX; record it. Above it after LOAD_WAIT seconds, refuse
    (ON_LOAD=refuse) or mark the cell not valid (ON_LOAD=mark)."""
    t0 = time.monotonic()
    said = False
    while os.getloadavg()[0] > LOAD_MAX and time.monotonic() - t0 < LOAD_WAIT:
        if not said:
            log(f"{mode}/{corpus}: load {os.getloadavg()[0]:.2f} > {LOAD_MAX:.1f}: "
                f"waiting up to {LOAD_WAIT:.0f} s for it to settle")
            said = True
        time.sleep(min(5, LOAD_WAIT))
    load = os.getloadavg()
    result["load_before"] = load
    result["load_waited_seconds"] = round(time.monotonic() - t0, 1)
    result["load_max"] = LOAD_MAX
    result["valid"] = True
    result["not_valid"] = []
    if load[0] <= LOAD_MAX:
        log(f"{mode}/{corpus}: load {load[0]:.2f} <= {LOAD_MAX:.1f}: timing")
        return
    why = f"load {load[0]:.2f} before the cell"
    result["valid"] = False
    result["not_valid"].append(why)
    if ON_LOAD != "mark":
        result["error"] = (f"refused: {why} (after waiting {LOAD_WAIT:.0f} s; "
                           "ON_LOAD=mark times it anyway, marked not valid)")
        raise LoadRefused(result["error"])
    log(f"{mode}/{corpus}: {why}: timing anyway (ON_LOAD=mark), every figure not valid")


def _bench(mode, corpus, src, dst, tools, errfile, result):
    content = VERIFY == "content" and corpus != "million"
    warm = WARMUP.get(mode, True)
    result["warmup"] = warm
    load_gate(mode, corpus, result)
    per = result["tools"] = {t: {"label": label(t), "runs": []} for t in tools}
    st = {"ref": None, "pending": {}}

    def fail(tool, why):
        per[tool]["failed"] = why
        # Never report timings of a tool that failed or copied wrongly.
        per[tool]["runs"] = []
        per[tool].pop("pair_ratios", None)
        per["cp"]["runs"] = [r for r in per["cp"]["runs"] if r.get("partner") != tool]
        log(f"{mode}/{corpus}: {tool}: FAILED: {why}")

    def check(tool, m, alloc):
        known = KNOWN_DIFFS.get(tool, {})
        coarse = COARSE.get(tool, {})
        summary, diffs = compare(st["ref"], m, ignore=set(known), coarse=set(coarse))
        notes = [f"{k}: {v}" for k, v in known.items()
                 if compare(st["ref"], m, ignore=set(known) - {k}, coarse=set(coarse))[0]
                 != summary]
        notes += [f"{k}: {v}" for k, v in coarse.items()
                  if compare(st["ref"], m, ignore=set(known), coarse=set(coarse) - {k})[0]
                  != summary]
        cp_alloc = per["cp"]["allocated"]
        if alloc > 1.5 * cp_alloc + 64 * MiB:
            notes.append(f"holes not kept ({alloc / MiB:.0f} MiB allocated, "
                         f"cp -a {cp_alloc / MiB:.0f} MiB)")
        per[tool]["notes"] = notes
        if summary:
            per[tool]["diff_examples"] = diffs[:10]
            fail(tool, "output differs from cp -a: " + "; ".join(summary)
                 + " (e.g. " + "; ".join(diffs[:2]) + ")")
            return
        per[tool]["verified"] = {"content": content, "verdict": "equal"}
        log(f"{mode}/{corpus}: {tool}: output equals cp -a's"
            + (f" ({'; '.join(notes)})" if notes else ""))

    def after_run(tool, r):
        """With dst still there, outside the timed region; True if the run counts."""
        ok = True
        if "error" in r:
            fail(tool, r["error"])
            ok = False
        elif VERIFY != "none" and "verified" not in per[tool] and "manifest_done" not in per[tool]:
            per[tool]["manifest_done"] = True
            m, alloc = manifest(dst, content)
            per[tool]["allocated"] = alloc
            if tool == "cp":
                st["ref"] = m
                s_m, s_alloc = manifest(src, content)
                summary, diffs = compare(s_m, m)
                result["source_allocated"] = s_alloc
                result["cp_vs_source"] = {"summary": summary, "examples": diffs[:10]}
                per[tool]["verified"] = {"content": content, "verdict": "reference"}
                for t, (pm, pa) in list(st["pending"].items()):
                    check(t, pm, pa)
                st["pending"].clear()
            elif st["ref"] is None:
                st["pending"][tool] = (m, alloc)
            else:
                check(tool, m, alloc)
            ok = not per[tool].get("failed")
        remove(dst)
        return ok

    remove(dst)
    if warm:
        for tool in tools:
            r = run_once(tool, src, dst, mode, errfile)
            per[tool]["warmup"] = r
            if after_run(tool, r):
                log(f"{mode}/{corpus}: warm-up {tool}: {r['seconds']:.2f} s")
            if tool == "cp" and per["cp"].get("failed"):
                result["error"] = "cp -a failed: " + per["cp"]["failed"]
                return
    # Timed pairs.
    others = [t for t in tools if t != "cp"]
    pairs = int(ENV.get(f"PAIRS_{mode.upper()}", PAIRS))
    result["pairs"] = pairs
    if mode == "tmpfs" and pairs < MIN_PAIRS_TMPFS:
        result["valid"] = False
        result["not_valid"].append(f"{pairs} pair{'s' if pairs != 1 else ''}")
    for p in range(pairs):
        k = p % len(others) if others else 0
        order = others[k:] + others[:k]
        for tool in order:
            if per[tool].get("failed"):
                continue
            pair = [tool, "cp"] if p % 2 == 0 else ["cp", tool]
            got = {}
            for t in pair:
                r = run_once(t, src, dst, mode, errfile)
                r["pair"] = p
                r["partner"] = tool
                if not after_run(t, r):
                    break
                got[t] = r
            if per["cp"].get("failed"):
                result["error"] = "cp -a failed: " + per["cp"]["failed"]
                return
            if per[tool].get("failed") or len(got) < 2:
                continue
            per[tool]["runs"].append(got[tool])
            per["cp"]["runs"].append(got["cp"])
            per[tool].setdefault("pair_ratios", []).append(
                got[tool]["seconds"] / got["cp"]["seconds"])
            if got["cp"]["cpu"] > 0:
                per[tool].setdefault("pair_cpu_ratios", []).append(
                    max(got[tool]["cpu"], 0.005) / got["cp"]["cpu"])
            log(f"{mode}/{corpus}: pair {p + 1}/{pairs} {tool}: "
                f"{got[tool]['seconds']:.2f} s vs cp {got['cp']['seconds']:.2f} s "
                f"= {per[tool]['pair_ratios'][-1]:.3f}")
    result["load_after"] = os.getloadavg()
    result["load_max_during"] = max((x["load1"] for d in per.values() for x in d["runs"]),
                                    default=None)
    for tool, d in per.items():
        d.pop("manifest_done", None)
        if tool in st["pending"]:
            d["verified"] = {"verdict": "not verified (cp -a never completed)"}
        if d["runs"]:
            d["stats"] = summarize(d["runs"])
        if tool == "cp":
            d["ratio"] = 1.0
        elif d.get("pair_ratios") and not d.get("failed"):
            d["ratio"] = geomean(d["pair_ratios"])
            d["ratio_min"] = min(d["pair_ratios"])
            d["ratio_max"] = max(d["pair_ratios"])
            if d.get("pair_cpu_ratios"):
                d["cpu_ratio"] = geomean(d["pair_cpu_ratios"])


# ---------------------------------------------------------------- fio

def fio_direct_write():
    if not shutil.which("fio"):
        return {"error": "fio not installed"}
    work = os.path.join(BASE, "work")
    f = os.path.join(work, "fio.tmp")
    try:
        r = subprocess.run(["fio", "--name=directwrite", "--rw=write", "--direct=1", "--bs=1M",
                            "--size=4G", "--ioengine=libaio", "--iodepth=16", "--end_fsync=1",
                            f"--filename={f}", "--output-format=json"],
                           capture_output=True, text=True, timeout=600)
        j = json.loads(r.stdout[r.stdout.index("{"):])
        bw = j["jobs"][0]["write"]["bw_bytes"]
        return {"bytes_per_s": bw, "cmd": "fio --rw=write --direct=1 --bs=1M --size=4G "
                "--ioengine=libaio --iodepth=16"}
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        return {"error": str(e)}
    finally:
        if os.path.exists(f):
            os.unlink(f)


# ---------------------------------------------------------------- machine

def machine_info():
    mem = meminfo("MemTotal")
    cpu = out(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).strip()
    work_fs = out(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", BASE])
    dev = out(["findmnt", "-n", "-o", "SOURCE", "-T", BASE])
    rot = ""
    if dev.startswith("/dev/"):
        rot = out(["cat", f"/sys/block/{os.path.basename(dev)}/queue/rotational"])
    head = out(["git", "-C", REPO, "rev-parse", "HEAD"])
    porcelain = out(["git", "--no-optional-locks", "-C", REPO, "status", "--porcelain"])
    lines = [ln for ln in porcelain.splitlines() if ln]
    built_from = ENV.get("PCOPY_BUILT_FROM", "")
    if built_from:
        # bench/run built a clean export of this commit (PCOPY_REV):
        # uncommitted work in the tree is not in the binary.
        head, lines = built_from, []
    modified = [ln for ln in lines if not ln.startswith("??")]
    untracked = [ln for ln in lines if ln.startswith("??")]
    sha = ""
    try:
        with open(PCOPY, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()[:16]
    except OSError:
        pass
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / GiB, 1),
        "kernel": platform.release(), "os": out(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
        "disk_fs": work_fs, "disk_rotational": rot, "bench_dir": BASE,
        "pcopy": PCOPY, "pcopy_sha256": sha, "pcopy_version": out([PCOPY, "--version"]).splitlines()[0:1],
        "git_commit": head, "git_dirty": {"modified": len(modified), "untracked": len(untracked)},
        "built_from": "clean export of the commit (PCOPY_REV)" if built_from else "",
        "versions": {
            "cp": out(["cp", "--version"]).splitlines()[0:1],
            "rsync": out(["rsync", "--version"]).splitlines()[0:1],
            "tar": out(["tar", "--version"]).splitlines()[0:1],
            "strace": out(["strace", "-V"]).splitlines()[0:1],
            "python": platform.python_version(),
        },
        "loadavg_start": os.getloadavg(),
    }


# ---------------------------------------------------------------- plan

def parse_plan():
    """[(mode, corpus)] from PLAN="tmpfs:a,b disk:c" or MODES x CORPORA."""
    plan = []
    if ENV.get("PLAN", "").strip():
        for part in ENV["PLAN"].split():
            mode, _, cs = part.partition(":")
            for c in cs.split(","):
                if c:
                    plan.append((mode, c))
    else:
        modes = ENV.get("MODES", " ".join(ALL_MODES)).split()
        corpora = ENV.get("CORPORA", " ".join(ALL_CORPORA)).split()
        plan = [(m, c) for m in modes for c in corpora]
    for m, c in plan:
        if m not in ALL_MODES or c not in gen_corpus.PARAMS:
            sys.exit(f"measure: bad plan entry {m}:{c} (modes: {ALL_MODES}; "
                     f"corpora: {ALL_CORPORA + ['million']})")
    return plan


def is_reduced(plan):
    """What makes this less than the full plan (corpora x modes, every
    tool, content verification): a reduced run."""
    full = {(m, c) for m in ALL_MODES for c in ALL_CORPORA}
    missing = sorted(full - set(plan))
    reasons = []
    if missing:
        reasons.append("not measured: " + ", ".join(f"{c} ({m})" for m, c in missing))
    if VERIFY != "content":
        reasons.append(f"VERIFY={VERIFY}")
    for mode in ALL_MODES:
        only = ENV.get(f"TOOLS_{mode.upper()}", "").split()
        if only and any(m == mode for m, _ in plan):
            reasons.append(f"{mode} mode times only cp -a and " + ", ".join(only))
    if TOOLS_FILTER:
        reasons.append("tools limited to cp -a and " + ", ".join(TOOLS_FILTER))
    return reasons


def fewer_pairs(plan):
    """Modes of the plan timed with fewer pairs than the default: the plan
    may still be full, but its ratios are rougher."""
    reasons = []
    for mode in ALL_MODES:
        if not any(m == mode for m, _ in plan):
            continue
        n = int(ENV.get(f"PAIRS_{mode.upper()}", PAIRS))
        if n < DEFAULT_PAIRS:
            reasons.append(f"{mode}: {n} pair{'s' if n != 1 else ''}")
    return reasons


# ---------------------------------------------------------------- main

def main():
    if os.geteuid() != 0:
        sys.exit("measure: must run as root (mount, drop_caches)")
    if not os.access(PCOPY, os.X_OK):
        sys.exit(f"measure: no pcopy binary at {PCOPY} (set PCOPY=...)")
    plan = parse_plan()
    global MERGE_BASE
    if MERGE:
        try:
            with open(OUT_JSON) as f:
                MERGE_BASE = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"measure: MERGE=1 needs the results to merge into, {OUT_JSON}: {e}")
    os.makedirs(os.path.join(BASE, "work"), exist_ok=True)
    t_start = time.monotonic()
    res = {"machine": machine_info(), "settings": {
        "pairs": PAIRS, "seed": SEED, "verify": VERIFY, "plan": [f"{m}:{c}" for m, c in plan],
        "timeout": TIMEOUT, "load_max": LOAD_MAX, "on_load": ON_LOAD, "load_wait": LOAD_WAIT,
        "min_pairs_tmpfs": MIN_PAIRS_TMPFS}, "corpora": {}, "modes": {}, "syscalls": None, "instructions": None, "fio": None}
    res["settings"]["reduced"] = is_reduced(plan)
    res["settings"]["fewer_pairs"] = fewer_pairs(plan)
    res["settings"]["pairs_by_mode"] = {m: int(ENV.get(f"PAIRS_{m.upper()}", PAIRS))
                                        for m in ALL_MODES if any(pm == m for pm, _ in plan)}
    tools, backends, why = find_tools(os.path.join(BASE, "work"))
    res["tools"] = {t: label(t) for t in tools}
    res["backends"] = {"working": backends, "not_working": why}
    log(f"tools: {', '.join(tools)}; backends not working: {why or 'none'}")

    corpus_roots = {}
    for c in dict.fromkeys(c for _, c in plan):
        root, stamp = gen_corpus.ensure(BASE, c, SEED)
        corpus_roots[c] = root
        res["corpora"][c] = stamp
    if SYSCALLS or CALLGRIND:
        root, stamp = gen_corpus.ensure(BASE, "sample", SEED)
        res["corpora"]["sample"] = stamp
        # pcopy with one worker too: the CPU per file target is at -j1.
        ctools = tools + (["pcopy-thread-j1"] if "pcopy-thread" in tools else [])
        work = os.path.join(BASE, "work")
        if SYSCALLS:
            res["syscalls"] = counts.count_syscalls(ctools, root, work, tool_argv, log)
        if CALLGRIND:
            res["instructions"] = counts.count_instructions(ctools, root, work, tool_argv, log)
    if ("disk", "large") in plan:
        res["fio"] = fio_direct_write()
        log(f"fio: {res['fio']}")
    save(res)
    for mode, corpus in plan:
        r = res["modes"].setdefault(mode, {}).setdefault(corpus, {})
        t0 = time.monotonic()
        log(f"=== {mode}/{corpus}")
        only = ENV.get(f"TOOLS_{mode.upper()}", "").split()
        mtools = [t for t in tools if t == "cp" or not only or t in only]
        try:
            bench_corpus(mode, corpus, corpus_roots[corpus], mtools, r)
        except LoadRefused as e:
            r["wall_seconds"] = round(time.monotonic() - t0, 1)
            res["refused"] = f"{mode}/{corpus}: {e}"
            save(res)
            log(f"{mode}/{corpus}: {e}; stopping (results so far: {OUT_JSON})")
            sys.exit(3)
        r["wall_seconds"] = round(time.monotonic() - t0, 1)
        save(res)
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["wall_seconds"] = round(time.monotonic() - t_start, 1)
    save(res)
    log(f"done in {res['wall_seconds'] / 60:.1f} min: {OUT_MD}, {OUT_JSON}")


MERGE_BASE = None


def merge(base, res):
    """BASE (earlier results) with the corpora RES measured put in, each
    marked with the separate run it comes from; the rest stays BASE's."""
    out = copy.deepcopy(base)
    m, s = res["machine"], res["settings"]
    run = {"date": m["date"], "git_commit": m["git_commit"], "git_dirty": m["git_dirty"],
           "built_from": m.get("built_from", ""), "pcopy_sha256": m["pcopy_sha256"],
           "plan": s["plan"], "pairs_by_mode": s["pairs_by_mode"], "verify": VERIFY,
           "warmup": {mode: WARMUP[mode] for mode in s["pairs_by_mode"]},
           "tools": list(res["tools"]), "loadavg_start": m["loadavg_start"],
           "loadavg_end": m.get("loadavg_end"), "wall_seconds": res.get("wall_seconds")}
    for mode, cs in res["modes"].items():
        for corpus, r in cs.items():
            r = dict(r)
            r["separate_run"] = run
            out.setdefault("modes", {}).setdefault(mode, {})[corpus] = r
    out.setdefault("corpora", {}).update(res["corpora"])
    out.setdefault("tools", {}).update(res["tools"])
    for k in ("syscalls", "instructions", "fio"):
        if res.get(k):
            out[k] = res[k]
    ours = set(s["plan"])
    out["settings"]["plan"] = [p for p in out["settings"]["plan"] if p.split()[0] not in ours] \
        + [f"{p} (separate run)" for p in s["plan"]]
    out["separate_runs"] = [x for x in out.get("separate_runs", [])
                            if not set(x["plan"]) & ours] + [run]
    return out


def save(res):
    res["targets"] = evaluate_targets(res)
    if MERGE:
        res = merge(MERGE_BASE, res)
        res["targets"] = evaluate_targets(res)
    tmp = OUT_JSON + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f, indent=1, default=lambda o: os.fsdecode(o) if isinstance(o, bytes) else str(o))
    os.rename(tmp, OUT_JSON)
    import report
    report.write(res, OUT_MD)


if __name__ == "__main__":
    main()
