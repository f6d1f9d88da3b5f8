#!/bin/bash
# acc_replay.sh - replays successive-halving schedules of an accuracy spec
# on stored trainings, without training (docs/ACCURACY.md, "Replayed
# schedules").  Two steps:
#
#   bash tools/acc_replay.sh ladder SPEC DB "1 2 3 4 6 9 13 18 27"
#       every class of SPEC's space trained to each budget in turn into DB
#       (`schedule: all`, each budget continuing from the last one's
#       checkpoint: the bits of training it from scratch);
#   bash tools/acc_replay.sh replay SPEC DB "1, 3, 9" ETA
#       the schedule (budgets, eta) run by dse run's own rule on a copy of
#       DB, which trains nothing when the ladder holds its budgets.  Prints
#         replay [BUDGETS] eta ETA: RUNGS | epochs P% | found F/N
#       where the front is the accuracy-aware front of `schedule: all` at
#       the last budget (points), found = the halving front's share of it,
#       and epochs = the schedule's epochs over training every class to the
#       last budget.
#
# SPEC is any spec with an accuracy section; its schedule keys are
# rewritten as tools/bench_acc.sh does (tools/acc_common.sh).  DSE
# (environment) names the binary [build/dse].
DSE=${DSE:-build/dse}
. "$(dirname "$0")/acc_common.sh"
usage() { echo "usage: bash tools/acc_replay.sh ladder SPEC DB \"B1 B2 ...\" | replay SPEC DB \"B1, B2, ...\" ETA" >&2; exit 2; }
case ${1:-} in
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    ladder|replay) ;;
    *) usage ;;
esac
[ $# -ge 4 ] || usage
mode=$1 spec=$2 db=$3 buds=$4 eta=${5:-3}
[ -f "$spec" ] || { echo "acc_replay.sh: $spec: no such spec" >&2; exit 2; }
"$DSE" validate "$spec" > /dev/null || exit 2 # its errors name SPEC, not the rewritten copy
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fdht-replay-XXXXXX") || exit 1
cur=""   # the spec written beside SPEC, removed however the script ends
trap 'rm -rf "$TMP"; [ -n "$cur" ] && rm -f "$cur"' EXIT
# spec_with SCHEDULE EPOCHS [BUDGETS ETA]: $cur = SPEC with those schedule
# keys, beside SPEC so that its relative paths still resolve
spec_with() {
    local out
    out=$(mktemp "$(dirname "$spec")/.replay-XXXXXX.yaml") || exit 1
    cur=$out
    acc_schedule "$spec" "$@" > "$out"
}
case $mode in
ladder)
    for e in $buds; do
        spec_with all "$e"
        echo "== every class to $e epoch$([ "$e" = 1 ] || echo s)"
        "$DSE" run "$cur" --db "$db" --quiet; rc=$?
        rm -f "$cur"; cur=""
        if [ $rc -eq 130 ]; then
            echo "acc_replay.sh: interrupted; this same command continues (not dse run's line above: its spec was a temporary copy)" >&2
        fi
        [ $rc -eq 0 ] || exit $rc
    done ;;
replay)
    [ -f "$db" ] || { echo "acc_replay.sh: $db: no such database (run the ladder first)" >&2; exit 2; }
    last=${buds##*,}; last=${last// /}
    spec_with all "$last"; cp "$db" "$TMP/all.db"
    "$DSE" run "$cur" --db "$TMP/all.db" --front-all > "$TMP/all.out" 2>&1; rm -f "$cur"
    spec_with halving "$last" "$buds" "$eta"; cp "$db" "$TMP/h.db"
    "$DSE" run "$cur" --db "$TMP/h.db" --front-all > "$TMP/h.out" 2>&1; rc=$?; rm -f "$cur"; cur=""
    [ $rc -eq 0 ] || { cat "$TMP/h.out" >&2; exit $rc; }
    for k in all h; do
        grep -q '^accuracy: 0 trainings now' "$TMP/$k.out" ||
            echo "acc_replay.sh: warning: the ladder lacks a budget; $k trained" >&2
    done
    acc_front "$TMP/all.out" > "$TMP/all.front"; acc_front "$TMP/h.out" > "$TMP/h.front"
    rungs=$(sed -n 's/.*networks per rung: //p' "$TMP/h.out")
    n=$(sed -n 's/.* networks in \([0-9]*\) classes.*/\1/p' "$TMP/h.out")
    ep=$(echo "$rungs" | tr ',' '\n' | awk -v N="$n" -v F="$last" \
        '{ s += $1 * ($3 - b); b = $3 } END { printf "%.1f", N ? 100 * s / (N * F) : 0 }')
    echo "replay [$buds] eta $eta: $rungs | epochs $ep% | found $(comm -12 "$TMP/all.front" "$TMP/h.front" | wc -l)/$(wc -l < "$TMP/all.front")" ;;
*) usage ;;
esac
