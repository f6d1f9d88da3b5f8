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
# One front per workload: the points each spec's runs evaluated (dse pareto
# --workload), LSTM-UCF's and LSTM-Youtube's each whole although they share
# their concat designs (one layer shape, N_in 57,600, H 256).
for w in lstm-ucf lstm-youtube hollywood2; do
  echo "== Pareto front of $db, workload $w (valid points): params, energy per frame, throughput"
  "$dse" pareto --db "$db" --workload "$w" --where "valid = 1" \
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
