# accuracy_energy.gp - measured accuracy vs energy per frame, for one
# workload of the database, with the Pareto front (energy min, accuracy
# max) highlighted: what a point of better accuracy costs in energy.  Run by
# plots.sh with dir, out, tag (the workload) and ttl (the title) set.
load common
@png_term
set output out.'/accuracy_energy_'.tag.'.png'
set title ttl."\n{/*0.8 dots: points with a measured accuracy (a network's accuracy is shown on every point of it); line: Pareto front}"
set xlabel "energy per frame incl. DRAM (µJ, log scale)"
set ylabel "test accuracy"
set logscale x
set key inside right bottom
acc(c) = strcol(c) eq "" ? NaN : column(c)
plot dir.'/partial.csv' using 2:(acc(5)) with points pt 7 ps 0.8 lc rgb "#b8b8b8" title "partial", \
     dir.'/concat.csv' using 2:(acc(5)) with points pt 7 ps 0.8 lc rgb "#9ecae1" title "concat", \
     dir.'/separate.csv' using 2:(acc(5)) with points pt 7 ps 0.8 lc rgb "#fdae6b" title "separate", \
     dir.'/front_ae.csv' using 2:(acc(5)) with linespoints pt 7 ps 1.0 lw 2 lc rgb "#08519c" \
       title "Pareto front (energy, accuracy)"
@svg_term
set output out.'/accuracy_energy_'.tag.'.svg'
replot
unset output
