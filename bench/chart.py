# SPDX-License-Identifier: MIT
"""The benchmark's headline as a picture: time as a ratio to cp -a per
corpus and tool, tmpfs (warm) and disk (cold), drawn with matplotlib
(Debian's python3-matplotlib) into a PNG beside RESULTS.md."""

import os

from targets import LOAD_MAX, cell_load, cell_validity

CORPORA = ["kernel", "small", "flat", "large", "mixed"]
MODES = [("tmpfs", "tmpfs, warm"), ("disk", "ext4, cold cache + sync")]
# (tool key, legend label, colour): pcopy's backends in blues, the peers
# in warm colours and greys.
TOOLS = [
    ("pcopy-thread", "pcopy -B thread", "#9ecae1"),
    ("pcopy-process", "pcopy -B process", "#6baed6"),
    ("pcopy-uring", "pcopy -B uring", "#3182bd"),
    ("pcopy-auto", "pcopy (auto)", "#08519c"),
    ("rsync", "rsync -a", "#fdae6b"),
    ("tar", "tar | tar", "#bdbdbd"),
    ("xcp", "xcp -r", "#a1d99b"),
    ("fcp", "fcp", "#74c476"),
]


def _short_date(iso):
    return iso[:10] if iso else "?"


def caption(res):
    """One line for the chart and for the README: date, machine, pairs,
    load, and whether the figures are valid."""
    m, s = res["machine"], res["settings"]
    pbm = s.get("pairs_by_mode") or {}
    pairs = ", ".join(f"{k} {v}" for k, v in pbm.items()) or str(s.get("pairs"))
    loads = [cell_load(res["modes"][mode].get(c)) for mode, _ in MODES
             for c in CORPORA if c in res.get("modes", {}).get(mode, {})]
    loads = [x for x in loads if x is not None]
    load_s = (f"1-min load before cells {min(loads):.1f}-{max(loads):.1f}" if loads
              else "load not recorded")
    return (f"{_short_date(m.get('date'))}, {m.get('nproc')} vCPU {m.get('cpu', '').strip()}, "
            f"Linux {m.get('kernel', '').split('-')[0]}; pairs per tool: {pairs}; {load_s}")


def invalid_cells(res):
    """{(mode, corpus): [reasons]} of the headline's cells that are not valid."""
    bad = {}
    for mode, _ in MODES:
        for c in CORPORA:
            r = res.get("modes", {}).get(mode, {}).get(c)
            valid, why = cell_validity(r, mode)
            if valid is False:
                bad[(mode, c)] = why
    return bad


def draw(res, path):
    """Write the chart to PATH; return None, or why it was not drawn."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
    except ImportError:
        return "python3-matplotlib is not installed"
    modes = [(m, t) for m, t in MODES if any(c in res.get("modes", {}).get(m, {}) for c in CORPORA)]
    if not modes:
        return "no headline corpus measured"
    present = [t for t in TOOLS if any(
        res["modes"].get(m, {}).get(c, {}).get("tools", {}).get(t[0], {}).get("ratio")
        for m, _ in modes for c in CORPORA)]
    bad = invalid_cells(res)
    measured = sum(1 for m, _ in modes for c in CORPORA if c in res["modes"][m])
    all_bad = len(bad) == measured
    fig, axes = plt.subplots(len(modes), 1, figsize=(10, 3.6 * len(modes) + 1.2),
                             squeeze=False)
    width = 0.8 / max(1, len(present))
    for ax, (mode, title) in zip(axes[:, 0], modes):
        cs = res["modes"][mode]
        for i, (tool, lab, colour) in enumerate(present):
            for j, corpus in enumerate(CORPORA):
                d = cs.get(corpus, {}).get("tools", {}).get(tool, {})
                v = d.get("ratio")
                if not v:
                    continue
                x = j - 0.4 + (i + 0.5) * width
                ax.bar(x, v, width * 0.92, color=colour, edgecolor="#444444", linewidth=0.4,
                       hatch="///" if (mode, corpus) in bad and not all_bad else None)
                ax.text(x, v * 1.04, f"{v:.2f}", ha="center", va="bottom", fontsize=6.5,
                        rotation=90)
        ax.axhline(1.0, color="#b2182b", linewidth=1.2)
        ax.set_yscale("log")
        ax.set_ylim(0.1, 12)
        ax.set_yticks([0.1, 0.2, 0.5, 1, 2, 5, 10])
        ax.set_yticklabels(["0.1", "0.2", "0.5", "1", "2", "5", "10"])
        ax.set_xticks(range(len(CORPORA)))
        ax.set_xticklabels([c if c in cs else f"{c}\n(not measured)" for c in CORPORA])
        ax.set_xlim(-0.5, len(CORPORA) - 0.5)
        ax.set_ylabel("time / cp -a time")
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(axis="y", which="major", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    handles = [Patch(facecolor=c, edgecolor="#444444", label=lab) for _, lab, c in present]
    handles.append(Line2D([], [], color="#b2182b", linewidth=1.2, label="cp -a (= 1)"))
    if bad and not all_bad:
        handles.append(Patch(facecolor="white", edgecolor="#444444", hatch="///",
                             label="not valid (load > 1 or too few pairs)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(5, len(handles)), fontsize=8,
               frameon=False)
    head = "Time of a copy as a ratio to cp -a (geometric mean of pairs; lower is better)"
    if bad:
        head += ("\nNOT VALID: " + ("every figure" if all_bad else f"{len(bad)} cells, hatched")
                 + f": measured at load > {LOAD_MAX:.0f} or with too few pairs")
    fig.suptitle(head, fontsize=11, color="#b2182b" if bad else "black", y=0.985)
    fig.tight_layout(rect=(0, 0.05, 1, 0.915 if bad else 0.94))
    fig.text(0.5, 0.915 if bad else 0.94, caption(res), ha="center", va="bottom", fontsize=8.5,
             color="#444444")
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.rename(tmp, path)
    return None
