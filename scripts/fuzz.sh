#!/usr/bin/env bash
# fuzz.sh GO FUZZTIME pkg:Target... — runs each fuzz target briefly.
#
# A real failure always leaves its input in pkg/testdata/fuzz/Target/. The
# go command also fails a run with only "context deadline exceeded" when the
# fuzz time ends while a worker is busy (minimizing a new input on a loaded
# machine); that run found nothing, so it is tried once more rather than
# failing CI. A second such run, or any run that leaves an input, fails.
set -uo pipefail
go=$1 fuzztime=$2
shift 2
for pair in "$@"; do
  pkg=${pair%%:*} target=${pair##*:}
  corpus="$pkg/testdata/fuzz/$target"
  for attempt in 1 2; do
    echo "fuzz $target ($pkg, $fuzztime)"
    before=$(ls "$corpus" 2>/dev/null | wc -l)
    out=$("$go" test -run='^$' -fuzz="^$target\$" -fuzztime="$fuzztime" -fuzzminimizetime=2s "$pkg" 2>&1)
    status=$?
    echo "$out"
    [ $status -eq 0 ] && break
    after=$(ls "$corpus" 2>/dev/null | wc -l)
    if [ "$attempt" -eq 1 ] && [ "$after" -eq "$before" ] && grep -q "context deadline exceeded" <<<"$out" && ! grep -q "Failing input written" <<<"$out"; then
      echo "fuzz $target: the go command's deadline ended a busy worker; nothing was found; once more"
      continue
    fi
    exit 1
  done
done
