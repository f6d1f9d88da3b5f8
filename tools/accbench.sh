#!/bin/sh
# tools/accbench.sh - the tabular accuracy benchmark of docs/ACCURACY.md.
#
#   tools/accbench.sh [--out CSV] [--work DIR] [--data D] [--epochs E]
#                     [--networks ERE] [--only K] [--list] [--analyse]
#
# Trains every network of one workload (moving-fmnist 64x64 clips, n_in 4096,
# H 64, 12 frames, 10 classes) from scratch with `dse train`, 2 seeds each,
# at one budget, and writes one CSV row per (network, seed): what `dse train`
# needs to reproduce the row (point, data set, epochs, batch, lr, clip, seed,
# contraction), the trained accuracies, and the cheap estimates ("proxies")
# the analysis ranks against them.  Then tools/rankcorr.awk prints the
# correlation table and the tree-class comparison.
#
#   --out CSV   the table [docs/data/accbench-mf64.csv]
#   --work DIR  scratch: checkpoints, the dense references, helper [results/accbench]
#   --data D    the data set [moving-fmnist:train=3000,val=500,test=1000]
#   --epochs E  the budget in epochs [5]
#   --networks ERE  only the networks whose whole id matches ERE (grep -E), e.g.
#               the long-budget check of docs/ACCURACY.md (give it its own
#               --out and --work)
#   --only K    stop after the first K networks (a dry run)
#   --list      print the networks (id, point) and stop
#   --analyse   only run the analysis of an existing table
#
# Resumable: a (network, seed) row already in CSV is skipped; a killed
# training resumes from its checkpoint in WORK (dse train --save), with the
# same bits.  Deterministic: the same command gives the same table (the
# trainer is single-threaded and bit-reproducible; wall times are kept out
# of the table, in WORK/times.txt).  Trainings run one at a time under
# `nice -n 19`.
set -eu

cd "$(dirname "$0")/.."
OUT=docs/data/accbench-mf64.csv
WORK=results/accbench
ONLY=0
SELECT='[^ ]+'
LIST=0
DATA='moving-fmnist:train=3000,val=500,test=1000'
EPOCHS=5
ANALYSE=0
while [ $# -gt 0 ]; do
    case "$1" in
    --out) OUT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --networks) SELECT=$2; shift 2 ;;
    --list) LIST=1; shift ;;
    --analyse|--analyze) ANALYSE=1; shift ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "accbench: unknown option $1" >&2; exit 2 ;;
    esac
done

# ---- the budget (one for every row; DATA and EPOCHS above) ---------------
BATCH=32
LR=0.01
CLIP=1
CONTRACT=auto
SEEDS='1 2'
GAUSS_SEED=1          # seed of the Gaussian reference matrices (tools/npymat.c)

# ---- the workload --------------------------------------------------------
NIN=4096 H=64 G=256   # G = 4H gate rows
CAT_M=4x4x4x4 CAT_N=4x8x10x13 PAD=4160     # concat: [W_x | W_h], 256 x 4160
PAR_M=4x4x4x4 PAR_N=8x8x8x8                # partial: W_x 256 x 4096, W_h dense
DENSE_POINT="lstm;nin=$NIN;h=$H;dec=partial/wx;f=dense;m=$G;n=$NIN/wh;f=dense;m=$G;n=$H"

