#!/bin/bash
# bench_acc.sh - figure 9 of `make bench` (issue 13): successive halving
# against training every network, on schemas/examples/accuracy.yaml with
# the same seeds, one process each, side by side in this run:
#   - the share of the train-everything front (hardware objectives and
#     accuracy at the final budget, points of dse run's accuracy-aware
#     front) that the halving run's front holds;
#   - the halving run's share of the training time (CPU seconds of the
#     trainings and their test evaluations, as dse run reports them: the
#     wall clock would count the other jobs of a shared machine) and of the
#     epochs trained.
# The train-everything spec is the example with `schedule: all` and the
# halving keys removed.  Prints the two runs' summaries, then
#   acc front FOUND OF PERCENT
#   acc time HALVING_S ALL_S PERCENT HALVING_EPOCHS ALL_EPOCHS
# Usage: bash tools/bench_acc.sh [DSE] [SPEC]
DSE=${1:-build/dse}
SPEC=${2:-schemas/examples/accuracy.yaml}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fdht-benchacc-XXXXXX") || exit 0
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/acc_common.sh"
cp "$SPEC" "$TMP/halving.yaml"
acc_schedule "$SPEC" all > "$TMP/all.yaml"
for k in halving all; do
    echo "== dse run ($k)"
    "$DSE" run "$TMP/$k.yaml" --db "$TMP/$k.db" --front-all > "$TMP/$k.out" 2>&1
    sed -n '/^accuracy:/,$p' "$TMP/$k.out" | cut -c1-150
done
acc_front "$TMP/all.out" > "$TMP/all.front"
acc_front "$TMP/halving.out" > "$TMP/halving.front"
of=$(wc -l < "$TMP/all.front")
found=$(comm -12 "$TMP/all.front" "$TMP/halving.front" | wc -l)
awk -v f="$found" -v n="$of" 'BEGIN { printf "acc front %d %d %.1f\n", f, n, n ? 100 * f / n : 0 }'
trained() { sed -n 's/^accuracy: [0-9]* trainings now (\([0-9]*\) epochs*, \([0-9.]*\) CPU-s).*/\2 \1/p' "$1"; }
read -r hs he <<< "$(trained "$TMP/halving.out")"
read -r als ale <<< "$(trained "$TMP/all.out")"
awk -v hs="$hs" -v als="$als" -v he="$he" -v ale="$ale" \
    'BEGIN { printf "acc time %s %s %.1f %s %s\n", hs, als, (als > 0) ? 100 * hs / als : 0, he, ale }'
exit 0
