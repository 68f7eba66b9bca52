#!/usr/bin/env bash
# Build the parser fuzzer with clang's libFuzzer (Debian: clang-14,
# libclang-rt-14-dev) and run it for SECONDS (default 120). Exit 0 when no
# input crashed; a crash leaves its reproducer in the work directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
seconds=${1:-120}
work=${FUZZ_WORK:-/tmp/pcopy-fuzz}
mkdir -p "$work/corpus"
printf '\x0064K' >"$work/corpus/size"
printf '\x011024' >"$work/corpus/jobs"
printf '\x02a/**/c\na/b/b2/c' >"$work/corpus/glob"
printf '\x03new\nline\xff' >"$work/corpus/name"
# Debian's clang-14 package installs clang-14; "clang" only comes with the
# clang metapackage.
CLANG=$(command -v clang || command -v clang-14) || { echo "clang not found"; exit 1; }
"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -std=gnu11 -I"$root/include" -I"$root/src" -I"$root" \
	"$here/fuzz_parsers.c" "$root/src/cli/size.c" "$root/src/engine/exclude.c" "$root/src/engine/files_from.c" \
	"$root/src/util/quote.c" "$root/src/report/json.c" "$root/src/util/util.c" \
	-o "$work/fuzz_parsers"
cd "$work"
./fuzz_parsers -max_total_time="$seconds" -max_len=4096 -timeout=5 corpus
