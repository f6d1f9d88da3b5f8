#!/bin/sh
# plots.sh [DSE [OUT]] - what `make plots` runs: draws the figures of the
# results database OUT/dse.db and of `dse reproduce`'s tables into OUT
# (default results/) as PNG and SVG.
#
#   - DB=F selects another database: a file, or several read as one (a
#     directory of shard databases, or the shard-set file `dse sweep
#     --no-merge` leaves, docs/SPEC.md): each query then runs on every
#     database and the rows are concatenated (the queries only filter
#     rows), and the fronts come from dse pareto, which reads them as one;
#   - OUT/dse.db missing: the default sweep of `make run` fills it first
#     (the example specs lstm-ucf, lstm-youtube and hollywood2 of
#     schemas/examples/);
#   - OUT/reproduce_*.csv missing: `dse reproduce` writes them (and stores
#     its sweeps' fronts in OUT/dse.db);
#   - the data each figure reads is exported to a temporary directory
#     (sqlite3 -csv, dse pareto --format csv, awk) and plotted by the gnuplot
#     script of the same name in plots/.
#
# Figures: pareto_energy_params, pareto_throughput_area, pareto_error_params,
# rank_error, breakdown_area, breakdown_energy, ana_vs_func.
set -eu

dse=${1:-build/dse}
out=${2:-results}
db=${DB:-$out/dse.db}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# the workload the Pareto figures show: N_in 57,600, H 256 (LSTM-UCF / Youtube)
work="point LIKE 'lstm;nin=57600;h=256;%'"

for tool in gnuplot sqlite3 awk; do
  command -v $tool >/dev/null 2>&1 || { echo "plots: $tool not found (make deps)" >&2; exit 1; }
done
[ -x "$dse" ] || { echo "plots: $dse not found (build it first)" >&2; exit 1; }
mkdir -p "$out"

if [ ! -f "$db" ]; then
  echo "plots: $db missing: running the default sweep (schemas/examples lstm-ucf, lstm-youtube, hollywood2)"
  for s in lstm-ucf lstm-youtube hollywood2; do
    "$dse" run "$root/schemas/examples/$s.yaml" --db "$db" --quiet >/dev/null
  done
