# common.gp - the look shared by every figure of plots/ (loaded first).
# Each figure script is run as
#   gnuplot -e "dir='DATA'; out='OUTDIR'; common='plots/common.gp'" plots/FIG.gp
# and writes OUTDIR/FIG.png and OUTDIR/FIG.svg (the PNG first, then `replot`
# on the SVG terminal).
set datafile separator ","
set encoding utf8
set grid lc rgb "#e0e0e0" lw 1
set border lc rgb "#404040"
set key box lc rgb "#b0b0b0" opaque samplen 2 spacing 1.1
set tics nomirror
png_term = 'set terminal pngcairo size 1000,650 enhanced font "DejaVu Sans,11"'
svg_term = 'set terminal svg size 1000,650 enhanced font "DejaVu Sans,11" background "white"'
# markers of dse reproduce's designs (markers.csv: params, energy uJ, fps, area, label)
tie_ucf = 'TIE (LSTM-UCF)'
tie_yt = 'TIE (LSTM-Youtube)'
fdht_sel = 'FDHT (selected)'
