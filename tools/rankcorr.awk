# tools/rankcorr.awk - rank correlations of cheap accuracy estimates
# ("proxies") with trained accuracy, over the table tools/accbench.sh writes
# (docs/data/accbench-mf64.csv; one row per network and seed).
#
#   awk -f tools/csv.awk -f tools/rankcorr.awk docs/data/accbench-mf64.csv
#
# Prints Markdown:
#  1. the seed-to-seed spread of test accuracy (the noise floor);
#  2. per proxy, Spearman rho (ties: average ranks) and Kendall tau-b
#     against the mean test accuracy over the seeds, and the same two
#     against each seed's accuracies alone (the spread of the correlation),
#     on three sets of networks: all, decomposed (no dense), HT concat,
#     with the seed-vs-seed agreement and the ceiling it sets; for per-run
#     proxies also the cross-seed correlation (seed 1's proxy against seed
#     2's accuracy and the reverse);
#  2b. a one-way ANOVA per set: do the networks differ beyond seed noise?
#  3. the tree classes: networks whose HT trees are one unrooted tree with
#     the same edge ranks (column `class`), the differences of accuracy
#     between those rooted variants beside the seed-to-seed differences,
#     and a one-way ANOVA F test (variants x seeds);
#  4. one line per network: its main proxies and accuracies.
# Plain POSIX awk (mawk, gawk); deterministic: networks in first-seen order,
# every sum in that order.

# average ranks of v[1..n] into r[1..n] (ties share the mean rank)
function avgrank(v, r, n,   i, j, k, idx, t, s) {
    for (i = 1; i <= n; i++) idx[i] = i
    for (i = 2; i <= n; i++) {          # insertion sort, stable
        t = idx[i]
        for (j = i - 1; j >= 1 && v[idx[j]] > v[t]; j--) idx[j + 1] = idx[j]
        idx[j + 1] = t
    }
    i = 1
    while (i <= n) {
        j = i
        while (j < n && v[idx[j + 1]] == v[idx[i]]) j++
        s = (i + j) / 2
        for (k = i; k <= j; k++) r[idx[k]] = s
        i = j + 1
    }
}

function pearson(x, y, n,   i, mx, my, sxy, sxx, syy) {
    mx = 0; my = 0
    for (i = 1; i <= n; i++) { mx += x[i]; my += y[i] }
    mx /= n; my /= n
    sxy = 0; sxx = 0; syy = 0
    for (i = 1; i <= n; i++) {
        sxy += (x[i] - mx) * (y[i] - my)
        sxx += (x[i] - mx) ^ 2; syy += (y[i] - my) ^ 2
    }
    if (sxx == 0 || syy == 0) return "nan"
    return sxy / sqrt(sxx * syy)
}

function spearman(x, y, n,   rx, ry) {
    avgrank(x, rx, n); avgrank(y, ry, n)
    return pearson(rx, ry, n)
}

function sgn(a) { return a > 0 ? 1 : (a < 0 ? -1 : 0) }

function kendall_b(x, y, n,   i, j, sx, sy, s, tx, ty, n0) {
    s = 0; tx = 0; ty = 0
    for (i = 1; i <= n; i++)
        for (j = i + 1; j <= n; j++) {
            sx = sgn(x[i] - x[j]); sy = sgn(y[i] - y[j])
            s += sx * sy
            if (sx == 0) tx++
            if (sy == 0) ty++
        }
    n0 = n * (n - 1) / 2
    if (n0 == tx || n0 == ty) return "nan"
    return s / sqrt((n0 - tx) * (n0 - ty))
}

