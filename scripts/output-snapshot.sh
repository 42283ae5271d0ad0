#!/usr/bin/env bash
# Generated output of the shared real corpus and the bundled examples, every
# target and dialect, into one folder: the "byte-identical before and after a
# restructuring" check of issue 16. Run it with the binary before and after,
# then `diff -r` the two folders (a fresh store each time: no reuse, no LLM).
#   scripts/output-snapshot.sh BINARY OUT_DIR [SHARED_DIR]
set -euo pipefail
bin=$(realpath "$1"); out=$2; shared=${3:-../shared}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"; mkdir -p "$out"
out=$(realpath "$out")
shared=$(realpath "$shared")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for corpus in real examples; do
  if [ "$corpus" = real ]; then src="$shared/corpus/real"; else src="$root/examples/exports"; fi
  for t in glue teradata postgres oracle sqlserver ansi; do
    if [ "$t" = glue ]; then args=(--target glue); else args=(--target sql --dialect "$t"); fi
    (cd "$work" && "$bin" build "$src" --no-llm --store "$work/store-$corpus-$t" \
        --output-dir "$out/$corpus/$t" "${args[@]}" >/dev/null 2>&1) || echo "build $corpus $t exited $?"
  done
done
# The store record and the run summary carry timings; keep only generated code.
find "$out" -name '.dsmig*' -prune -exec rm -rf {} + 2>/dev/null || true
echo "$(find "$out" -type f | wc -l) files under $out"
