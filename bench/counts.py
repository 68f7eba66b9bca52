# SPDX-License-Identifier: MIT
"""Figures that a loaded machine cannot move: system calls per file
(`strace -f -c`) and user-space instructions per file (`valgrind
--tool=callgrind`, every process and thread of the tool). Each is the count
of the tool copying the sample tree minus the count of the same command on
an empty directory (start-up cost), divided by the sample's files."""

import glob
import os
import shutil
import subprocess

# Tools these counts skip (not in Debian; no fixed command line to trace).
SKIP = ("xcp", "fcp")


def _tree(sample_root):
    files = sum(len(fs) for _, _, fs in os.walk(sample_root))
    dirs = sum(1 for _ in os.walk(sample_root))
    return files, dirs


def _remove(path):
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", path], check=True)


def _marginal(tools, sample_root, work, argv_of, count_one, log, what):
    """{tool: {"per_file", "total_sample", "total_empty", "top"}} where
    count_one(argv, tag) returns ({name: count} with a "total", or an error
    string)."""
    empty = os.path.join(work, f"{what}-empty")
    dst = os.path.join(work, f"{what}-dst")
    _remove(empty)
    os.makedirs(empty)
    files, _ = _tree(sample_root)
    res = {}
    for tool in tools:
        if tool in SKIP:
            continue
        counts = {}
        for name, src in (("empty", empty), ("sample", sample_root)):
            _remove(dst)
            c = count_one(argv_of(tool, src, dst), f"{tool}-{name}")
            _remove(dst)
            if isinstance(c, str):
                res[tool] = {"error": c}
                break
            counts[name] = c
        if tool in res:
            log(f"{what}: {tool}: failed: {res[tool]['error']}")
            continue
        tot = counts["sample"].get("total", 0) - counts["empty"].get("total", 0)
        by = {k: (v - counts["empty"].get(k, 0)) / files
              for k, v in counts["sample"].items() if k != "total"}
        top = sorted(((k, round(v, 2)) for k, v in by.items() if v >= 0.05),
                     key=lambda kv: -kv[1])
        res[tool] = {"per_file": tot / files, "total_sample": counts["sample"].get("total"),
                     "total_empty": counts["empty"].get("total"), "top": top[:14]}
        log(f"{what}: {tool}: {tot / files:,.2f} per file"
            + (f" ({', '.join(f'{k} {v}' for k, v in top[:8])})" if top else ""))
    _remove(empty)
    return res


# ---------------------------------------------------------------- strace

def parse_strace(path):
    counts = {}
    with open(path) as f:
        for line in f:
            fs = line.split()
            if len(fs) >= 2 and fs[1].isdigit():
                counts[fs[0]] = counts.get(fs[0], 0) + int(fs[1])
    return counts


def count_syscalls(tools, sample_root, work, argv_of, log):
    """strace -f -c: marginal system calls per file on the sample tree."""
    def one(argv, tag):
        o = os.path.join(work, f"strace-{tag}.txt")
        r = subprocess.run(["strace", "-f", "-c", "-U", "name,calls,errors", "-o", o, "--"]
                           + argv, capture_output=True, text=True)
        if r.returncode != 0:
            return f"exit {r.returncode}: {r.stderr.strip()[-200:]}"
        return parse_strace(o)
    files, dirs = _tree(sample_root)
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", work],
                        capture_output=True, text=True).stdout.strip()
    return {"files": files, "dirs": dirs, "fs": fs,
            "tools": _marginal(tools, sample_root, work, argv_of, one, log, "syscalls")}


# ---------------------------------------------------------------- callgrind

def parse_callgrind(paths):
    """Instructions executed (Ir), summed over callgrind output files (one
    per process; the threads of a process are in its file)."""
    total = 0
    for p in paths:
        with open(p, errors="replace") as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total += int(line.split()[1])
                    break
    return total


def count_instructions(tools, sample_root, work, argv_of, log):
    """valgrind --tool=callgrind: marginal user-space instructions per file
    on the sample tree (the kernel's work is not counted: see syscalls)."""
    if not shutil.which("valgrind"):
        return {"error": "valgrind not installed"}

    def one(argv, tag):
        outdir = os.path.join(work, f"callgrind-{tag}")
        _remove(outdir)
        os.makedirs(outdir)
        r = subprocess.run(["valgrind", "-q", "--tool=callgrind", "--trace-children=yes",
                            "--callgrind-out-file=" + os.path.join(outdir, "cg.%p"), "--"]
                           + argv, capture_output=True, text=True)
        if r.returncode != 0:
            return f"exit {r.returncode}: {r.stderr.strip()[-200:]}"
        n = parse_callgrind(glob.glob(os.path.join(outdir, "cg.*")))
        _remove(outdir)
        return {"total": n}
    files, dirs = _tree(sample_root)
    return {"files": files, "dirs": dirs,
            "tools": _marginal(tools, sample_root, work, argv_of, one, log, "instructions")}