# log Gamma (Lanczos, g = 7), x > 0
function lgam(x,   c, t, s, i) {
    split("0.99999999999980993 676.5203681218851 -1259.1392167224028 771.32342877765313 " \
          "-176.61502916214059 12.507343278686905 -0.13857109526572012 " \
          "9.9843695780195716e-6 1.5056327351493116e-7", c, " ")
    x -= 1; s = c[1]
    for (i = 1; i < 9; i++) s += c[i + 1] / (x + i)
    t = x + 7.5
    return 0.5 * log(2 * 3.141592653589793) + (x + 0.5) * log(t) - t + log(s)
}
# continued fraction of the incomplete beta (Numerical Recipes betacf)
function betacf(a, b, x,   m, m2, aa, c, d, del, h, qab, qam, qap) {
    qab = a + b; qap = a + 1; qam = a - 1
    c = 1; d = 1 - qab * x / qap
    if (d < 1e-300 && d > -1e-300) d = 1e-300
    d = 1 / d; h = d
    for (m = 1; m <= 300; m++) {
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d; if (d < 1e-300 && d > -1e-300) d = 1e-300
        c = 1 + aa / c; if (c < 1e-300 && c > -1e-300) c = 1e-300
        d = 1 / d; h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d; if (d < 1e-300 && d > -1e-300) d = 1e-300
        c = 1 + aa / c; if (c < 1e-300 && c > -1e-300) c = 1e-300
        d = 1 / d; del = d * c; h *= del
        if (del - 1 < 3e-14 && del - 1 > -3e-14) break
    }
    return h
}
function betai(a, b, x,   bt) {
    if (x <= 0) return 0
    if (x >= 1) return 1
    bt = exp(lgam(a + b) - lgam(a) - lgam(b) + a * log(x) + b * log(1 - x))
    if (x < (a + 1) / (a + b + 2)) return bt * betacf(a, b, x) / a
    return 1 - bt * betacf(b, a, 1 - x) / b
}
# P(F(d1, d2) > f)
function fpval(f, d1, d2) {
    if (f <= 0) return 1
    return betai(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))
}

# a Markdown table cell: escape the column bars of a class name
function mdcell(t) { gsub(/\|/, "\\|", t); return t }

# one-way ANOVA over the networks of a set (groups = networks, the seeds
# their replicates): do they differ at all beyond seed noise?
function omnibus(set,   k, n, g, sb, sw, a1, a2, m, f, nn) {
    n = 0; g = 0; sb = 0; sw = 0; nn = 0
    for (k = 1; k <= N; k++) if (in_set(set, k) && NS[k] >= 2) { n++; g += (ACC[k, minseed] + ACC[k, maxseed]) / 2 }
    if (n < 2) return
    g /= n
    for (k = 1; k <= N; k++) if (in_set(set, k) && NS[k] >= 2) {
        a1 = ACC[k, minseed]; a2 = ACC[k, maxseed]; m = (a1 + a2) / 2
        sb += 2 * (m - g) ^ 2; sw += (a1 - m) ^ 2 + (a2 - m) ^ 2
    }
    f = (sb / (n - 1)) / (sw / n)
    # E[between] = sw/n + 2 sigma_net^2 (2 seeds a network)
    nn = sb / (n - 1) - sw / n
    nn = nn > 0 ? sqrt(nn / 2) : 0
    printf "| %s | %d | %.6f | %.6f | %.2f (%d,%d) | %.3f | %.4f |\n", set, n, sb / (n - 1), sw / n, f, n - 1, n, \
        fpval(f, n - 1, n), nn
}

function fmt(v) { return v == "nan" ? "n/a" : sprintf("%+.3f", v) }

BEGIN { FS = "\n"; setup_proxies() }
NR == 1 {
    nh = csvsplit($0, H)
    for (i = 1; i <= nh; i++) col[H[i]] = i
    next
}
{
    csvsplit($0, F)
    id = F[col["id"]]; s = F[col["seed"]] + 0
    if (!(id in seen)) {
        seen[id] = ++N; ID[N] = id
        CLASS[N] = F[col["class"]]; DEC[N] = F[col["dec"]]; FMT[N] = F[col["format"]]
        for (p = 1; p <= NP; p++) if (PCOL[p] in col) PV[N, p] = F[col[PCOL[p]]] + 0
    }
    k = seen[id]
    if (!((k, s) in ACC)) { NS[k]++; SEEDLIST[k, NS[k]] = s }
    ACC[k, s] = F[col["test_acc"]] + 0
    for (p = 1; p <= NP; p++) if (PCOL[p] ~ /^seed:/) {
        c = substr(PCOL[p], 6)
        if (!(c in col)) { print "rankcorr: no column " c > "/dev/stderr"; exit 2 }
        SV[k, s, c] = F[col[c]] + 0
    }
    if (s > maxseed) maxseed = s
    if (minseed == "" || s < minseed) minseed = s
}

