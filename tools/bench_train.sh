#!/bin/bash
# shellcheck disable=SC2034  # P_<size>, T_<size>, ... are read indirectly (${!pv})
# bench_train.sh - training speed of `dse train` beside PyTorch (issue 12),
# side by side in one run, on the two sizes of the issue:
#
#   ucf   LSTM-UCF frames: n_in 57,600, H 256, HT rank 4 concat,
#         n_pad 58,320 = 9x20x18x18 (docs/MODEL.md section 8: 57,856 =
#         2^9 x 113 has no balanced 4-mode factorization), out modes
#         16x4x4x4 (4H = 1,024), balanced tree; 8 frames, batch 8
#   m64   64x64 moving clips: n_in 4,096, H 64, HT rank 4 concat, n_pad
#         4,160 = 4x8x10x13, out modes 4x4x4x4; 12 frames, batch 32
#
#   bash tools/bench_train.sh [DSE_BIN]        (default build/dse)
#
# C side:       DSE_BIN train --point P --bench --frames T --batch N --json
#               (one JSON object: clips_per_s, macs_per_clip, impl)
# PyTorch side: tools/torch_lstm.py bench (one thread): the decomposed
#               network with a dense reconstruction per mini-batch, with a
#               factored contraction, and plain torch.nn.LSTM (the
#               undecomposed network).  The ratio is C over the better of the
#               two decomposed PyTorch implementations (the issue's goal:
#               >= 2 on ucf, >= 1 on m64).
#
# It only measures and reports: exit status 0 whatever happens; a missing
# trainer or PyTorch is said on its line.
#
# Environment:
#   TORCH_PY=PATH          the interpreter with torch (/usr/bin/python3)
#   BENCH_TRAIN_SIZES=L    sizes to run, e.g. "m64" (default "ucf m64")
#   BENCH_TRAIN_TIMEOUT=S  wall limit of each side's run (180 s)
#   BENCH_TRAIN_ITERS_UCF=K, BENCH_TRAIN_ITERS_M64=K  PyTorch's timed
#                          mini-batches per impl (5, 20; each impl also stops
#                          timing after 20 s)

cd "$(dirname "$0")/.." || exit 0
DSE=${1:-build/dse}
PY=${TORCH_PY:-/usr/bin/python3}
SIZES=${BENCH_TRAIN_SIZES:-ucf m64}
TMO=${BENCH_TRAIN_TIMEOUT:-180}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fdht-bench-train.XXXXXX") || exit 0
trap 'rm -rf "$TMP"' EXIT

HW="hw;P=16;L=16;b=16;B=16;wm=131072;wg=65536;bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm"
P_ucf="lstm;nin=57600;h=256;dec=concat;pad=58320/wx;f=ht;m=16x4x4x4;n=9x20x18x18;t=((1:4,2:4):4,(3:4,4:4):4);o=3,4,34,2,1,12,1234;df=wp/$HW"
P_m64="lstm;nin=4096;h=64;dec=concat;pad=4160/wx;f=ht;m=4x4x4x4;n=4x8x10x13;t=((1:4,2:4):4,(3:4,4:4):4);o=4,3,34,2,1,12,1234;df=wp/$HW"
T_ucf=8;  B_ucf=8;  K_ucf=${BENCH_TRAIN_ITERS_UCF:-5};  GOAL_ucf=2
T_m64=12; B_m64=32; K_m64=${BENCH_TRAIN_ITERS_M64:-20}; GOAL_m64=1

have() { command -v "$1" >/dev/null 2>&1; }
TO=()
have timeout && TO=(timeout "$TMO")