fi
# the databases behind $db: itself, or the members of a set (directory or
# shard-set file: its first line, then one path a line, relative to it)
members() {
  if [ -d "$db" ]; then
    for f in "$db"/*.db; do [ -f "$f" ] && printf '%s\n' "$f"; done
  elif [ "$(head -n 1 "$db")" = "FDHT-DSE shard set 1" ]; then
    dir=$(dirname "$db")
    tail -n +2 "$db" | grep -v '^#' | grep -v '^$' | while IFS= read -r m; do
      case $m in /*) printf '%s\n' "$m" ;; *) printf '%s\n' "$dir/$m" ;; esac
    done
  else
    printf '%s\n' "$db"
  fi
}
single=1
[ "$(members | wc -l)" = 1 ] && [ "$(members)" = "$db" ] || single=0

if [ ! -f "$out/reproduce_designs.csv" ] || [ ! -f "$out/reproduce_crosscheck.csv" ]; then
  echo "plots: running dse reproduce (tables into $out)"
  # its fronts are stored in a plain database only (a set is read-only)
  if [ "$single" = 1 ]; then rdb="--db $db"; else rdb="--no-db"; fi
  "$dse" reproduce --out "$out" $rdb --quiet >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

q() { members | while IFS= read -r m; do sqlite3 -csv "$m" "$1"; done; }

# ---- the sweep's points and fronts (energy per frame with DRAM, in uJ) ----
cols="params, energy_pj / 1e6, throughput_fps, area_mm2"
q "SELECT $cols FROM results WHERE valid AND $work AND point LIKE '%dec=partial%'" >"$tmp/partial.csv"
q "SELECT $cols FROM results WHERE valid AND $work AND point LIKE '%dec=concat%'" >"$tmp/concat.csv"
q "SELECT $cols FROM results WHERE valid AND $work AND point LIKE '%dec=separate%'" >"$tmp/separate.csv"

# the front from dse pareto (over every database at once), the columns of
# $cols taken from its CSV (the point string, field 2, may hold commas:
# counted from the end), sorted by the first objective then the second
front() { # front FILE SORTKEYS OBJECTIVES...
  file=$1; keys=$2; shift 2
  "$dse" pareto --db "$db" "$@" --where "valid AND $work" --format csv \
      --columns params,energy_pj,throughput_fps,area_mm2 2>/dev/null |
    awk -F, 'NR > 1 { n = NF; printf "%s,%s,%s,%s\n", $(n-3), $(n-2) / 1e6, $(n-1), $n }' |
    sort -t, -g $keys >"$file"
}
front "$tmp/front_ep.csv" "-k1,1 -k2,2" --objective params:min --objective energy_pj:min
front "$tmp/front_ta.csv" "-k4,4 -k3,3" --objective area_mm2:min --objective throughput_fps:max

# ---- dse reproduce's tables ----
# markers: one row per design of the ratio table (params, energy uJ, fps, area, label)
awk -F, 'NR > 1 && ($2 == "TIE" || $2 == "FDHT (selected)") {
  name = ($2 == "TIE") ? "TIE (" $1 ")" : "FDHT (selected)";
  if (seen[name]++) next;
  printf "%s,%s,%s,%s,\"%s\"\n", $3, $8 / 1e6, $6, $7, name }' \
  "$out/reproduce_designs.csv" >"$tmp/markers.csv"
cp "$out/reproduce_rank_error.csv" "$tmp/rank_error.csv"
# the selected rows of the model-size table: TT-LSTM (= TIE's model) and FDHT
awk -F, 'NR > 1 && ($2 == "TT-LSTM" || $2 == "FDHT-LSTM") && $1 == "UCF11" {
  p = ($2 == "TT-LSTM") ? $4 : $6; printf "%s,%s,%s\n", p, $8, $2 }' \
  "$out/reproduce_model_size.csv" >"$tmp/size_sel.csv"

# breakdowns in wide form: one row per design (TIE UCF, TIE Youtube, FDHT),
# one column per component, readable component names (quoted: whitespace data)
wide() { # wide KIND SCALE FILE
  awk -F, -v kind="$1" -v scale="$2" -v FILENAME_OUT="$3" '
    BEGIN {
      split("mult multipliers|add adders|reg registers|wsram weight SRAM|work working SRAM|" \
            "work_rd working SRAM read|work_wr working SRAM write|inbuf input buffer|" \
            "inbuf_rd input buffer read|inbuf_wr input buffer write|zbuf z buffer|sfu SFU|" \
            "ctrl control|dram DRAM (input frame)|leak leakage", m, "|");
      for (i in m) { k = m[i]; sub(/ .*/, "", k); nm = m[i]; sub(/^[^ ]* /, "", nm); nice[k] = nm }
      rname[1] = "TIE (LSTM-UCF)"; rname[2] = "TIE (LSTM-Youtube)"; rname[3] = "FDHT (selected)"
    }
    NR > 1 && $3 == kind {
      r = ($2 != "TIE") ? 3 : ($1 == "LSTM-UCF") ? 1 : 2;
      if (!(($4) in col)) { col[$4] = ++nc; cname[nc] = ($4 in nice) ? nice[$4] : $4 }
      v[r, col[$4]] = $5 / scale
    }
    END {
      print nc + 1 > (FILENAME_OUT ".ncol");
      printf "design"; for (j = 1; j <= nc; j++) printf " \"%s\"", cname[j]; printf "\n";
      for (i = 1; i <= 3; i++) {
        printf "\"%s\"", rname[i]; for (j = 1; j <= nc; j++) printf " %.6g", v[i, j]; printf "\n"
      }
    }' "$out/reproduce_breakdown.csv" >"$3"
}
wide area_um2 1e6 "$tmp/area.dat"
wide energy_pj 1e6 "$tmp/energy.dat"

# analytical vs functional: one block per design (TIE-UCF, TIE-Youtube, FDHT)
awk -F, 'NR > 1 { print $5 "," $6 "," $7 "," $8 > (tmpdir "/xc_" ($2 == "FDHT" ? "fdht" : ($1 == "LSTM-UCF" ? "tie_ucf" : "tie_yt")) ".csv") }' \
  tmpdir="$tmp" "$out/reproduce_crosscheck.csv"

# ---- draw ----
n=0
for fig in pareto_energy_params pareto_throughput_area pareto_error_params rank_error \
           breakdown_area breakdown_energy ana_vs_func; do
  gnuplot -e "dir='$tmp'; out='$out'; common='$here/common.gp'" "$here/$fig.gp"
  n=$((n + 1))
done
echo "plots: $n figures (PNG and SVG) in $out/"