function setup_proxies() {
    # name | column: a network-level column, or "seed:KEY" for a per-seed one
    NP = 0
    P[++NP] = "params (LSTM weights)";                  PCOL[NP] = "params"
    P[++NP] = "MACs per frame";                         PCOL[NP] = "macs"
    P[++NP] = "HSVD error, trained dense ref. (exact)"; PCOL[NP] = "hsvd_err"
    P[++NP] = "HSVD upper bound, trained dense ref.";   PCOL[NP] = "hsvd_upper"
    P[++NP] = "HSVD lower bound, trained dense ref.";   PCOL[NP] = "hsvd_lower"
    P[++NP] = "HSVD error, 2nd dense ref. (seed 2)";    PCOL[NP] = "hsvd2_err"
    P[++NP] = "HSVD error, Gaussian matrix (exact)";    PCOL[NP] = "gauss_err"
    P[++NP] = "HSVD upper bound, Gaussian";             PCOL[NP] = "gauss_upper"
    P[++NP] = "HSVD lower bound, Gaussian";             PCOL[NP] = "gauss_lower"
    P[++NP] = "sum of log ranks (= product of ranks)";  PCOL[NP] = "sumlog_rank"
    P[++NP] = "min rank";                               PCOL[NP] = "min_rank"
    P[++NP] = "epoch-1 val accuracy";                   PCOL[NP] = "seed:e1_val_acc"
    P[++NP] = "epoch-1 test accuracy";                  PCOL[NP] = "seed:e1_test_acc"
    P[++NP] = "epoch-1 train loss";                     PCOL[NP] = "seed:e1_train_loss"
    P[++NP] = "vote: params, HSVD error, epoch-1 val";  PCOL[NP] = "vote"
    P[++NP] = "final val accuracy (full cost)";         PCOL[NP] = "seed:val_acc"
    for (p = 1; p <= NP; p++) PIDX[PCOL[p]] = p
}

# proxy p of network k: its column; per-seed ones of seed s, or (s = "")
# their mean over the network's seeds
function pval(p, k, s,   j, t, c) {
    c = PCOL[p]
    if (c !~ /^seed:/) return PV[k, p]
    c = substr(c, 6)
    if (s != "") return SV[k, s, c]
    t = 0
    for (j = 1; j <= NS[k]; j++) t += SV[k, SEEDLIST[k, j], c]
    return t / NS[k]
}

# the vote (Abdelfattah et al.: a vote of proxies): the mean of the ranks
# of params, -HSVD error and epoch-1 val accuracy over the networks M[1..n]
function vote(n, s, X,   i, VA, VB, VC, RA, RB, RC) {
    for (i = 1; i <= n; i++) {
        VA[i] = pval(PIDX["params"], M[i], s)
        VB[i] = -pval(PIDX["hsvd_err"], M[i], s)
        VC[i] = pval(PIDX["seed:e1_val_acc"], M[i], s)
    }
    avgrank(VA, RA, n); avgrank(VB, RB, n); avgrank(VC, RC, n)
    for (i = 1; i <= n; i++) X[i] = (RA[i] + RB[i] + RC[i]) / 3
}
function proxy(p, n, s, X,   i) {
    if (PCOL[p] == "vote") { vote(n, s, X); return }
    for (i = 1; i <= n; i++) X[i] = pval(p, M[i], s)
}

function in_set(set, k) {
    if (set == "all") return 1
    if (set == "decomposed") return FMT[k] != "dense"
    if (set == "cat-ht") return DEC[k] == "concat" && FMT[k] == "ht"
    return 0
}

