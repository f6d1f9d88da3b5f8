#!/bin/sh
# plots.sh [DSE [OUT]] [--db F] [--run ID] [--no-reproduce] - what `make plots` runs: draws
# the figures of a results database and of `dse reproduce`'s tables into OUT
# (default results/) as PNG and SVG.  It never writes to the database.
#
#   - the database: --db F (or DB=F; default OUT/dse.db): a file, or several
#     read as one (a directory of shard databases, or the shard-set file
#     `dse sweep --no-merge` leaves, docs/SPEC.md): each query then runs on
#     every database and the rows are concatenated (the queries only filter
#     rows), and the fronts come from dse pareto, which reads them as one;
#     --run ID keeps the points of one run (all it evaluated, also those
#     another run had stored first);
#   - one figure set per workload the database holds (the layer's N_in and H
#     read from the point strings): pareto_energy_params_TAG,
#     pareto_throughput_area_TAG, and accuracy_params_TAG and
#     accuracy_energy_TAG when some point of
#     the workload has a measured accuracy; TAG is e.g. lstm-57600x256, and
#     each title says what was drawn (workload, points, run);
#   - OUT/dse.db missing (only when no database was named): the default sweep
#     of `make run` fills it first (the example specs lstm-ucf, lstm-youtube
#     and hollywood2 of schemas/examples/);
#   - the reproduction figures (pareto_error_params, rank_error,
#     breakdown_area, breakdown_energy, ana_vs_func, and the TIE and FDHT
#     markers on the N_in 57,600, H 256 figures) come from dse reproduce's
#     own tables and database (OUT/reproduce_*.csv, OUT/reproduce.db), made
#     when missing (--no-reproduce: the database's figures only);
#   - proxy_vs_trained: each cheap accuracy estimate of the committed tabular
#     benchmark (docs/data/accbench-mf64.csv) against trained accuracy, the
#     Spearman rho of tools/rankcorr.awk in each key (docs/ACCURACY.md);
#   - the data each figure reads is exported to a temporary directory
#     (sqlite3 -readonly -csv, dse pareto --format csv, awk) and plotted by
#     the gnuplot script of the same name in plots/.
set -eu

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; }
dse=build/dse out=results db=${DB:-} run="" repro=1
npos=0
while [ $# -gt 0 ]; do
  case $1 in
    --help|-h) usage; exit 0 ;;
    --db) [ $# -ge 2 ] || { echo "plots: --db needs a database" >&2; exit 2; }; db=$2; shift 2 ;;
    --run) [ $# -ge 2 ] || { echo "plots: --run needs a run id" >&2; exit 2; }
           case $2 in ''|*[!0-9]*) echo "plots: --run takes a run id (a number), got '$2'" >&2; exit 2 ;; esac
           run=$2; shift 2 ;;
    --no-reproduce) repro=0; shift ;;
    -*) echo "plots: unknown option '$1' (try plots/plots.sh --help)" >&2; exit 2 ;;
    *) npos=$((npos + 1)); [ $npos = 1 ] && dse=$1; [ $npos = 2 ] && out=$1
       [ $npos -gt 2 ] && { echo "plots: unexpected argument '$1'" >&2; exit 2; }; shift ;;
  esac