# jnum FILE KEY: the number of "KEY": in a flat JSON line (first match)
jnum() { sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\(-\{0,1\}[0-9][0-9.eE+-]*\).*/\1/p" "$1" | head -n 1; }
jstr() { sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1; }
fmt() { awk -v f="$1" 'BEGIN { if (f == "") print "-"; else if (f >= 100) printf "%.0f", f;
                               else printf "%.3g", f }'; }
fmtm() { awk -v f="$1" 'BEGIN { if (f == "") print "-"; else if (f >= 1e8) printf "%.0f M", f / 1e6;
                                else printf "%.3g M", f / 1e6 }'; }

echo "== dse train vs PyTorch, training clips/s on one thread ($(date '+%Y-%m-%d %H:%M:%S'))"
echo "machine: $(nproc 2>/dev/null || echo '?') cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"

TORCH_OK=0
if [ -x "$PY" ] && "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
    TORCH_OK=1
    echo "pytorch: $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null) ($PY)"
else
    echo "pytorch: not available ($PY cannot import torch and numpy: install python3-torch); PyTorch side skipped"
fi
C_OK=0
if [ -x "$DSE" ]; then
    C_OK=1
else
    echo "dse: $DSE not built; C side skipped"
fi

TABLE=""
line() { local l; printf -v l '%-5s %-8s %-10s %12s %14s  %s' "$@"; TABLE+="$l"$'\n'; }
line size side impl clips/s MACs/clip "C/PyTorch (best decomposed impl; goal)"

for size in $SIZES; do
    pv=P_$size; tv=T_$size; bv=B_$size; kv=K_$size; gv=GOAL_$size
    P=${!pv}; T=${!tv}; B=${!bv}; K=${!kv}; GOAL=${!gv}
    if [ -z "$P" ]; then echo "unknown size $size (ucf, m64)"; continue; fi
    echo
    echo "-- $size: $T frames, batch $B"
    echo "   point $P"
    best="" ; bestimpl=""
    if [ "$TORCH_OK" = 1 ]; then
        t0=$EPOCHREALTIME
        "${TO[@]}" "$PY" tools/torch_lstm.py bench --point "$P" --frames "$T" --batch "$B" \
            --iters "$K" >"$TMP/py.$size" 2>"$TMP/py.$size.err"
        rc=$?
        echo "   pytorch (rc $rc, $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s):"
        sed 's/^/    | /' "$TMP/py.$size" "$TMP/py.$size.err"
        while IFS= read -r l; do
            printf '%s\n' "$l" >"$TMP/l"
            impl=$(jstr "$TMP/l" impl); cps=$(jnum "$TMP/l" clips_per_s); macs=$(jnum "$TMP/l" macs_per_clip)
            [ -z "$impl" ] && continue
            line "$size" pytorch "$impl" "$(fmt "$cps")" "$(fmtm "$macs")" ""
            if [ "$impl" != nn.LSTM ] && [ -n "$cps" ] && { [ -z "$best" ] ||
                awk -v a="$cps" -v b="$best" 'BEGIN { exit !(a > b) }'; }; then
                best=$cps; bestimpl=$impl
            fi
        done <"$TMP/py.$size"
        [ -z "$best" ] && line "$size" pytorch "-" "failed" "-" "(rc $rc; see above)"
    else
        line "$size" pytorch "-" "n/a" "-" "PyTorch not available"
    fi
    if [ "$C_OK" = 1 ]; then
        t0=$EPOCHREALTIME
        "${TO[@]}" "$DSE" train --point "$P" --bench --frames "$T" --batch "$B" --json \
            >"$TMP/c.$size" 2>"$TMP/c.$size.err"
        rc=$?
        echo "   dse train --bench (rc $rc, $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s):"
        sed 's/^/    | /' "$TMP/c.$size" "$TMP/c.$size.err" | head -n 20
        cps=$(jnum "$TMP/c.$size" clips_per_s); macs=$(jnum "$TMP/c.$size" macs_per_clip)
        impl=$(jstr "$TMP/c.$size" impl)
        if [ "$rc" = 0 ] && [ -n "$cps" ]; then
            if [ -n "$best" ]; then
                ratio=$(awk -v c="$cps" -v p="$best" 'BEGIN { printf "%.2f", c / p }')
                met=$(awk -v r="$ratio" -v g="$GOAL" 'BEGIN { print (r >= g) ? "met" : "not met" }')
                note="$ratio vs $bestimpl (goal >= $GOAL: $met)"
            else
                note="- (no PyTorch figure)"
            fi
            line "$size" C "${impl:-?}" "$(fmt "$cps")" "$(fmtm "$macs")" "$note"
        else
            line "$size" C "-" "failed" "-" "dse train --bench failed (rc $rc; see above)"
        fi
    else
        line "$size" C "-" "n/a" "-" "$DSE not built"
    fi
done

echo
echo "== summary (MACs/clip: forward + 2x backward per GEMM; dense impls include the"
echo "   per-mini-batch reconstruction divided by the batch; docs/TRAIN-torch.md)"
printf '%s' "$TABLE"
exit 0