# table of one set of networks
function table(set,   n, k, p, i, X, X1, X2, Y, Y1, Y2, r, sb, cross) {
    n = 0
    for (k = 1; k <= N; k++) if (in_set(set, k) && NS[k] >= 2) {
        n++; M[n] = k
        Y1[n] = ACC[k, minseed]; Y2[n] = ACC[k, maxseed]
        Y[n] = (Y1[n] + Y2[n]) / 2
    }
    if (n < 3) return
    r = spearman(Y1, Y2, n)
    sb = r > 0 ? 2 * r / (1 + r) : 0
    printf "\n### %s networks (n = %d)\n\n", set, n
    printf "Seed %d vs seed %d test accuracy: rho %s, tau-b %s. ", minseed, maxseed, fmt(r), fmt(kendall_b(Y1, Y2, n))
    printf "Reliability of the 2-seed mean (Spearman-Brown) %.2f: even an exact proxy of the expected accuracy would show |rho| of about sqrt(%.2f) = %.2f against it.\n\n", sb, sb, sqrt(sb)
    printf "| proxy | rho (mean acc) | tau-b (mean acc) | rho vs seed %d / seed %d | tau-b vs seed %d / seed %d | rho cross-seed |\n", \
        minseed, maxseed, minseed, maxseed
    printf "|---|---|---|---|---|---|\n"
    for (p = 1; p <= NP; p++) {
        proxy(p, n, "", X)
        cross = "="
        if (PCOL[p] ~ /^seed:/ || PCOL[p] == "vote") {
            # the proxy of one seed's run against the other seed's accuracy
            proxy(p, n, minseed, X1); proxy(p, n, maxseed, X2)
            cross = fmt(spearman(X1, Y2, n)) " / " fmt(spearman(X2, Y1, n))
        }
        printf "| %s | %s | %s | %s / %s | %s / %s | %s |\n", P[p], \
            fmt(spearman(X, Y, n)), fmt(kendall_b(X, Y, n)), \
            fmt(spearman(X, Y1, n)), fmt(spearman(X, Y2, n)), \
            fmt(kendall_b(X, Y1, n)), fmt(kendall_b(X, Y2, n)), cross
    }
}

