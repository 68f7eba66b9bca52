# SPDX-License-Identifier: MIT
"""The benchmark's targets and its validity rules, shared by measure.py
(which evaluates them after every cell) and report.py (which renders them
and draws the chart)."""

import os

# A cell is timed only on a quiet machine: with the 1-minute load average
# above this, a parallel copier gets several CPU shares to cp's one and every
# ratio flatters it (issue 18).
LOAD_MAX = float(os.environ.get("LOAD_MAX", "1.0"))
# Alternating pairs a tmpfs cell needs for its ratio to count.
MIN_PAIRS_TMPFS = 6

# Ratio targets for pcopy -a / cp -a (lower is better), by (corpus, mode).
TARGETS = {
    ("kernel", "tmpfs"): 0.50, ("kernel", "disk"): 0.60,
    ("small", "tmpfs"): 0.45, ("small", "disk"): 0.30,
    ("flat", "tmpfs"): 0.60, ("flat", "disk"): 0.50,
    ("large", "tmpfs"): 0.60, ("large", "disk"): 0.60,
    ("mixed", "tmpfs"): 0.60, ("mixed", "disk"): 0.70,
}
SYSCALL_TARGET = 10          # per small file, thread backend
RSS_TARGET_MIB = 100         # on the 1,000,000-entry corpus
AUTO_TOLERANCE = 0.05        # auto within 5% of the best backend
DIRECT_IO_FRACTION = 0.60    # large on disk: >= 60% of fio's direct write rate



# ---------------------------------------------------------------- validity

def cell_load(r):
    """The 1-minute load average before a cell: recorded by the load check,
    or, for cells measured before it, that of the cell's first run."""
    if not r:
        return None
    if r.get("load_before"):
        return r["load_before"][0]
    runs = [d.get("warmup") or (d.get("runs") or [{}])[0] for d in r.get("tools", {}).values()]
    loads = [x["load1"] for x in runs if x and "load1" in x]
    return loads[0] if loads else None


def cell_validity(r, mode):
    """(valid, reasons) of one measured cell (mode, corpus). Cells measured
    before the load check existed are judged from their run records: the
    load average of their first run, and their number of pairs."""
    if not r:
        return None, []
    if "valid" in r:
        return r["valid"], list(r.get("not_valid", []))
    reasons = []
    load = cell_load(r)
    if load is not None and load > LOAD_MAX:
        reasons.append(f"load {load:.1f}")
    pairs = r.get("pairs")
    if mode == "tmpfs" and pairs is not None and pairs < MIN_PAIRS_TMPFS:
        reasons.append(f"{pairs} pair{'s' if pairs != 1 else ''}")
    return not reasons, reasons


# ---------------------------------------------------------------- targets

