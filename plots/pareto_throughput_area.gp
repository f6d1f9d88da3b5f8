# pareto_throughput_area.gp - throughput vs area of the stored
# LSTM-UCF/Youtube-shaped points, their Pareto front (area min, throughput
# max), and the TIE and FDHT points of `dse reproduce`.
load common
@png_term
set output out.'/pareto_throughput_area.png'
set title "Throughput vs area: LSTM layer N_{in} = 57,600, H = 256 (LSTM-UCF / LSTM-Youtube), 16 PEs, 28 nm, 1 GHz\n{/*0.8 dots: valid points of the database (make run's example specs: weight SRAM 64 K words, so a dense W_h streams from DRAM;}\n{/*0.8 plus the fronts of dse reproduce's sweeps); markers: dse reproduce's designs (every weight on chip, docs/REPRODUCE.md)}"
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
     dir.'/front_ta.csv' using 4:3 with linespoints pt 7 ps 0.8 lw 2 lc rgb "#08519c" \
       title "Pareto front (area, throughput)", \
     dir.'/markers.csv' using 4:(sel(tie_ucf, $3)) with points pt 5 ps 1.8 lc rgb "#d62728" \
       title tie_ucf, \
     dir.'/markers.csv' using 4:(sel(tie_yt, $3)) with points pt 13 ps 1.9 lc rgb "#ff7f0e" \
       title tie_yt, \
     dir.'/markers.csv' using 4:(sel(fdht_sel, $3)) with points pt 9 ps 2.0 lc rgb "#2ca02c" \
       title "FDHT (dse reproduce's selection)"
@svg_term
set output out.'/pareto_throughput_area.svg'
replot
unset output