# ---- the networks ----------------------------------------------------------
# HT trees on d = 4 modes as templates over the edge ranks of their unrooted
# tree: a b c d = the leaf edges of modes 1..4, e = the inner edge.  At d = 4
# the 15 rooted trees are 3 unrooted ones (quartets 12|34, 13|24, 14|23);
# each quartet has 5 rootings: on its inner edge (the balanced tree, *0) or
# on a leaf edge k (a caterpillar, *k).  The root's two children share one
# matricization, so both carry that edge's rank.
tmpl() {
    case "$1" in
    A0) echo '((1:a,2:b):e,(3:c,4:d):e)' ;;
    A1) echo '(1:a,(2:b,(3:c,4:d):e):a)' ;;
    A2) echo '(2:b,(1:a,(3:c,4:d):e):b)' ;;
    A3) echo '(3:c,(4:d,(1:a,2:b):e):c)' ;;
    A4) echo '(4:d,(3:c,(1:a,2:b):e):d)' ;;
    B0) echo '((1:a,3:c):e,(2:b,4:d):e)' ;;
    B1) echo '(1:a,(3:c,(2:b,4:d):e):a)' ;;
    B4) echo '(4:d,(2:b,(1:a,3:c):e):d)' ;;
    C0) echo '((1:a,4:d):e,(2:b,3:c):e)' ;;
    C1) echo '(1:a,(4:d,(2:b,3:c):e):a)' ;;
    C3) echo '(3:c,(2:b,(1:a,4:d):e):c)' ;;
    *) echo "accbench: no tree $1" >&2; exit 2 ;;
    esac
}
# tree TEMPLATE a b c d e
tree() { tmpl "$1" | sed "s/a/$2/g; s/b/$3/g; s/c/$4/g; s/d/$5/g; s/e/$6/g"; }

# One line per network: id dec format spec
#   ht: spec = tree with ranks; tt: spec = the 3 inner bonds; dense: -
networks() {
    echo "dense partial dense -"
    for r in 2 4 8; do
        for t in A0 A1 A2 A3 A4; do echo "cat-ht-$t-r$r concat ht $(tree $t $r $r $r $r $r)"; done
    done
    for t in B0 B1 B4 C0 C1 C3; do echo "cat-ht-$t-r4 concat ht $(tree $t 4 4 4 4 4)"; done
    for t in B0 C0; do
        for r in 2 8; do echo "cat-ht-$t-r$r concat ht $(tree $t $r $r $r $r $r)"; done
    done
    for r in 3 6; do echo "cat-ht-A0-r$r concat ht $(tree A0 $r $r $r $r $r)"; done
    # non-uniform edge ranks (a b c d / e)
    for t in A0 A1 A4; do echo "cat-ht-$t-n24484 concat ht $(tree $t 2 4 4 8 4)"; done
    for t in A0 A3; do echo "cat-ht-$t-n88222 concat ht $(tree $t 8 8 2 2 2)"; done
    echo "cat-ht-A0-n44448 concat ht $(tree A0 4 4 4 4 8)"
    echo "cat-ht-A0-n88882 concat ht $(tree A0 8 8 8 8 2)"
    for t in A0 B0; do echo "cat-ht-$t-n48484 concat ht $(tree $t 4 8 4 8 4)"; done
    # HT partial: W_x 256 x 4096 by 4x4x4x4 x 8x8x8x8, W_h dense
    for r in 2 4 8; do echo "par-ht-A0-r$r partial ht $(tree A0 $r $r $r $r $r)"; done
    echo "par-ht-A1-r4 partial ht $(tree A1 4 4 4 4 4)"
    echo "par-ht-B0-r4 partial ht $(tree B0 4 4 4 4 4)"
    echo "par-ht-A0-n24484 partial ht $(tree A0 2 4 4 8 4)"
    # TT partial and TT concat
    for r in 2,2,2 4,4,4 8,8,8 2,8,2 8,4,2; do echo "par-tt-$(echo $r | tr -d ,) partial tt $r"; done
    for r in 2,2,2 4,4,4 8,8,8 4,8,4; do echo "cat-tt-$(echo $r | tr -d ,) concat tt $r"; done
}

# point DEC FORMAT SPEC: the network string dse train takes
point() {
    case "$1/$2" in
    partial/dense) echo "$DENSE_POINT" ;;
    concat/ht) echo "lstm;nin=$NIN;h=$H;dec=concat;pad=$PAD/wx;f=ht;m=$CAT_M;n=$CAT_N;t=$3" ;;
    concat/tt) echo "lstm;nin=$NIN;h=$H;dec=concat;pad=$PAD/wx;f=tt;m=$CAT_M;n=$CAT_N;r=1,$3,1" ;;
    partial/ht) echo "lstm;nin=$NIN;h=$H;dec=partial/wx;f=ht;m=$PAR_M;n=$PAR_N;t=$3/wh;f=dense;m=$G;n=$H" ;;
    partial/tt) echo "lstm;nin=$NIN;h=$H;dec=partial/wx;f=tt;m=$PAR_M;n=$PAR_N;r=1,$3,1/wh;f=dense;m=$G;n=$H" ;;
    esac
}