END {
    if (N == 0) { print "rankcorr: no rows"; exit 1 }
    # 1. the seed-to-seed spread
    nd = 0; sd = 0; sd2 = 0; md = 0
    for (k = 1; k <= N; k++) if (NS[k] >= 2) {
        d = ACC[k, maxseed] - ACC[k, minseed]
        nd++; sd += (d < 0 ? -d : d); sd2 += d * d
        if ((d < 0 ? -d : d) > md) { md = (d < 0 ? -d : d); mdid = ID[k] }
    }
    nrow = 0; for (k = 1; k <= N; k++) nrow += NS[k]
    printf "## Seed-to-seed spread\n\n"
    printf "%d networks, %d rows (seeds %d and %d).\n", N, nrow, minseed, maxseed
    if (nd > 0) {
        sig = sqrt(sd2 / nd / 2)
        printf "Test accuracy, seed %d - seed %d, over %d networks: mean |d| %.4f, rms d %.4f, max |d| %.4f (%s);\n", \
            maxseed, minseed, nd, sd / nd, sqrt(sd2 / nd), md, mdid
        printf "one run's seed noise sigma = rms(d)/sqrt(2) = %.4f; the mean of 2 seeds has sigma %.4f.\n", sig, sig / sqrt(2)
    }
    # 2. correlations
    printf "\n## Rank correlation with trained test accuracy\n"
    printf "\nSigned: where more is better (params, ranks, accuracy, vote) a good proxy has rho > 0;\n"
    printf "for an error or a loss, rho < 0. Compare |rho|. \"cross-seed\": a per-run proxy (epoch-1\n"
    printf "figures, final val accuracy) of seed %d against seed %d's test accuracy / the reverse; it is\n", minseed, maxseed
    printf "free of the noise the proxy shares with the accuracy of its own run.\n"
    table("all"); table("decomposed"); table("cat-ht")
    # 2b. do the networks differ at all?
    printf "\n## Do the networks differ beyond seed noise?\n\n"
    printf "One-way ANOVA, groups = networks, replicates = the seeds. sigma_net: the spread (SD) of the\n"
    printf "networks' expected accuracies that remains once seed noise is taken out.\n\n"
    printf "| set | networks | between-network mean square | within (seed) mean square | F (df) | p | sigma_net |\n"
    printf "|---|---|---|---|---|---|---|\n"
    omnibus("all"); omnibus("decomposed"); omnibus("cat-ht")
    # 3. tree classes
    printf "\n## Rooted variants of one unrooted tree with the same edge ranks\n\n"
    printf "| class (edges of the unrooted tree = rank) | variants | test acc. per variant (seed %d / seed %d) | range of variant means | mean pairwise diff. of variant means | expected from seed noise | F (df) | p |\n", minseed, maxseed
    printf "|---|---|---|---|---|---|---|---|\n"
    ncl = 0
    for (k = 1; k <= N; k++) if (!(CLASS[k] in cseen)) { cseen[CLASS[k]] = ++ncl; CL[ncl] = CLASS[k] }
    tb = 0; tdfb = 0; tw = 0; tdfw = 0
    for (c = 1; c <= ncl; c++) {
        nv = 0
        for (k = 1; k <= N; k++) if (CLASS[k] == CL[c] && NS[k] >= 2) V[++nv] = k
        if (nv < 2) continue
        gm = 0; sw = 0; lst = ""; lo = 2; hi = -1; wd = 0
        for (i = 1; i <= nv; i++) {
            k = V[i]; a1 = ACC[k, minseed]; a2 = ACC[k, maxseed]
            mv[i] = (a1 + a2) / 2; gm += mv[i]
            sw += (a1 - mv[i]) ^ 2 + (a2 - mv[i]) ^ 2
            wd += (a2 - a1 < 0 ? a1 - a2 : a2 - a1)
            if (mv[i] < lo) lo = mv[i]
            if (mv[i] > hi) hi = mv[i]
            lst = lst (i > 1 ? ", " : "") sprintf("%s %.3f/%.3f", ID[k], a1, a2)
        }
        gm /= nv
        sb = 0; for (i = 1; i <= nv; i++) sb += 2 * (mv[i] - gm) ^ 2
        pd = 0; np = 0
        for (i = 1; i <= nv; i++) for (j = i + 1; j <= nv; j++) { pd += (mv[i] > mv[j] ? mv[i] - mv[j] : mv[j] - mv[i]); np++ }
        # F against the class's own seed variance (df nv) and against
        # the seed variance pooled over every network (df nd)
        msb = sb / (nv - 1); msw = sw / nv
        f = msw > 0 ? msb / msw : "inf"
        p = msw > 0 ? fpval(f, nv - 1, nv) : 0
        fp = sig > 0 ? msb / (sig * sig) : "inf"
        pp = sig > 0 ? fpval(fp, nv - 1, nd) : 0
        # expected mean |difference| of two variant means from seed noise alone:
        # mean |seed difference| within the class / sqrt(2)
        printf "| %s | %d | %s | %.3f | %.3f | %.3f | %.2f (%d,%d); pooled %.2f (%d,%d) | %.3f; pooled %.3f |\n", \
            mdcell(CL[c]), nv, lst, hi - lo, pd / np, wd / nv / sqrt(2), f, nv - 1, nv, fp, nv - 1, nd, p, pp
        tb += sb; tdfb += nv - 1; tw += sw; tdfw += nv
    }
    if (tdfb > 0) {
        f = (tb / tdfb) / (tw / tdfw)
        printf "\nAll classes together: between-variant mean square %.6f (df %d), within (seed) mean square %.6f (df %d), F = %.2f, p = %.3f.\n", \
            tb / tdfb, tdfb, tw / tdfw, tdfw, f, fpval(f, tdfb, tdfw)
        if (sig > 0) printf "Against the seed variance pooled over all %d networks (%.6f, df %d): F = %.2f, p = %.3f.\n", \
            nd, sig * sig, nd, (tb / tdfb) / (sig * sig), fpval((tb / tdfb) / (sig * sig), tdfb, nd)
    }
    # 4. the networks
    printf "\n## The networks\n\n"
    printf "| id | params | MACs/frame | HSVD err. (trained ref.) | HSVD upper (Gaussian) | epoch-1 val acc. (s%d / s%d) | test acc. s%d | test acc. s%d | mean |\n", \
        minseed, maxseed, minseed, maxseed
    printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    for (k = 1; k <= N; k++)
        printf "| %s | %d | %d | %.4f | %.4f | %.3f / %.3f | %.3f | %.3f | %.3f |\n", ID[k], \
            PV[k, PIDX["params"]], PV[k, PIDX["macs"]], PV[k, PIDX["hsvd_err"]], PV[k, PIDX["gauss_upper"]], \
            SV[k, minseed, "e1_val_acc"], SV[k, maxseed, "e1_val_acc"], \
            ACC[k, minseed], ACC[k, maxseed], (ACC[k, minseed] + ACC[k, maxseed]) / 2
}