def evaluate_targets(res):
    t = []
    for (corpus, mode), target in TARGETS.items():
        row = {"what": f"{corpus} ({mode}): pcopy -a / cp -a <= {target:.2f}",
               "kind": "ratio", "corpus": corpus, "mode": mode, "target": target}
        r = res["modes"].get(mode, {}).get(corpus)
        per = (r or {}).get("tools", {})
        ratios = {k[6:]: v["ratio"] for k, v in per.items()
                  if k.startswith("pcopy-") and v.get("ratio") is not None}
        fails = {k[6:]: v["failed"] for k, v in per.items()
                 if k.startswith("pcopy-") and v.get("failed")}
        row["ratios"] = ratios
        row["failed"] = fails
        valid, why = cell_validity(r, mode)
        if not r or not per:
            row["status"] = "not measured"
        elif valid is False and ratios:
            row["status"] = "not valid"
            row["detail"] = "; ".join(why)
        elif not ratios:
            row["status"] = "missed"
            row["detail"] = "pcopy failed: " + "; ".join(f"{k}: {v}" for k, v in fails.items())
        else:
            judged = "auto" if "auto" in ratios else min(ratios, key=ratios.get)
            v = ratios[judged]
            row["judged_on"] = judged
            row["value"] = v
            row["status"] = "met" if v <= target else "missed"
            if v > target:
                row["detail"] = (f"{v:.2f} vs {target:.2f}: {v / target - 1:+.0%} over target "
                                 f"(pcopy needs {1 - target / v:.0%} less time)")
            if fails:
                row["detail"] = (row.get("detail", "") + " failed: "
                                 + "; ".join(f"{k}: {v}" for k, v in fails.items())).strip()
        t.append(row)
    # Large on disk against the direct-I/O write rate.
    row = {"what": f"large (disk): pcopy write rate >= {DIRECT_IO_FRACTION:.0%} of fio direct-I/O "
           "write rate", "kind": "direct_io"}
    r = res["modes"].get("disk", {}).get("large")
    fio = res.get("fio") or {}
    if r and fio.get("bytes_per_s") and r.get("tools"):
        size = res["corpora"]["large"]["bytes"]
        rates = {k[6:]: size / v["stats"]["median"] for k, v in r["tools"].items()
                 if k.startswith("pcopy-") and v.get("stats") and not v.get("failed")}
        row["rates"] = rates
        row["fio"] = fio["bytes_per_s"]
        if rates:
            judged = "auto" if "auto" in rates else max(rates, key=rates.get)
            row["judged_on"] = judged
            row["value"] = rates[judged] / fio["bytes_per_s"]
            row["status"] = "met" if row["value"] >= DIRECT_IO_FRACTION else "missed"
        else:
            row["status"] = "missed"
    else:
        row["status"] = "not measured"
    t.append(row)
    # System calls per small file.
    row = {"what": f"system calls per small file, thread backend <= {SYSCALL_TARGET}",
           "kind": "syscalls"}
    sc = (res.get("syscalls") or {}).get("tools", {}).get("pcopy-thread")
    if sc and "per_file" in sc:
        row["value"] = sc["per_file"]
        row["status"] = "met" if sc["per_file"] <= SYSCALL_TARGET else "missed"
        if sc["per_file"] > SYSCALL_TARGET:
            row["detail"] = (f"{sc['per_file']:.2f} vs {SYSCALL_TARGET}; largest: "
                             + ", ".join(f"{k} {v}" for k, v in sc.get("top", [])[:4]))
    else:
        row["status"] = "not measured"
    t.append(row)
    # Peak RSS on the million corpus.
    row = {"what": f"peak RSS <= {RSS_TARGET_MIB} MiB on the 1,000,000-entry tree",
           "kind": "rss"}
    rss = {}
    for mode, cs in res["modes"].items():
        for k, v in cs.get("million", {}).get("tools", {}).items():
            if k.startswith("pcopy-") and v.get("stats"):
                rss[f"{k[6:]} ({mode})"] = v["stats"]["maxrss_mib"]
    if rss:
        row["values"] = rss
        row["value"] = max(rss.values())
        row["status"] = "met" if row["value"] <= RSS_TARGET_MIB else "missed"
    else:
        row["status"] = "not measured (run with CORPORA=million or PLAN=tmpfs:million)"
    t.append(row)
    # auto within 5% of the best backend.
    row = {"what": f"--backend=auto within {AUTO_TOLERANCE:.0%} of the best backend on every corpus",
           "kind": "auto", "cases": {}}
    for mode, cs in res["modes"].items():
        for corpus, r in cs.items():
            per = r.get("tools", {})
            ratios = {k[6:]: v["ratio"] for k, v in per.items()
                      if k.startswith("pcopy-") and v.get("ratio") is not None}
            if "auto" in ratios and len(ratios) > 1:
                best = min((b for b in ratios if b != "auto"), key=ratios.get)
                rel = ratios["auto"] / ratios[best]
                row["cases"][f"{corpus} ({mode})"] = {
                    "best": best, "auto_vs_best": rel, "met": rel <= 1 + AUTO_TOLERANCE,
                    "valid": cell_validity(r, mode)[0] is not False}
    valid = [c for c in row["cases"].values() if c["valid"]]
    if not row["cases"]:
        row["status"] = "not measured"
    elif not valid:
        row["status"] = "not valid"
        row["detail"] = "no cell measured on a quiet machine with enough pairs"
    else:
        row["status"] = "met" if all(c["met"] for c in valid) else "missed"
    t.append(row)
    return t

