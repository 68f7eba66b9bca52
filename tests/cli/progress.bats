#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The progress reporter seen from outside: --progress=json lines, the
# --summary, -q and -v, plain lines for logs, and the bar on a 40-column
# terminal (under script(1)). Needs PCOPY, PCOPY_BACKEND, python3, script.

bats_require_minimum_version 1.5.0

load ../lib/common

setup() {
	require_pcopy
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

# make_tree DIR: a small tree with awkward names, a symlink and an empty file.
make_tree() {
	mkdir -p "$1/sub/deep" "$1/names" "$1/many"
	printf 'hello\n' >"$1/a"
	: >"$1/empty"
	head -c 100000 /dev/urandom >"$1/sub/b"
	head -c 3000000 /dev/urandom >"$1/sub/deep/big"
	ln -s a "$1/link"
	printf 1 >"$1/names/it's"
	printf 22 >"$1/names/a b"
	printf 333 >"$1/names/new"$'\n'"line"
	printf 4444 >"$1/names/bad"$'\xff'"byte"
	printf 55555 >"$1/names/\"dq\"\\"
	printf 6 >"$1/names/tab"$'\t'"ctl"$'\x01'
	local i
	for ((i = 1; i <= 60; i++)); do
		printf '%*s' $((i * 997)) '' >"$1/many/f$i" # a builtin: no fork
	done
}

# make_big_tree DIR: 20,000 small files in 40 directories: per-file work
# makes a -j 1 copy last several ticks of the display (0.1 s) even on a
# fast, idle machine.
make_big_tree() {
	"$PYTHON" - "$1" <<'PY'
import os, sys
root, data = sys.argv[1], os.urandom(4096)
for d in range(40):
	os.makedirs(os.path.join(root, "d%d" % d))
	for f in range(500):
		with open(os.path.join(root, "d%d" % d, "f%d" % f), "wb") as fh:
			fh.write(data[:(d * 500 + f) * 37 % 4096])
PY
}

# bar_draws: fail unless tty.out shows the bar drawn before its final line;
# the tests below mean nothing if the copy ended before the first redraw.
bar_draws() {
	local n
	n=$(grep -ao $'% [^\r]*\\(scanning\\|ETA\\)' tty.out | wc -l)
	if [ "$n" -lt 1 ]; then
		echo "the copy ended before the bar was drawn: make the tree bigger"
		return 1
	fi
}

# count TYPE DIR: entries of find type TYPE under DIR (names may hold newlines).
count() {
	find "$2" -type "$1" -printf . | wc -c
}

# tree_bytes DIR: total size of the regular files under DIR.
tree_bytes() {
	find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}

# check_json_lines FILE FILES BYTES EXIT: every line of FILE is a JSON object
# of SPEC section 5; counters never go back; the last is "done" with totals
# FILES and BYTES and "exit" EXIT. Prints "progress=N errors=M".
check_json_lines() {
	"$PYTHON" - "$@" <<'PY'
import json, sys
path, files, nbytes, exit_status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
raw = open(path, "rb").read()
assert raw.endswith(b"\n"), "output does not end with a newline"
events = []
for n, line in enumerate(raw.split(b"\n")[:-1], 1):
	obj = json.loads(line.decode("utf-8"))  # strict UTF-8, then strict JSON
	assert isinstance(obj, dict), "line %d is not an object" % n
	events.append(obj)
keys = ["event", "elapsed", "bytes", "bytes_total", "files", "files_total",
	"errors", "rate", "eta", "walk_done", "totals_final"]
prev = None
for ev in events:
	if ev["event"] in ("error", "warning"):
		want = {"event", "path", "message"} | ({"errno"} if ev["event"] == "error" else set())
		assert set(ev) - {"path_b64"} == want, ev
		assert ev["event"] == "warning" or isinstance(ev["errno"], int) and ev["errno"] > 0, ev
		continue
	assert ev["event"] in ("progress", "done"), ev
	want = keys + (["exit"] if ev["event"] == "done" else [])
	assert list(ev) == want, "keys %s" % list(ev)
	for k in ("bytes", "bytes_total", "files", "files_total", "errors", "rate"):
		assert isinstance(ev[k], int) and ev[k] >= 0, (k, ev)
	assert ev["bytes"] <= ev["bytes_total"] and ev["files"] <= ev["files_total"], ev
	assert ev["eta"] is None or ev["eta"] >= 0, ev
	if not ev["totals_final"]:
		assert ev["eta"] is None, "an ETA while the totals grow: %s" % ev
	assert ev["totals_final"] or not ev["walk_done"], ev
	if prev:
		for k in ("elapsed", "bytes", "bytes_total", "files", "files_total", "errors"):
			assert ev[k] >= prev[k], "%s went back: %s then %s" % (k, prev, ev)
		assert ev["walk_done"] or not prev["walk_done"], "walk_done went back"
		assert ev["totals_final"] or not prev["totals_final"], "totals_final went back"
	prev = ev
done = events[-1]
assert done["event"] == "done", "last line is not the done event: %s" % done
assert [e["event"] for e in events].count("done") == 1
assert done["walk_done"] is True and done["exit"] == exit_status, done
assert (done["files"], done["files_total"]) == (files, files), (done, files)
assert (done["bytes"], done["bytes_total"]) == (nbytes, nbytes), (done, nbytes)
nr_progress = sum(e["event"] == "progress" for e in events)
# Lines come every 0.25 s: a run that lasts 0.6 s must have shown some.
if done["elapsed"] >= 0.6:
	assert nr_progress >= 1, "no progress line in %.2f s" % done["elapsed"]
print("progress=%d errors=%d" % (nr_progress, sum(e["event"] == "error" for e in events)))
PY
}

@test "json: every stderr line is JSON and the done totals match the tree" {
	make_tree src
	run --separate-stderr pcopy --progress=json -a src dst
	assert_status 0
	[ -z "$output" ]
	printf '%s\n' "$stderr" >err.json
	run check_json_lines err.json "$(count f src)" "$(tree_bytes src)" 0
	assert_status 0
	assert_contains "$output" "errors=0"
}

@test "json: counters never go back over a longer copy" {
	make_big_tree src
	pcopy --progress=json -j 1 -a src dst 2>err.json
	run check_json_lines err.json "$(count f src)" "$(tree_bytes src)" 0
	assert_status 0
	# several lines, or monotonic means nothing
	[[ "$output" != progress=0* ]]
}

# make_huge_tree DIR: 100,000 files (up to 8 KiB) in 200 directories of two
# levels, on tmpfs when /dev/shm is one (the walk, not the disk, is timed).
make_huge_tree() {
	"$PYTHON" - "$1" <<'PY'
import os, sys
root, data = sys.argv[1], os.urandom(8192)
for d in range(200):
	top = os.path.join(root, "d%d" % d)
	os.makedirs(os.path.join(top, "sub"))
	for f in range(500):
		where = os.path.join(top, "sub") if f % 2 else top
		with open(os.path.join(where, "f%d" % f), "wb") as fh:
			fh.write(data[:(d * 500 + f) * 37 % 8192])
PY
}

# tmpfs_dir: a fresh directory on tmpfs (/dev/shm), or this test's own.
tmpfs_dir() {
	local d
	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && d=$(mktemp -d /dev/shm/pcopy-bats.XXXXXX); then
		echo "$d"
	else
		echo "$BATS_TEST_TMPDIR"
	fi
}

@test "json: the totals are final within 2 s on a 100k-file tree, long before the walk ends" {
	local t
	t=$(tmpfs_dir)
	make_huge_tree "$t/src"
	local files bytes status=0
	files=$(count f "$t/src")
	bytes=$(tree_bytes "$t/src")
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	pcopy --progress=json -a "$t/src" "$t/dst" 2>err.json || status=$?
	rm -rf "$t/src" "$t/dst"
	[ "$t" = "$BATS_TEST_TMPDIR" ] || rmdir "$t"
	[ "$status" -eq 0 ]
	run check_json_lines err.json "$files" "$bytes" 0
	assert_status 0
	run "$PYTHON" - err.json "$load" "$(nproc)" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
loaded = float(sys.argv[2]) > int(sys.argv[3])
evs = [e for e in evs if e["event"] in ("progress", "done")]
done = evs[-1]
first = next(e for e in evs if e["totals_final"])
# Timed by the "elapsed" field, from pcopy's start. 2 s is the issue's
# promise (the scan takes ~0.2 s of CPU here). On a machine loaded beyond
# its CPUs the scan's thread gets a thin share, slowing it with the copy:
# then final totals before a quarter of the files are copied will do (the
# walk alone makes them final only at the end, with every file copied).
if first["elapsed"] > 2.0 and loaded and first["files"] <= first["files_total"] // 4:
	print("loaded machine (load %s): final at %.2f s, %d files copied" %
	      (sys.argv[2], first["elapsed"], first["files"]))
else:
	assert first["elapsed"] <= 2.0, "totals final only at %.2f s: %s" % (first["elapsed"], first)
assert first["event"] == "progress" and not first["walk_done"], \
	"the copy ended before the first progress line: %s" % first
# Final means right: the same totals the walk ends with.
assert (first["files_total"], first["bytes_total"]) == (done["files_total"], done["bytes_total"]), (first, done)
assert first["files"] < first["files_total"], first
# From half a second of samples on, an ETA on every line.
late = [e for e in evs[:-1] if e["totals_final"] and e["elapsed"] >= first["elapsed"] + 0.5]
assert all(e["eta"] is not None for e in late), late
print("final at %.2f s of %.2f s, %d lines with an ETA" % (first["elapsed"], done["elapsed"], len(late)))
PY
	echo "$output"
	assert_status 0
}

@test "json: errors are objects with errno, path_b64 for invalid UTF-8" {
	make_tree src
	mkdir dst
	run --separate-stderr pcopy --progress=json -a src missing "no"$'\xff'"\"such"$'\n' dst
	assert_status 1
	printf '%s\n' "$stderr" >err.json
	run check_json_lines err.json "$(count f src)" "$(tree_bytes src)" 1
	assert_status 0
	assert_contains "$output" "errors=2"
	run "$PYTHON" - err.json <<'PY'
import base64, json, sys
errs = [json.loads(l) for l in open(sys.argv[1], "rb").read().decode().splitlines()]
errs = [e for e in errs if e["event"] == "error"]
assert [e["errno"] for e in errs] == [2, 2], errs
assert errs[0]["path"] == "missing" and "path_b64" not in errs[0], errs[0]
assert errs[1]["path"] == "no\ufffd\"such\n", errs[1]
assert base64.b64decode(errs[1]["path_b64"]) == b"no\xff\"such\n", errs[1]
assert errs[0]["message"] == "No such file or directory", errs[0]
PY
	assert_status 0
}

@test "summary json on stdout has the tree's counts" {
	make_tree src
	run --separate-stderr pcopy --summary=json -j 3 -a src dst
	assert_status 0
	[ -z "$stderr" ]
	run "$PYTHON" - "$output" "$(count f src)" "$(count d src)" "$(count l src)" \
		"$(tree_bytes src)" "$PCOPY_BACKEND" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
files, dirs, links, nbytes, backend = map(str, sys.argv[2:7])
assert list(s) == ["backend", "jobs", "elapsed", "files", "dirs", "symlinks", "hardlinks",
		   "specials", "bytes", "skipped", "errors", "exit"], list(s)
assert s["jobs"] == 3, s
assert backend == "auto" or s["backend"] == backend, s
assert isinstance(s["elapsed"], float) and s["elapsed"] >= 0, s
got = (s["files"], s["dirs"], s["symlinks"], s["bytes"])
assert got == (int(files), int(dirs), int(links), int(nbytes)), (got, files, dirs, links, nbytes)
assert (s["hardlinks"], s["specials"], s["errors"], s["exit"]) == (0, 0, 0, 0), s
assert s["skipped"] == {"unchanged": 0, "no_clobber": 0, "excluded": 0}, s
PY
	assert_status 0
}

@test "summary text on stderr names files, bytes, errors and backend" {
	make_tree src
	run --separate-stderr pcopy --summary=text -a src dst
	assert_status 0
	[ -z "$output" ]
	assert_contains "$stderr" "files:        $(count f src)"
	assert_contains "$stderr" "directories:  $(count d src)"
	assert_contains "$stderr" "symlinks:     1"
	assert_contains "$stderr" "bytes:        $(tree_bytes src) ("
	assert_contains "$stderr" "errors:       0"
	assert_contains "$stderr" "average rate: "
	[ "$PCOPY_BACKEND" = auto ] || assert_contains "$stderr" "backend:      $PCOPY_BACKEND"
}

@test "-q prints nothing, not even with -v and a progress mode" {
	make_tree src
	run --separate-stderr pcopy -q -v --progress=plain -a src dst
	assert_status 0
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ -f dst/sub/deep/big ]
}

