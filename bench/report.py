# SPDX-License-Identifier: MIT
"""Render bench/results.json (as a dict) into bench/RESULTS.md."""

import os

import chart
from targets import LOAD_MAX, MIN_PAIRS_TMPFS, cell_load, cell_validity

GiB = 1024**3
MiB = 1024**2

CORPUS_TEXT = {
    "kernel": "Linux 6.1 source tree (Debian linux-source-6.1)",
    "small": "100,000 files of 0-16 KiB in 400 leaf dirs",
    "flat": "100,000 files of 0-4 KiB in one directory",
    "large": "4 x 1 GiB of random data",
    "mixed": "20k small + 200 medium files, one 1 GiB file, 4 sparse files (256 MiB-1 GiB, "
             "large holes), 200 hard-link groups, 300 symlinks, 100 empty dirs, other owners",
    "million": "1,000,000 files (90% empty, 10% 1-512 B) in 1,000 dirs",
    "sample": "2,000 files of 0-16 KiB in 10 dirs (system-call and instruction counts)",
}
MODE_TEXT = {
    "tmpfs": "tmpfs (warm): source and destination on a tmpfs of the benchmark's own",
    "disk": "disk (ext4, cold): caches dropped before each run; the timed region ends with sync(2)",
}


def fmt_ratio(d):
    if d.get("ratio") is None:
        return "-"
    if "ratio_min" in d:
        return f"**{d['ratio']:.3f}** ({d['ratio_min']:.2f}-{d['ratio_max']:.2f})"
    return f"{d['ratio']:.3f}"


def validity_notes(res):
    """Lines for the top of RESULTS.md: a stopped run, and cells not valid."""
    L = []
    if res.get("refused"):
        L += [f"> **Stopped by the load check**: {res['refused']}.", ""]
    cells = [(m, c, r) for m, cs in res.get("modes", {}).items() for c, r in cs.items()
             if r.get("tools")]
    bad = [(m, c, cell_validity(r, m)[1]) for m, c, r in cells if cell_validity(r, m)[0] is False]
    if bad:
        L += [f"> **NOT VALID: {len(bad)} of {len(cells)} cells** (1-minute load average above "
              f"{LOAD_MAX:.1f} before the cell, or fewer than {MIN_PAIRS_TMPFS} pairs on tmpfs): "
              + "; ".join(f"{c} ({m}): {', '.join(w)}" for m, c, w in bad)
              + ". Their figures are marked NOT VALID below and judge no target."
              + (" (Cells measured before the load check existed are judged by the load "
                 "average recorded at their first run.)" if any("valid" not in r for _, _, r in cells)
                 else ""), ""]
    return L


def headline(res, path, L):
    """Draw the chart beside RESULTS.md and put it at the top."""
    png = os.path.join(os.path.dirname(os.path.abspath(path)), "headline.png")
    why = chart.draw(res, png)
    if why:
        L += [f"(No chart: {why}.)", ""]
        return
    L += [f"![pcopy -a and other copiers against cp -a, per corpus]({os.path.basename(png)})", "",
          f"*Time as a ratio to `cp -a` in the same run ({chart.caption(res)}).*", ""]


def tool_label(res, tool):
    if tool in res.get("tools", {}):
        return res["tools"][tool]
    backend, _, jobs = tool.removeprefix("pcopy-").partition("-j")
    return f"pcopy -a -B {backend}" + (f" -j{jobs}" if jobs else "")


def load_lines(mode, cs, a):
    """The load average around each cell of a mode."""
    rows = []
    for corpus, r in cs.items():
        if r.get("load_before"):
            b, e = r["load_before"], r.get("load_after")
            rows.append(f"{corpus}: before {b[0]:.2f} (5 min {b[1]:.2f})"
                        + (f", after {e[0]:.2f}" if e else "")
                        + (f", waited {r['load_waited_seconds']:.0f} s"
                           if r.get("load_waited_seconds") else ""))
        elif cell_load(r) is not None:
            rows.append(f"{corpus}: {cell_load(r):.2f} at the first run")
    if rows:
        a("1-minute load average around each cell: " + "; ".join(rows) + ".")
        a("")


