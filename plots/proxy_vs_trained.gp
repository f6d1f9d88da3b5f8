# proxy_vs_trained.gp - each cheap accuracy estimate ("proxy") of the tabular
# benchmark (docs/data/accbench-mf64.csv, docs/ACCURACY.md) against the
# trained test accuracy (mean of the seeds), one panel per proxy, one colour
# per family, the Spearman rho over all networks (tools/rankcorr.awk) in each
# key.  Run by plots.sh with dir, out, ttl and rho_1 .. rho_6 set; the data
# files dir/pv_FAMILY.csv hold, per network: params, MACs, HSVD error on the
# trained dense reference, HSVD lower bound on a Gaussian matrix, sum of log
# ranks, epoch-1 val accuracy, test accuracy.
load common
fam = "dense partial-tt partial-ht concat-tt concat-ht"
array famname[5] = ["dense", "partial TT", "partial HT", "concat TT", "concat HT"]
famcol(i) = word("#000000 #fdae6b #e6550d #9ecae1 #08519c", i)
array lab[6] = ["params (log scale)", "MACs per frame (log scale)", \
  "HSVD error, trained dense reference (the dense net, 0, off the scale)", \
  "HSVD lower bound, Gaussian matrix (the dense net, 0, off the scale)", \
  "sum of log ranks", "epoch-1 val accuracy"]
array rho[6] = [rho_1, rho_2, rho_3, rho_4, rho_5, rho_6]
f(i) = dir.'/pv_'.word(fam, i).'.csv'
panels = 'set multiplot layout 2,3 title ttl font ",12"; \
  do for [p = 1:6] { \
    if (p <= 2) { set logscale x; set format x "10^{%T}"; set xrange [*:*] } \
    else { unset logscale x; set format x "%g"; if (p == 3 || p == 4) { set xrange [0.84:1.005] } else { set xrange [*:*] } }; \
    set xlabel lab[p]; set ylabel (p == 1 || p == 4) ? "test accuracy (mean of 2 seeds)" : ""; \
    set key inside left top font ",8" title sprintf("Spearman rho %s (n = 52)", rho[p]); \
    plot for [i = 1:5] f(i) using p:7 with points pt 7 ps 0.6 lc rgb famcol(i) title (p == 1 ? famname[i] : "") \
  }; unset multiplot'
set terminal pngcairo size 1500,900 enhanced font "DejaVu Sans,10"
set output out.'/proxy_vs_trained.png'
eval panels
set terminal svg size 1500,900 enhanced font "DejaVu Sans,10" background "white"
set output out.'/proxy_vs_trained.svg'
eval panels
unset output