@test "-q still prints errors and an explicit --summary" {
	make_tree src
	mkdir dst
	run --separate-stderr pcopy -q --summary=json -a src missing dst
	assert_status 1
	[ "$stderr" = "pcopy: missing: No such file or directory" ]
	assert_contains "$output" '"errors":1,"exit":1}'
}

@test "a copy to a non-terminal prints nothing by default" {
	make_tree src
	run --separate-stderr pcopy -a src dst
	assert_status 0
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "-v lines are quoted as cp -v quotes them" {
	make_tree src
	run --separate-stderr pcopy -v -a src dst
	assert_status 0
	[ -z "$stderr" ]
	printf '%s\n' "$output" | LC_ALL=C sort >pcopy.v
	mv dst pcopy-dst
	cp -v -a src dst | LC_ALL=C sort >cp.v
	diff -u cp.v pcopy.v
	# one line per entry, names with a newline included
	[ "$(wc -l <pcopy.v)" -eq "$(find src -printf . | wc -c)" ]
}

@test "plain: a final line for logs, no carriage returns" {
	make_tree src
	run --separate-stderr pcopy --progress=plain -a src dst
	assert_status 0
	[[ "$stderr" != *$'\r'* ]]
	[[ "$(tail -n 1 <<<"$stderr")" == "pcopy: done: "*" in $(count f src) files, "*" 0 errors, elapsed "* ]]
}

# on_terminal COLS CMD...: run CMD under script(1) on a COLS-wide pty;
# what the terminal received goes to tty.out, CMD's exit status to tty_status.
on_terminal() {
	local cols=$1
	shift
	require_cmd script
	tty_status=0
	TERM=xterm COLUMNS=$cols script -qfec "stty cols $cols rows 24; $*" /dev/null \
		>tty.out </dev/null || tty_status=$?
}

# screen COLS: replay tty.out as a COLS-wide terminal would (\r, \n, ESC[K,
# wrapping) and print the rows; fail if a row was ever written past COLS-1.
screen() {
	"$PYTHON" - tty.out "$1" <<'PY'
import re, sys
data, cols = open(sys.argv[1], "rb").read().decode("utf-8", "replace"), int(sys.argv[2])
rows, row, col = [], [], 0
for tok in re.findall(r"\x1b\[K|\x1b\[[0-9;?]*[A-Za-z]|[\r\n]|[^\r\n\x1b]", data):
	if tok == "\r":
		col = 0
	elif tok == "\n":
		rows.append("".join(row).rstrip())
		row, col = [], 0
	elif tok == "\x1b[K":
		del row[col:]
	elif tok.startswith("\x1b"):
		sys.exit("unexpected escape sequence %r" % tok)
	else:
		if col >= cols - 1:
			sys.exit("wrote column %d of %d: %r" % (col + 1, cols, "".join(row)))
		row.extend(" " * (col + 1 - len(row)))
		row[col] = tok
		col += 1
if "".join(row).strip():
	sys.exit("unterminated last row: %r" % "".join(row))
print("\n".join(rows))
PY
}

@test "bar: the default on a 40-column terminal, ends cleanly" {
	make_tree src
	on_terminal 40 "$PCOPY" -B "$PCOPY_BACKEND" -a src dst
	[ "$tty_status" -eq 0 ]
	run screen 40
	assert_status 0
	# nothing but the final line is left on the screen
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "100% "*"done in "* ]]
	[ ${#lines[0]} -le 39 ]
	[ -f dst/sub/deep/big ]
}

@test "bar: error lines never land inside the bar" {
	make_big_tree src
	mkdir dst
	# "m": the message fits in 40 columns, so a row is exactly one line
	on_terminal 40 "$PCOPY" -B "$PCOPY_BACKEND" -j 1 -a src m dst
	[ "$tty_status" -eq 1 ]
	bar_draws
	run screen 40
	assert_status 0
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "pcopy: m: No such file or directory" ]
	[[ "${lines[1]}" == "100% "*"done in "* ]]
}

@test "bar: -v lines on the same terminal clear the bar first" {
	make_big_tree src
	on_terminal 80 "$PCOPY" -B "$PCOPY_BACKEND" -j 1 -v -a src dst
	[ "$tty_status" -eq 0 ]
	bar_draws
	run screen 80
	assert_status 0
	# every row is a whole -v line, but the last: the final bar line
	local entries
	entries=$(find src -printf . | wc -c)
	[ "${#lines[@]}" -eq $((entries + 1)) ]
	for ((i = 0; i < entries; i++)); do
		[[ "${lines[i]}" == "'src"*"' -> 'dst"*"'" ]] || { echo "row $i: ${lines[i]}"; false; }
	done
	[[ "${lines[entries]}" == "100% ["*"done in "* ]]
}
