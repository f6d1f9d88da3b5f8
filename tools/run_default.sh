#!/bin/sh
# run_default.sh DSE: what `make run` does after building - sweeps the paper
# workloads (LSTM-UCF, LSTM-Youtube, Hollywood2) into results/dse.db,
# prints the Pareto front of each workload, then runs the accuracy-aware
# example (schemas/examples/accuracy.yaml: its networks trained by
# successive halving, a minute or two) and prints its accuracy-aware front,
# then draws the figures.
# Running it again resumes: points already stored are not evaluated twice.
set -e
dse=${1:-build/dse}
db=${DSE_DB:-results/dse.db}
mkdir -p "$(dirname "$db")"
for spec in lstm-ucf lstm-youtube hollywood2; do
  echo "== sweep schemas/examples/$spec.yaml"
  "$dse" run "schemas/examples/$spec.yaml" --db "$db"
  echo
done
# One front per workload (layer shape): LSTM-UCF and LSTM-Youtube share
# theirs (N_in 57,600, H 256), Hollywood2 has its own (70,200, 256).
for w in "57600 256 LSTM-UCF / LSTM-Youtube" "70200 256 Hollywood2"; do
  set -- $w
  nin=$1 h=$2; shift 2
  echo "== Pareto front of $db, $* (N_in $nin, H $h; valid points): params, energy per frame, throughput"
  "$dse" pareto --db "$db" --where "valid = 1 AND point LIKE 'lstm;nin=$nin;h=$h;%'" \
    --objective params:min --objective energy_pj:min --objective throughput_fps:max --limit 40
  echo
done
echo "== accuracy-aware sweep schemas/examples/accuracy.yaml (N_in 1024, H 16; moving-fmnist"
echo "   32x32 clips; its networks trained by successive halving, front with accuracy)"
"$dse" run schemas/examples/accuracy.yaml --db "$db"
echo
if [ -f plots/plots.sh ]; then
  echo
  echo "== figures"
  sh plots/plots.sh "$dse" "$(dirname "$db")"
fi