done
named=1
[ -n "$db" ] || { db=$out/dse.db; named=0; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

for tool in gnuplot sqlite3 awk; do
  command -v $tool >/dev/null 2>&1 || { echo "plots: $tool not found (make deps)" >&2; exit 1; }
done
[ -x "$dse" ] || { echo "plots: $dse not found (build it first)" >&2; exit 1; }
mkdir -p "$out"

if [ ! -e "$db" ]; then
  [ $named = 1 ] && { echo "plots: $db: no such database" >&2; exit 2; }
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
  elif [ "$(head -c 21 "$db" | tr -d '\000')" = "FDHT-DSE shard set 1" ]; then
    # (21 bytes, not a line: a database file's first "line" holds NUL bytes)
    dir=$(dirname "$db")
    tail -n +2 "$db" | grep -v '^#' | grep -v '^$' | while IFS= read -r m; do
      case $m in /*) printf '%s\n' "$m" ;; *) printf '%s\n' "$dir/$m" ;; esac
    done
  else
    printf '%s\n' "$db"
  fi
}

# dse reproduce's tables and fronts: its own database, never the user's
if [ $repro = 1 ] && { [ ! -f "$out/reproduce_designs.csv" ] || [ ! -f "$out/reproduce_crosscheck.csv" ]; }; then
  echo "plots: running dse reproduce (tables into $out, its fronts into $out/reproduce.db)"
  "$dse" reproduce --out "$out" --db "$out/reproduce.db" --quiet >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# read-only queries (sqlite3 -readonly never writes the file)
q() { members | while IFS= read -r m; do sqlite3 -readonly -csv "$m" "$1"; done; }
# --run: the points the run evaluated, also those another run stored first
# (table run_point; a file older than it knows only the stored ones)
runw=""
if [ -n "$run" ]; then
  if q "SELECT count(*) FROM sqlite_master WHERE name = 'run_point'" | grep -q '^0$'; then
    runw=" AND run_id = $run"
  else
    runw=" AND (run_id = $run OR id IN (SELECT point_id FROM run_point WHERE run_id = $run))"
  fi
fi
runf=""
[ -n "$run" ] && runf="--run $run"

# the workloads: the point strings' prefix up to ';dec=' (lstm) or 'mv'
q "SELECT DISTINCT CASE WHEN point LIKE 'lstm;%' THEN substr(point, 1, instr(point, ';dec=') - 1)
   ELSE 'mv' END FROM results WHERE valid$runw" | sort -u >"$tmp/workloads"
[ -s "$tmp/workloads" ] || { echo "plots: $db holds no valid point${run:+ of run $run}" >&2; }
# ---- dse reproduce's tables ----
: >"$tmp/markers.csv"
if [ $repro = 1 ]; then
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

fi

# draw FIG VARS: gnuplot on plots/FIG.gp; its warnings about a series with
# no points (no separate designs, no markers off the paper's workload) are
# expected and dropped, anything else it says is shown.
draw() {
  gnuplot -e "$2" "$here/$1.gp" 2>"$tmp/gp.err" || { cat "$tmp/gp.err" >&2; exit 1; }
  grep -v 'no valid points' "$tmp/gp.err" | grep -v '^ *$' >&2 || true
}

# ---- the database's figures: one set per workload ----
# workload_set WORKLOAD: exports its points and fronts, draws its figures.
workload_set() {
  w=$1
  case $w in
    mv) tag=mv; desc="one matrix-vector product"; like="mv/%" ;;
    *) nin=$(printf '%s' "$w" | sed 's/.*nin=\([0-9]*\).*/\1/')
       h=$(printf '%s' "$w" | sed 's/.*;h=\([0-9]*\).*/\1/')
       tag="lstm-${nin}x$h"; desc="LSTM layer N_{in} = $nin, H = $h"; like="$w;dec=%" ;;
  esac
  where="valid AND point LIKE '$like'$runw"
  cols="params, energy_pj / 1e6, throughput_fps, area_mm2, accuracy"
  for dec in partial concat separate; do
    q "SELECT $cols FROM results WHERE $where AND point LIKE '%dec=$dec%'" >"$tmp/$dec.csv"
  done
  [ "$tag" = mv ] && q "SELECT $cols FROM results WHERE $where" >"$tmp/partial.csv"
  npts=$(cat "$tmp/partial.csv" "$tmp/concat.csv" "$tmp/separate.csv" | wc -l)
  # one layer's figure: the runs of every spec of that layer (LSTM-UCF and
  # LSTM-Youtube share theirs), hence --all-workloads
  front() { # front FILE SORTKEYS OBJECTIVES...
    file=$1; keys=$2; shift 2
    "$dse" pareto --db "$db" $runf "$@" --where "$where" --all-workloads --format csv \
        --columns params,energy_pj,throughput_fps,area_mm2,accuracy 2>/dev/null |
      awk -F, 'NR > 1 { n = NF; printf "%s,%s,%s,%s,%s\n", $(n-4), $(n-3) / 1e6, $(n-2), $(n-1), $n }' |
      sort -t, -g $keys >"$file"
  }
  front "$tmp/front_ep.csv" "-k1,1 -k2,2" --objective params:min --objective energy_pj:min
  front "$tmp/front_ta.csv" "-k4,4 -k3,3" --objective area_mm2:min --objective throughput_fps:max
  # the markers of dse reproduce's designs belong to the paper's workload
  if [ "$tag" = lstm-57600x256 ]; then cp "$tmp/markers.csv" "$tmp/mk.csv"; else : >"$tmp/mk.csv"; fi
  ttl="$desc: $npts valid points${run:+ of run $run} ($(basename "$db"))"
  figs="pareto_energy_params pareto_throughput_area"
  if awk -F, '$5 != "" { found = 1 } END { exit !found }' "$tmp/partial.csv" "$tmp/concat.csv" "$tmp/separate.csv"; then
    front "$tmp/front_ap.csv" "-k1,1 -k5,5" --objective params:min --objective accuracy:max
    front "$tmp/front_ae.csv" "-k2,2 -k5,5" --objective energy_pj:min --objective accuracy:max
    figs="$figs accuracy_params accuracy_energy"
  fi
  for fig in $figs; do
    draw "$fig" "dir='$tmp'; out='$out'; tag='$tag'; ttl='$ttl'; common='$here/common.gp'"
    n=$((n + 1))
  done
}

