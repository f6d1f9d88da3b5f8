#!/bin/sh
# run_default.sh DSE: what `make run` does after building - sweeps the paper
# workloads (LSTM-UCF, LSTM-Youtube, Hollywood2) into results/dse.db,
# prints the Pareto front of the whole database, then draws the figures.
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
echo "== Pareto front of $db (valid points): params, energy per frame, throughput"
"$dse" pareto --db "$db" --where "valid = 1" \
  --objective params:min --objective energy_pj:min --objective throughput_fps:max --limit 40
if [ -f plots/plots.sh ]; then
  echo
  echo "== figures"
  sh plots/plots.sh "$dse" "$(dirname "$db")"
fi
