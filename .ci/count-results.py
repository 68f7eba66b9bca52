#!/usr/bin/env python3
"""Count test cases in meson testlog.json files: TAP lines for bats suites,
exit status for unit tests. Prints 'N passed, N failed' (skips listed apart)."""
import json
import sys


def detail(out, start=None, limit=12):
    """The lines that say why: a TAP case's '# ' diagnostics after its
    'not ok', or the last lines of a plain test's output (the tail of the
    CI log is often all a reader gets)."""
    lines = out.splitlines()
    if start is not None:
        i = lines.index(start) + 1
        diag = []
        while i < len(lines) and lines[i].startswith("#"):
            diag.append(lines[i])
            i += 1
        lines = diag
    for l in lines[-limit:]:
        print(f"    | {l[:300]}", file=sys.stderr)


passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        failed += 1
        print(f"missing test log {path}", file=sys.stderr)
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        taps = [l for l in out.splitlines() if l.startswith("ok ") or l.startswith("not ok ")]
        if taps:
            for l in taps:
                if l.startswith("not ok"):
                    failed += 1
                    print(f"FAILED {t['name']}: {l}", file=sys.stderr)
                    detail(out, l)
                elif "# skip" in l.lower():
                    skipped += 1
                else:
                    passed += 1
            # a TAP suite that crashed after some cases still failed
            if t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and not any(
                    l.startswith("not ok") for l in taps):
                failed += 1
                print(f"FAILED {t['name']}: {t['result']}", file=sys.stderr)
        elif t["result"] == "OK":
            passed += 1
        elif t["result"] == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED {t['name']}: {t['result']}", file=sys.stderr)
            detail(out + (t.get("stderr") or ""))
if skipped:
    print(f"({skipped} skipped)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
