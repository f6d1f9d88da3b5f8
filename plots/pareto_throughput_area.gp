# pareto_throughput_area.gp - throughput vs area of one workload's valid points in the
# database, by decomposition, their Pareto front, and (for N_in 57,600,
# H 256) the TIE and FDHT designs of `dse reproduce`.  Run by plots.sh with
# dir, out, tag (the workload) and ttl (the title) set.
load common
@png_term
set output out.'/pareto_throughput_area_'.tag.'.png'
set title ttl."\n{/*0.8 dots: valid points by decomposition; line: their Pareto front; markers (N_{in} 57,600, H 256 only): dse reproduce's designs}"
set xlabel "modeled area (mm^2)"
set ylabel "throughput (frames/s, log scale)"
set logscale y
set key inside right bottom

set offsets graph 0.04, graph 0.04, 0, 0
sel(l, v) = strcol(5) eq l ? v : NaN
plot dir.'/partial.csv' using 4:3 with points pt 7 ps 0.5 lc rgb "#b8b8b8" \
       title "partial (TT-LSTM style)", \
     dir.'/concat.csv' using 4:3 with points pt 7 ps 0.5 lc rgb "#9ecae1" \
       title "concat (FDHT style)", \
     dir.'/separate.csv' using 4:3 with points pt 7 ps 0.5 lc rgb "#fdae6b" \
       title "separate (W_x and W_h each decomposed)", \
     dir.'/front_ta.csv' using 4:3 with linespoints pt 7 ps 0.8 lw 2 lc rgb "#08519c" \
       title "Pareto front (area, throughput)", \
     dir.'/mk.csv' using 4:(sel(tie_ucf, $3)) with points pt 5 ps 1.8 lc rgb "#d62728" \
       title tie_ucf, \
     dir.'/mk.csv' using 4:(sel(tie_yt, $3)) with points pt 13 ps 1.9 lc rgb "#ff7f0e" \
       title tie_yt, \
     dir.'/mk.csv' using 4:(sel(fdht_sel, $3)) with points pt 9 ps 2.0 lc rgb "#2ca02c" \
       title "FDHT (dse reproduce's selection)"
@svg_term
set output out.'/pareto_throughput_area_'.tag.'.svg'
replot
unset output
