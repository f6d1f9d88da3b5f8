# tools/acc_common.sh - what tools/bench_acc.sh and tools/acc_replay.sh share
# (sourced, not run): a spec with its accuracy schedule rewritten, and the
# accuracy-aware front of a dse run's output.

# acc_schedule SPEC SCHEDULE [EPOCHS [BUDGETS ETA]]: SPEC on stdout with
# `schedule: SCHEDULE` (and `epochs: EPOCHS` when given), its halving keys
# dropped, and for halving `eta: ETA`, `budgets: [BUDGETS]` appended (the
# accuracy section is the spec's last).
acc_schedule() {
    sed -e "s/^\( *schedule:\).*/\1 $2/" ${3:+-e "s/^\( *epochs:\).*/\1 $3/"} \
        -e '/^ *\(eta\|min_epochs\|rungs\|budgets\):/d' "$1"
    if [ "$2" = halving ]; then printf '  eta: %s\n  budgets: [%s]\n' "$5" "$4"; fi
}

# acc_front OUT: the points of the accuracy-aware front that dse run
# --front-all printed into OUT, sorted.
acc_front() {
    sed -n '/^Accuracy-aware Pareto front/,$p' "$1" | awk '$NF ~ /^lstm;/ { print $NF }' | sort
}
