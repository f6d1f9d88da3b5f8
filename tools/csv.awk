# tools/csv.awk - csvsplit(line, f): the fields of one CSV line into
# f[1..n] (double-quoted fields may hold commas; no escaped quotes inside,
# which the tables tools/accbench.sh writes never need); returns n.  Loaded
# before the program that uses it: awk -f tools/csv.awk -f PROGRAM.
# Plain POSIX awk (mawk, gawk).

function csvsplit(line, f,   n, i, c, inq, cur) {
    n = 0; cur = ""; inq = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (inq) { if (c == "\"") inq = 0; else cur = cur c }
        else if (c == "\"") inq = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
    }
    f[++n] = cur
    return n
}
