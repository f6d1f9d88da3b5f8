#!/bin/sh
# run_default.sh DSE: what `make run` does after building - evaluates the
# LSTM-UCF example points (TT-LSTM's published TT layer and an HT layer of
# the same shapes) and prints them.
set -e
dse=${1:-build/dse}
echo "== LSTM-UCF input layer, TT-LSTM configuration (TT ranks 1,4,4,4,1)"
"$dse" eval --format tt --in-modes 8x20x20x18 --out-modes 16x4x4x4 --ranks 4
echo
echo "== LSTM-UCF input layer, HT balanced tree, every rank 4"
"$dse" eval --format ht --in-modes 8x20x20x18 --out-modes 16x4x4x4 --tree '((1,2),(3,4))' --ranks 4