# ---- proxy vs trained accuracy: the committed tabular benchmark ----
# per network (the seeds' rows averaged): params, MACs, HSVD error on the
# trained dense reference, HSVD lower bound on a Gaussian matrix, sum of log
# ranks, epoch-1 val accuracy, test accuracy; one file per family.  The rho
# of each proxy over all networks comes from tools/rankcorr.awk (the figures
# of docs/ACCURACY.md).
bench="$root/docs/data/accbench-mf64.csv"
proxy_set() {
  awk -v tmpdir="$tmp" -f "$root/tools/csv.awk" -f /dev/stdin "$bench" <<'AWK'
    NR == 1 { n = csvsplit($0, h); for (i = 1; i <= n; i++) col[h[i]] = i; next }
    {
      csvsplit($0, v); id = v[col["id"]]
      if (!(id in cnt)) {
        ids[++nid] = id
        fam[id] = (v[col["format"]] == "dense") ? "dense" : v[col["dec"]] "-" v[col["format"]]
        pr[id] = v[col["params"]] "," v[col["macs"]] "," v[col["hsvd_err"]] "," \
                 v[col["gauss_lower"]] "," v[col["sumlog_rank"]]
      }
      cnt[id]++; acc[id] += v[col["test_acc"]]; e1[id] += v[col["e1_val_acc"]]
    }
    END {
      for (k = 1; k <= nid; k++) {
        id = ids[k]
        printf "%s,%.6g,%.6g\n", pr[id], e1[id] / cnt[id], acc[id] / cnt[id] > (tmpdir "/pv_" fam[id] ".csv")
      }
    }
AWK
  for f in dense partial-tt partial-ht concat-tt concat-ht; do [ -f "$tmp/pv_$f.csv" ] || : >"$tmp/pv_$f.csv"; done
  awk -f "$root/tools/csv.awk" -f "$root/tools/rankcorr.awk" "$bench" | awk -F'|' '
    /^### / { sec++ }
    sec == 1 && NF > 3 {
      gsub(/^ +| +$/, "", $2); gsub(/ /, "", $3)
      if ($2 == "params (LSTM weights)") r[1] = $3
      if ($2 == "MACs per frame") r[2] = $3
      if ($2 == "HSVD error, trained dense ref. (exact)") r[3] = $3
      if ($2 == "HSVD lower bound, Gaussian") r[4] = $3
      if ($2 == "sum of log ranks (= product of ranks)") r[5] = $3
      if ($2 == "epoch-1 val accuracy") r[6] = $3
    }
    END { for (i = 1; i <= 6; i++) printf "rho_%d=\"%s\"; ", i, (i in r) ? r[i] : "?" }'
}

# ---- draw ----
n=0
if [ -f "$bench" ]; then
  rhos=$(proxy_set)
  draw proxy_vs_trained "dir='$tmp'; out='$out'; common='$here/common.gp'; $rhos ttl='Cheap accuracy estimates vs trained test accuracy: 52 networks, moving-fmnist 64x64, H 64, 2 seeds (docs/data/accbench-mf64.csv)'"
  n=$((n + 1))
fi
while IFS= read -r w; do workload_set "$w"; done <"$tmp/workloads"
[ $repro = 1 ] && for fig in pareto_error_params rank_error breakdown_area breakdown_energy ana_vs_func; do
  draw "$fig" "dir='$tmp'; out='$out'; common='$here/common.gp'"
  n=$((n + 1))
done
echo "plots: $n figures (PNG and SVG) in $out/"