def write(res, path):
    m = res["machine"]
    s = res["settings"]
    L = []
    a = L.append
    a("# pcopy benchmark results")
    a("")
    L += validity_notes(res)
    headline(res, path, L)
    fewer = s.get("fewer_pairs") or []
    fewer_s = (" Timed pairs per tool, fewer than the default of 8: " + ", ".join(fewer) + "."
               if fewer else "")
    if s.get("reduced"):
        a("> **This is a reduced run**, not the full benchmark: " + "; ".join(s["reduced"])
          + "." + fewer_s + " Ratios from few pairs on a shared machine are indicative only.")
        a("")
    elif fewer:
        a("> **The full plan** (all 5 corpora x tmpfs and disk, every tool, content "
          "verification), **with fewer timed pairs than the default**:" + fewer_s[len(
              " Timed pairs per tool, fewer than the default of 8:"):]
          .rstrip(".") + " (the default is 8). Each ratio is the geometric mean of that "
          "many pairs on a shared, noisy 2-CPU machine: treat it as indicative, "
          "differences of a few tens of percent as noise.")
        a("")
    elif s.get("reduced") is not None:
        a("> **The full plan** with the default number of pairs.")
        a("")
    if res.get("wall_seconds") is None:
        a("> **Run in progress or interrupted**: the tables below hold what was measured so far.")
        a("")
    a("Produced by `bash bench/run` (see bench/README.md); machine-readable: "
      "`bench/results.json`.")
    a("")
    a(f"* Date: {m['date']}" + (f"; wall time {res['wall_seconds'] / 60:.1f} min"
                                 if res.get("wall_seconds") else ""))
    dirty = m.get("git_dirty", {})
    dirty_s = ""
    if dirty.get("modified") or dirty.get("untracked"):
        dirty_s = (f" plus uncommitted work in the tree ({dirty['modified']} modified, "
                   f"{dirty['untracked']} untracked files)")
    if m.get("built_from"):
        dirty_s = f" ({m['built_from']})"
    a(f"* pcopy: git commit `{m['git_commit'][:12]}`{dirty_s}; binary sha256 "
      f"`{m['pcopy_sha256']}` ({' '.join(m['pcopy_version'])})")
    a(f"* Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
      f"{m['os']}")
    a(f"* File systems: disk = `{m['disk_fs']}` (rotational={m['disk_rotational'] or '?'}); "
      "tmpfs = a fresh `mount -t tmpfs` per corpus")
    a(f"* Load average (1, 5, 15 min) at start {tuple(round(x, 1) for x in m['loadavg_start'])}"
      + (f", at end {tuple(round(x, 1) for x in m['loadavg_end'])}" if m.get("loadavg_end") else "")
      + (f"; a cell is timed only at a 1-minute load of at most {s['load_max']:.1f} (waiting up "
         f"to {s['load_wait']:.0f} s for it; ON_LOAD={s['on_load']})" if "load_max" in s else
         "; measured before the load check (issue 18): judged from the load of each cell's "
         "first run"))
    v = m["versions"]
    a(f"* Tools: {', '.join(' '.join(x) if isinstance(x, list) else x for x in (v['cp'], v['rsync'], v['tar']))}")
    bk = res.get("backends", {})
    nw = bk.get("not_working") or {}
    a(f"* pcopy backends that work (probe `pcopy -a -B X` on a tiny tree): "
      f"{', '.join(bk.get('working', [])) or 'none'}"
      + (f"; not working: " + "; ".join(f"{k} ({v_})" for k, v_ in nw.items()) if nw else ""))
    pbm = s.get("pairs_by_mode")
    pairs_s = (", ".join(f"{k} {v}" for k, v in pbm.items()) if pbm else str(s["pairs"]))
    a(f"* Settings: pairs per tool {pairs_s}, SEED={s['seed']}, VERIFY={s['verify']}, "
      f"plan `{' '.join(s['plan'])}`")
    for run in res.get("separate_runs", []):
        d = run.get("git_dirty") or {}
        a(f"* Merged in from a separate run (`MERGE=1`): `{' '.join(run['plan'])}` on "
          f"{run['date']}" + (f", {run['wall_seconds'] / 60:.1f} min" if run.get("wall_seconds")
                              else " (in progress or interrupted)")
          + f"; pcopy `{run['git_commit'][:12]}`"
          + (f" ({run['built_from']})" if run.get("built_from") else
             (f" plus uncommitted work ({d.get('modified', 0)} modified, "
              f"{d.get('untracked', 0)} untracked)" if d.get("modified") or d.get("untracked")
              else ""))
          + f", sha256 `{run['pcopy_sha256']}`; pairs per tool "
          + ", ".join(f"{k} {v}" for k, v in run["pairs_by_mode"].items())
          + f", VERIFY={run['verify']}, warm-up "
          + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in run["warmup"].items())
          + "; tools " + ", ".join(run["tools"])
          + (f"; load average {tuple(round(x, 1) for x in run['loadavg_start'])} at start"
             if run.get("loadavg_start") else "") + ".")
    a("")

    # Targets.
    a("## Targets")
    a("")
    a("Ratio = geometric mean over paired runs of (pcopy -a time / cp -a time); lower is "
      "better. A ratio target is judged on `--backend=auto` (the default), the other "
      "backends are shown beside it.")
    a("")
    a("| target | measured | status |")
    a("|---|---|---|")
    for t in res.get("targets", []):
        st = t["status"]
        mark = {"met": "**met**", "missed": "**MISSED**", "not valid": "**NOT VALID**"}.get(st, st)
        meas = "-"
        if t["kind"] == "ratio" and t.get("ratios"):
            meas = ", ".join(f"{b} {r:.3f}" for b, r in t["ratios"].items())
        elif t["kind"] == "ratio" and t.get("failed"):
            meas = "pcopy failed"
        elif t["kind"] == "direct_io" and t.get("value") is not None:
            meas = (f"{t['judged_on']} {t['value']:.0%} of fio's "
                    f"{t['fio'] / MiB:.0f} MiB/s (" + ", ".join(
                        f"{b} {r / MiB:.0f} MiB/s" for b, r in t["rates"].items()) + ")")
        elif t["kind"] == "syscalls" and t.get("value") is not None:
            meas = f"{t['value']:.2f} per file"
        elif t["kind"] == "rss" and t.get("values"):
            meas = ", ".join(f"{k} {x:.0f} MiB" for k, x in t["values"].items())
        elif t["kind"] == "auto" and t.get("cases"):
            meas = "; ".join(f"{k}: auto/{c['best']} = {c['auto_vs_best']:.3f}"
                             for k, c in t["cases"].items())
        if t.get("detail"):
            mark += f" ({t['detail']})"
        a(f"| {t['what']} | {meas} | {mark} |")
    a("")

    # Corpora.
    a("## Corpora")
    a("")
    a("| corpus | what | files | dirs | other entries | GiB (apparent) |")
    a("|---|---|---:|---:|---:|---:|")
    for c, st in res.get("corpora", {}).items():
        a(f"| {c} | {CORPUS_TEXT.get(c, '')} | {st.get('files', '?'):,} | {st.get('dirs', '?'):,} "
          f"| {st.get('other', '?'):,} | {st.get('bytes', 0) / GiB:.2f} |")
    a("")

    # Per mode.
    for mode, cs in res.get("modes", {}).items():
        a(f"## {MODE_TEXT.get(mode, mode)}")
        a("")
        a("Ratio to cp -a: geometric mean of the paired runs (lowest-highest pair). Seconds: "
          "min / median / max of the tool's timed runs. CPU: user+sys of the process tree "
          "(median). Peak RSS: the largest process (ru_maxrss, as GNU time reports). "
          "Ctx sw: voluntary / involuntary context switches (median)."
          + (" Disk mode seconds include the final sync." if mode == "disk" else ""))
        a("")
        a("| corpus | tool | ratio to cp -a | min / median / max s | CPU s (user+sys) | "
          "CPU / cp -a | peak RSS MiB | ctx sw | check |")
        a("|---|---|---|---|---|---|---:|---|---|")
        for corpus, r in cs.items():
            if r.get("error") and not r.get("tools"):
                a(f"| {corpus} | - | {r['error']} | | | | | | |")
                continue
            nv = "NOT VALID " if cell_validity(r, mode)[0] is False else ""
            for tool, d in r.get("tools", {}).items():
                lab = f"`{d['label']}`"
                if d.get("failed"):
                    a(f"| {corpus} | {lab} | **failed**: {d['failed']} | | | | | | |")
                    continue
                stt = d.get("stats")
                if not stt:
                    a(f"| {corpus} | {lab} | not timed | | | | | | |")
                    continue
                ver = d.get("verified", {}).get("verdict", "-")
                if ver.startswith("equal"):
                    ver = "= cp -a" + (" (" + "; ".join(d.get("notes", [])) + ")"
                                       if d.get("notes") else "")
                rt = nv + (fmt_ratio(d) if tool != "cp" else "1 (reference)")
                cr = (f"{nv}{d['cpu_ratio']:.2f}" if d.get("cpu_ratio") else
                      ("1" if tool == "cp" else "-"))
                a(f"| {corpus} | {lab} | {rt} | {stt['min']:.2f} / {stt['median']:.2f} / "
                  f"{stt['max']:.2f} | {stt['cpu_median']:.2f} ({stt['user_median']:.2f}+"
                  f"{stt['sys_median']:.2f}) | {cr} | {stt['maxrss_mib']:.1f} | "
                  f"{stt['nvcsw_median']:.0f} / {stt['nivcsw_median']:.0f} | {ver} |")
            if r.get("cp_vs_source", {}).get("summary"):
                a(f"| {corpus} | note | cp -a vs source: "
                  f"{'; '.join(r['cp_vs_source']['summary'])} | | | | | | |")
        a("")
        load_lines(mode, cs, a)

    # uring against thread (issue 6), from the same pairs.
    rows = []
    for mode, cs in res.get("modes", {}).items():
        for corpus in ("kernel", "small", "large"):
            per = cs.get(corpus, {}).get("tools", {})
            u, t = per.get("pcopy-uring", {}), per.get("pcopy-thread", {})
            if u.get("ratio") and t.get("ratio") and u.get("stats") and t.get("stats"):
                rows.append((mode, corpus, u, t))
    if rows:
        a("## io_uring against the thread backend")
        a("")
        a("From the pairs above: each backend was timed paired with its own cp -a run, so "
          "uring/thread is the quotient of the two ratios to cp -a (below 1: uring faster). "
          "tmpfs = warm, disk = cold (caches dropped, final sync included).")
        a("")
        a("| corpus | mode | uring / cp -a | thread / cp -a | uring / thread | "
          "median s uring / thread | CPU s uring / thread |")
        a("|---|---|---|---|---:|---|---|")
        for mode, corpus, u, t in rows:
            a(f"| {corpus} | {mode} | {fmt_ratio(u)} | {fmt_ratio(t)} | "
              f"**{u['ratio'] / t['ratio']:.3f}** | {u['stats']['median']:.2f} / "
              f"{t['stats']['median']:.2f} | {u['stats']['cpu_median']:.2f} / "
              f"{t['stats']['cpu_median']:.2f} |")
        a("")

    # Instructions.
    ins = res.get("instructions")
    if ins and ins.get("tools"):
        a("## User-space instructions per file")
        a("")
        a(f"`valgrind --tool=callgrind --trace-children=yes` (instructions executed in user "
          f"space, every process and thread) on the sample tree ({ins['files']:,} files in "
          f"{ins['dirs']} directories: a small corpus, as callgrind runs a program some 50 "
          "times slower), minus the same command on an empty directory, divided by the "
          "number of files. The kernel's share is in the system calls below. A load-free "
          "figure: noise cannot move it.")
        a("")
        a("| tool | instructions per file | vs cp -a |")
        a("|---|---:|---:|")
        cp_i = ins["tools"].get("cp", {}).get("per_file")
        for tool, d in ins["tools"].items():
            lab = tool_label(res, tool)
            if "error" in d:
                a(f"| `{lab}` | failed: {d['error']} | |")
                continue
            a(f"| `{lab}` | {d['per_file']:,.0f} | "
              + (f"{d['per_file'] / cp_i:.2f}" if cp_i else "-") + " |")
        a("")
    elif ins and ins.get("error"):
        a(f"(Instructions per file not counted: {ins['error']}.)")
        a("")

    # Syscalls.
    sc = res.get("syscalls")
    if sc:
        a("## System calls per file")
        a("")
        a(f"`strace -f -c` on the sample tree ({sc['files']:,} files of 0-16 KiB in "
          f"{sc['dirs']} directories, on {sc['fs']}), minus the same command on an empty "
          "directory (start-up cost), divided by the number of files. Includes per-directory "
          "calls and, for threaded tools, futex traffic.")
        a("")
        a("| tool | syscalls per file | main calls per file |")
        a("|---|---:|---|")
        for tool, d in sc["tools"].items():
            lab = tool_label(res, tool)
            if "error" in d:
                a(f"| `{lab}` | failed: {d['error']} | |")
                continue
            a(f"| `{lab}` | {d['per_file']:.2f} | "
              + ", ".join(f"{k} {v_}" for k, v_ in d["top"]) + " |")
        a("")

    fio = res.get("fio")
    if fio:
        a("## Direct-I/O write rate (fio)")
        a("")
        if "bytes_per_s" in fio:
            a(f"`{fio['cmd']}` on the benchmark disk: {fio['bytes_per_s'] / MiB:.0f} MiB/s.")
        else:
            a(f"fio failed: {fio.get('error')}")
        a("")

    nightly_section(res.get("nightly"), a)

    if res.get("notes"):
        a("## Notes on this run")
        a("")
        a(res["notes"].strip())
        a("")

    a("## Method")
    a("")
    a("* Every tool copies SOURCE to a DEST that does not exist: `cp -a S D`, "
      "`rsync -a S/ D/`, `mkdir D && tar -C S -cf - . | tar -C D -xpf -`, "
      "`pcopy -a -B <backend> S D`. stdout goes to /dev/null.")
    a("* Verification: the first run of each tool on each corpus and mode (tmpfs: an untimed "
      "warm-up run; disk: the first timed run, as disk runs are cold anyway) has its exit "
      "status checked and its output compared with cp -a's (paths, types, modes, owners, nanosecond mtimes including symlinks', "
      "symlink targets, hard-link groups, and the SHA-256 of every file with VERIFY=content). "
      "A tool that fails or differs is reported as failed and its timings are dropped.")
    a("* Then PAIRS rounds: each tool runs paired with cp -a (tool first in even rounds, "
      "cp first in odd ones), the tools' order rotating each round. The destination is "
      "removed outside the timed region.")
    a("* disk: `sync; echo 3 > /proc/sys/vm/drop_caches` before every run; the timed region "
      "ends after `sync(2)`, so every tool pays for writeback.")
    a(f"* Load: before a cell's first run the 1-minute load average must be at most "
      f"{LOAD_MAX:.1f} (on a loaded machine the scheduler gives a parallel copier several CPU "
      "shares to cp's one, and every ratio flatters it); the run waits for it, then refuses "
      "(or, with ON_LOAD=mark, times the cell and marks it NOT VALID). The load before and "
      f"after each cell is recorded. A tmpfs cell needs at least {MIN_PAIRS_TMPFS} pairs.")
    a("* CPU: user + sys seconds of the tool's whole process tree (GNU time); CPU / cp -a is "
      "the geometric mean of the per-pair CPU ratios.")
    a("")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(L))
    os.rename(path + ".tmp", path)



