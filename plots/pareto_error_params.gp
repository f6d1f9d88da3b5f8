# pareto_error_params.gp - error proxy vs parameters: the trade-off of the
# TT-LSTM structure (TIE's model) and of the selected FDHT structure over
# uniform ranks 1..12, per dataset (dse reproduce's rank_error table), with
# the published TT-LSTM point (ranks 4, = TIE) and the FDHT selection marked.
load common
@png_term
set output out.'/pareto_error_params.png'
set title "Error proxy vs parameters of the decomposed matrix\n{/*0.8 synthetic 'decay' reference with input modes scaled by 1/3; HSVD (HT) / TT-SVD (TT) upper bound; curves: every rank = r, r = 1..12}"
set xlabel "parameters of the decomposed matrix (TT-LSTM: W_x only; FDHT: [W_x W_h] jointly; log scale)"
set ylabel "relative error, upper bound"
set logscale x
set format x "10^{%T}"
set key inside right top

is(d, m, v) = (strcol(1) eq d && strcol(2) eq m) ? v : NaN
mk(m, v) = strcol(3) eq m ? v : NaN
plot dir.'/rank_error.csv' using (is("UCF11", "TT-LSTM", $4)):6 with linespoints pt 7 ps 0.6 lw 2 lc rgb "#d62728" title "TT-LSTM, UCF11", \
     dir.'/rank_error.csv' using (is("YouTube Celebrities", "TT-LSTM", $4)):6 with linespoints pt 7 ps 0.6 lw 1 dt 2 lc rgb "#ff7f0e" title "TT-LSTM, YouTube", \
     dir.'/rank_error.csv' using (is("Hollywood2", "TT-LSTM", $4)):6 with linespoints pt 7 ps 0.6 lw 1 dt 3 lc rgb "#8c564b" title "TT-LSTM, Hollywood2", \
     dir.'/rank_error.csv' using (is("UCF11", "FDHT-LSTM", $4)):6 with linespoints pt 9 ps 0.7 lw 2 lc rgb "#2ca02c" title "FDHT tree, UCF11 / YouTube", \
     dir.'/rank_error.csv' using (is("Hollywood2", "FDHT-LSTM", $4)):6 with linespoints pt 9 ps 0.7 lw 1 dt 3 lc rgb "#17becf" title "FDHT tree, Hollywood2", \
     dir.'/size_sel.csv' using 1:(mk("TT-LSTM", $2)) with points pt 5 ps 2.0 lc rgb "#d62728" title "TT-LSTM published (ranks 4) = TIE, UCF11", \
     dir.'/size_sel.csv' using 1:(mk("FDHT-LSTM", $2)) with points pt 9 ps 2.2 lc rgb "#006400" title "FDHT selected (its own leaf / internal ranks), UCF11"
@svg_term
set output out.'/pareto_error_params.svg'
replot
unset output
