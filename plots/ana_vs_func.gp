# ana_vs_func.gp - frame cycles of the analytical model vs the cycle-level
# functional model on the reproduced TIE and FDHT points under every bank
# map and dataflow (dse reproduce's crosscheck table); the diagonal is
# agreement.
load common
@png_term
set output out.'/ana_vs_func.png'
set title "Analytical vs functional model: cycles per frame (TIE and FDHT points, 4 bank maps x 2 dataflows)"
set xlabel "cycles per frame, analytical model (log scale)"
set ylabel "cycles per frame, functional model (log scale)"
set logscale xy
set xrange [5000:300000]
set yrange [5000:300000]
set size ratio -1
set key inside left top
plot x with lines lw 1 dt 2 lc rgb "#808080" title "y = x (agreement)", \
     dir.'/xc_tie_ucf.csv' using 1:2 with points pt 5 ps 1.5 lc rgb "#d62728" title "TIE, LSTM-UCF", \
     dir.'/xc_tie_yt.csv' using 1:2 with points pt 13 ps 1.6 lc rgb "#ff7f0e" title "TIE, LSTM-Youtube", \
     dir.'/xc_fdht.csv' using 1:2 with points pt 9 ps 1.6 lc rgb "#2ca02c" title "FDHT, LSTM-UCF / Youtube"
@svg_term
set output out.'/ana_vs_func.svg'
replot
unset output
