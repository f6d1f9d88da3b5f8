# rank_error.gp - rank vs error proxy (upper and lower HSVD / TT-SVD bounds)
# of the TT-LSTM and selected FDHT structures of UCF11, uniform ranks 1..12.
load common
@png_term
set output out.'/rank_error.png'
set title "Rank vs error proxy, UCF11\n{/*0.8 synthetic 'decay' reference with input modes scaled by 1/3; every TT bond / HT node rank set to r}"
set xlabel "rank r (every TT bond / every HT node)"
set ylabel "relative error bound"
set xrange [0.5:12.5]
set xtics 1
set yrange [0:*]
set key inside right top
is(d, m, v) = (strcol(1) eq d && strcol(2) eq m) ? v : NaN
plot dir.'/rank_error.csv' using 3:(is("UCF11", "TT-LSTM", $6)) with linespoints pt 7 lw 2 lc rgb "#d62728" title "TT-LSTM, upper bound", \
     dir.'/rank_error.csv' using 3:(is("UCF11", "TT-LSTM", $5)) with linespoints pt 6 lw 2 dt 2 lc rgb "#d62728" title "TT-LSTM, lower bound", \
     dir.'/rank_error.csv' using 3:(is("UCF11", "FDHT-LSTM", $6)) with linespoints pt 9 lw 2 lc rgb "#2ca02c" title "FDHT tree, upper bound", \
     dir.'/rank_error.csv' using 3:(is("UCF11", "FDHT-LSTM", $5)) with linespoints pt 8 lw 2 dt 2 lc rgb "#2ca02c" title "FDHT tree, lower bound"
@svg_term
set output out.'/rank_error.svg'
replot
unset output