def nightly_section(n, a):
    """The nightly-backup scenario of bench/nightly.py, if it was run."""
    if not n:
        return
    c = n.get("changes", {})
    a("## Nightly backup (bench/nightly.py)")
    a("")
    a(f"Measured {n['date']}, {n['pairs']} alternating pairs per tool, tmpfs, warm. The "
      f"{n.get('corpus', 'kernel')} "
      f"tree ({c.get('files', '?')} files) was backed up with `cp -a`; then {c.get('changed')} "
      f"files changed, {c.get('deleted')} were deleted and {c.get('added')} added. Ratio = "
      "geometric mean over pairs of (pcopy time / rsync time); target for the update "
      f"<= {n.get('target_update_ratio', 0.3)}.")
    a("")
    a("| scenario | tool | median s | CPU s | ratio to rsync | load before, after | result |")
    a("|---|---|---|---|---|---|---|")
    names = {"update": "update: `-a -u --delete` vs `rsync -aHAX --delete`",
             "linkdest": "snapshot: `-a --link-dest` vs `rsync -aHAX --link-dest`"}
    for sc in ("update", "linkdest"):
        d = n.get(sc, {})
        lb = d.get("load_before", [0])[0]
        la = (d.get("load_after") or [0])[0]
        valid = "" if d.get("valid", True) else " **NOT VALID**"
        for t, s in d.get("tools", {}).items():
            r = s.get("ratio_to_rsync")
            chk = d.get("checked", {}).get(t, "reference" if t == "rsync" else "-")
            chk = chk if isinstance(chk, str) else "DIFFERS: " + "; ".join(chk)
            a(f"| {names[sc]} | {t} | {s['median']:.3f} | {s['cpu_median']:.2f} | "
              + (f"{r:.3f}{valid}" if r else "-") + f" | {lb:.2f}, {la:.2f} | {chk} |")
        for t, why in d.get("failed", {}).items():
            a(f"| {names[sc]} | {t} | - | - | failed | {lb:.2f}, {la:.2f} | {why} |")
    a("")

if __name__ == "__main__":
    # Re-render: python3 bench/report.py results.json RESULTS.md [NOTES.md]
    # (NOTES.md, if given, is stored in the JSON and shown under "Notes").
    import json
    import sys
    with open(sys.argv[1]) as f:
        res = json.load(f)
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            res["notes"] = f.read()
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import targets
    res["targets"] = targets.evaluate_targets(res)
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    write(res, sys.argv[2])
