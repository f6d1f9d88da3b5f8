# breakdown_area.gp - area per component of the TIE points (LSTM-UCF,
# LSTM-Youtube) and the selected FDHT point, stacked (area.dat: one row per
# design, one column per component, mm^2).
load common
set datafile separator whitespace
# a 15-colour qualitative palette (stack order = key order, bottom first)
set linetype 1 lc rgb "#1f77b4"
set linetype 2 lc rgb "#aec7e8"
set linetype 3 lc rgb "#ff7f0e"
set linetype 4 lc rgb "#ffbb78"
set linetype 5 lc rgb "#2ca02c"
set linetype 6 lc rgb "#98df8a"
set linetype 7 lc rgb "#d62728"
set linetype 8 lc rgb "#ff9896"
set linetype 9 lc rgb "#9467bd"
set linetype 10 lc rgb "#c5b0d5"
set linetype 11 lc rgb "#8c564b"
set linetype 12 lc rgb "#e377c2"
set linetype 13 lc rgb "#7f7f7f"
set linetype 14 lc rgb "#bcbd22"
set linetype 15 lc rgb "#17becf"
set key invert
@png_term
set output out.'/breakdown_area.png'
set title "Area breakdown of the reproduced designs (16 PEs x 16 lanes, 28 nm)"
set ylabel "area (mm^2)"
set xlabel "design"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border lc rgb "#404040"
set boxwidth 0.55
set yrange [0:*]
set key outside right top
set rmargin 28
set grid noxtics
ncol = int(system("cat " . dir . "/area.dat.ncol"))  # columns: design + components
plot for [i=2:ncol] dir.'/area.dat' using i:xtic(1) title columnheader(i) lt (i - 1)
@svg_term
set output out.'/breakdown_area.svg'
replot
unset output
