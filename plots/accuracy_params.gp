# accuracy_params.gp - measured accuracy (results.accuracy: dse train or
# dse import-accuracy) vs the layer's parameters, for one workload of the
# database, with the Pareto front (params min, accuracy max).  Run by
# plots.sh with dir, out, tag (the workload) and ttl (the title) set.
load common
@png_term
set output out.'/accuracy_params_'.tag.'.png'
set title ttl."\n{/*0.8 dots: points with a measured accuracy (a network's accuracy is shown on every point of it); line: Pareto front}"
set xlabel "weight parameters of the layer (log scale)"
set ylabel "test accuracy"
set logscale x
set format x "10^{%T}"
set key inside right bottom
acc(c) = strcol(c) eq "" ? NaN : column(c)
plot dir.'/partial.csv' using 1:(acc(5)) with points pt 7 ps 0.8 lc rgb "#b8b8b8" title "partial", \
     dir.'/concat.csv' using 1:(acc(5)) with points pt 7 ps 0.8 lc rgb "#9ecae1" title "concat", \
     dir.'/separate.csv' using 1:(acc(5)) with points pt 7 ps 0.8 lc rgb "#fdae6b" title "separate", \
     dir.'/front_ap.csv' using 1:(acc(5)) with linespoints pt 7 ps 1.0 lw 2 lc rgb "#08519c" \
       title "Pareto front (params, accuracy)"
@svg_term
set output out.'/accuracy_params_'.tag.'.svg'
replot
unset output