if [ "$LIST" = 1 ]; then
    networks | grep -E "^($SELECT) " | while read -r id dec fmt spec; do printf '%s\t%s\n' "$id" "$(point "$dec" "$fmt" "$spec")"; done
    exit 0
fi

analyse() {
    echo "== tools/rankcorr.awk $OUT"
    awk -f tools/csv.awk -f tools/rankcorr.awk "$OUT"
}
if [ "$ANALYSE" = 1 ]; then analyse; exit 0; fi

# ---- set-up ----------------------------------------------------------------
make -s build/dse >&2
DSE=build/dse
mkdir -p "$WORK/runs" "$(dirname "$OUT")"
NPYMAT=$WORK/npymat
if [ ! -x "$NPYMAT" ] || [ -n "$(find tools/npymat.c -newer "$NPYMAT")" ]; then
    cc -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -o "$NPYMAT" tools/npymat.c -lm
fi

# jget KEY FILE: a scalar of a flat JSON object (first occurrence)
jget() {
    v=$(grep -oE "\"$1\": ?(\"[^\"]*\"|[-0-9.eE+]+|null|true|false)" "$2" | head -n 1 |
        sed -E "s/^\"$1\": ?//; s/^\"//; s/\"$//")
    [ -n "$v" ] || { echo "accbench: no $1 in $2" >&2; exit 1; }
    printf '%s' "$v"
}

# train_run DIR POINT SEED: the first epoch (e1.json), then the same command
# with the full budget continues it from the checkpoint (full.json); the
# bits equal one uninterrupted run of --epochs EPOCHS (docs/TRAIN.md).
train_run() {
    d=$1
    if [ ! -s "$d/e1.json" ]; then
        t0=$(date +%s)
        nice -n 19 "$DSE" train --point "$2" --data "$DATA" --epochs 1 --batch $BATCH --lr $LR \
            --clip $CLIP --seed "$3" --contract $CONTRACT --save "$d" --json --quiet > "$d/e1.tmp"
        mv "$d/e1.tmp" "$d/e1.json"
        echo "$(basename "$d") e1 $(( $(date +%s) - t0 ))s" >> "$WORK/times.txt"
    fi
    if [ ! -s "$d/full.json" ]; then
        t0=$(date +%s)
        nice -n 19 "$DSE" train --point "$2" --data "$DATA" --epochs "$EPOCHS" --batch $BATCH --lr $LR \
            --clip $CLIP --seed "$3" --contract $CONTRACT --save "$d" --json --quiet > "$d/full.tmp"
        mv "$d/full.tmp" "$d/full.json"
        echo "$(basename "$d") full $(( $(date +%s) - t0 ))s" >> "$WORK/times.txt"
    fi
}

# The trained dense references (the dense network's rows, seeds 1 and 2):
# W_x = weight_ih_l0.npy; [W_x | W_h] for concat networks.
for s in $SEEDS; do
    d=$WORK/runs/dense-s$s
    mkdir -p "$d"
    train_run "$d" "$DENSE_POINT" "$s"
    [ -s "$d/wcat.npy" ] || "$NPYMAT" hcat "$d/weight_ih_l0.npy" "$d/weight_hh_l0.npy" "$d/wcat.npy"
done
[ -s "$WORK/gauss-par.npy" ] || "$NPYMAT" gauss $G $NIN $GAUSS_SEED "$WORK/gauss-par.npy"
[ -s "$WORK/gauss-cat.npy" ] || "$NPYMAT" gauss $G $PAD $GAUSS_SEED "$WORK/gauss-cat.npy"

# hsvd MATRIX DEC FORMAT SPEC: "err upper lower" of the network's tree/ranks
hsvd() {
    if [ "$3" = dense ]; then echo "0 0 0"; return; fi
    case "$2" in concat) io="--in-modes $CAT_N --out-modes $CAT_M" ;; *) io="--in-modes $PAR_N --out-modes $PAR_M" ;; esac
    case "$3" in ht) rk="--tree $4" ;; tt) rk="--ranks $4" ;; esac
    # shellcheck disable=SC2086
    "$DSE" hsvd --weights "$1" $io --format "$3" $rk --json > "$WORK/hsvd.json"
    grep -q '"ranks_capped":false' "$WORK/hsvd.json" || echo "accbench: ranks capped for $4" >&2
    echo "$(jget rel_error "$WORK/hsvd.json") $(jget bound_upper "$WORK/hsvd.json") $(jget bound_lower "$WORK/hsvd.json")"
}

# macs DEC FORMAT SPEC: MACs per frame of the min-MAC order (dse eval)
macs() {
    case "$1/$2" in
    partial/dense) echo $((G * NIN + G * H)); return ;;
    concat/*) w="--decomp concat --pad $PAD --in-modes $CAT_N --out-modes $CAT_M" ; wh=0 ;;
    partial/*) w="--decomp partial --in-modes $PAR_N --out-modes $PAR_M" ; wh=$((G * H)) ;;
    esac
    case "$2" in ht) rk="--tree $3" ;; tt) rk="--ranks $3" ;; esac
    # shellcheck disable=SC2086
    "$DSE" eval --workload lstm --input $NIN --hidden $H $w --format "$2" $rk --json > "$WORK/eval.json"
    awk -v a="$(jget order_macs "$WORK/eval.json")" -v b="$wh" 'BEGIN { printf "%.0f\n", a + b }'
}

# ranks DEC FORMAT SPEC: "class sumlog prod min" over the edges of the
# network's unrooted tree (HT: 4 leaf edges + the inner one, each named by
# its split of the modes, e.g. 12|34; the root's two children are one edge,
# counted once with the smaller rank; TT: its 3 bonds; dense: the
# full ranks of the balanced tree's matricizations of W_x, 32,32,32,32,1024).
# class: the unrooted tree with its edge ranks (HT), else the network id.
ranks() {
    case "$2" in
    dense) echo "dense 13.862944 1048576 32" ;;
    tt) echo "$3" | awk -F, -v dec="$1" '{ s = 0; p = 1; m = 1e9
            for (i = 1; i <= NF; i++) { s += log($i); p *= $i; if ($i < m) m = $i }
            printf "%s-tt:%s %.6f %d %d\n", (dec == "concat" ? "cat" : "par"), $0, s, p, m }' ;;
    ht) echo "$3" | awk -v dec="$1" '
        # parse "(L,R)" trees; node ranks after ":"; edges by the leaf set
        # on the side that does not hold leaf 1
        function node(   l, r, set, rk) {
            if (substr(s, pos, 1) == "(") {
                pos++; l = node(); pos++; r = node(); pos++
                set = l r
            } else { set = substr(s, pos, 1); pos++ }
            if (substr(s, pos, 1) == ":") {
                pos++; rk = ""
                while (substr(s, pos, 1) ~ /[0-9]/) { rk = rk substr(s, pos, 1); pos++ }
                key = canon(set)
                if (!(key in E) || rk + 0 < E[key]) E[key] = rk + 0
            }
            return set
        }
        function canon(set,   i, a, b) {
            a = ""; b = ""
            for (i = 1; i <= 4; i++) if (index(set, i)) a = a i; else b = b i
            return index(a, "1") ? a "|" b : b "|" a
        }
        { s = $0; pos = 1; node()
          n = 0; for (k in E) K[++n] = k
          for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (K[j] < K[i]) { t = K[i]; K[i] = K[j]; K[j] = t }
          cls = (dec == "concat" ? "cat" : "par") "-ht:"; sl = 0; p = 1; m = 1e9
          for (i = 1; i <= n; i++) { cls = cls (i > 1 ? "," : "") K[i] "=" E[K[i]]
              sl += log(E[K[i]]); p *= E[K[i]]; if (E[K[i]] < m) m = E[K[i]] }
          printf "%s %.6f %d %d\n", cls, sl, p, m }' ;;
    esac
}

HEADER='id,dec,format,spec,class,seed,point,data,epochs,batch,lr,clip,contract,test_acc,val_acc,train_acc,train_loss,test_loss,e1_test_acc,e1_val_acc,e1_train_loss,params,params_total,macs,hsvd_err,hsvd_upper,hsvd_lower,hsvd2_err,hsvd2_upper,hsvd2_lower,gauss_err,gauss_upper,gauss_lower,sumlog_rank,prod_rank,min_rank,data_hash'
if [ ! -s "$OUT" ]; then
    echo "$HEADER" > "$OUT"
elif [ "$(head -n 1 "$OUT")" != "$HEADER" ]; then
    echo "accbench: $OUT has another header; move it away" >&2; exit 2
fi

k=0
networks | grep -E "^($SELECT) " > "$WORK/networks.txt"
while read -r id dec fmt spec; do
    k=$((k + 1))
    [ "$ONLY" -gt 0 ] && [ "$k" -gt "$ONLY" ] && break
    p=$(point "$dec" "$fmt" "$spec")
    done_all=1
    for s in $SEEDS; do grep -q "^$id,[^,]*,[^,]*,\"[^\"]*\",\"[^\"]*\",$s," "$OUT" || done_all=0; done
    [ "$done_all" = 1 ] && continue
    # the network's proxies (the same for both seeds)
    case "$dec" in concat) ref=wcat.npy; gm=$WORK/gauss-cat.npy ;; *) ref=weight_ih_l0.npy; gm=$WORK/gauss-par.npy ;; esac
    h1=$(hsvd "$WORK/runs/dense-s1/$ref" "$dec" "$fmt" "$spec")
    h2=$(hsvd "$WORK/runs/dense-s2/$ref" "$dec" "$fmt" "$spec")
    hg=$(hsvd "$gm" "$dec" "$fmt" "$spec")
    mc=$(macs "$dec" "$fmt" "$spec")
    rk=$(ranks "$dec" "$fmt" "$spec")
    for s in $SEEDS; do
        grep -q "^$id,[^,]*,[^,]*,\"[^\"]*\",\"[^\"]*\",$s," "$OUT" && continue
        d=$WORK/runs/$id-s$s
        mkdir -p "$d"
        echo "accbench: $k $id seed $s" >&2
        train_run "$d" "$p" "$s"
        e=$d/e1.json f=$d/full.json
        # the point column is the network as dse names it (canonical: a
        # node's children ordered by their smallest mode, so A2's
        # (2,(1,(3,4))) reads ((1,(3,4)),2); the same rooted tree)
        pn=$(jget network "$f")
        [ "$(jget network "$e")" = "$pn" ] || { echo "accbench: $id: epoch-1 and full runs name different networks" >&2; exit 1; }
        # shellcheck disable=SC2086 # split into the 13 fields on purpose
        set -- $h1 $h2 $hg $rk
        printf '%s,%s,%s,"%s","%s",%s,"%s","%s",%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' \
            "$id" "$dec" "$fmt" "$spec" "${10}" "$s" "$pn" "$(jget dataset "$f")" \
            "$(jget epochs "$f")" "$(jget batch "$f")" "$(jget lr "$f")" "$(jget clip "$f")" "$CONTRACT" \
            "$(jget test_accuracy "$f")" "$(jget val_accuracy "$f")" "$(jget train_accuracy "$f")" \
            "$(jget train_loss "$f")" "$(jget test_loss "$f")" \
            "$(jget test_accuracy "$e")" "$(jget val_accuracy "$e")" "$(jget train_loss "$e")" \
            "$(jget params "$f")" "$(jget params_total "$f")" "$mc" \
            "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${11}" "${12}" "${13}" \
            "$(jget data_hash "$f")" >> "$OUT"
        # keep the dense references, drop the other networks' exports
        case "$id" in dense) ;; *) rm -f "$d"/*.npy "$d/checkpoint.bin" ;; esac
    done
done < "$WORK/networks.txt"

analyse
