#!/bin/sh
# make_inputs.sh - prepares the hostile inputs of the bad-input corpus
# (tests/badinput/cases.tsv) in the directory $T: malformed .npy weights,
# a small good results database, a text file posing as a database, a
# database with another schema version, an empty file and a directory.
# Usage: DSE=path/to/dse T=tmpdir sh tests/badinput/make_inputs.sh
set -e
: "${DSE:?}" "${T:?}"
mkdir -p "$T/adir"
: > "$T/empty.npy"
: > "$T/empty.db"
printf 'hello, this is not a database\n' > "$T/fake.db"
# npy header: magic, version 1.0, header length (little endian), header text
# padded to 128 bytes in total with spaces and a final newline.
npy() { # $1 file, $2 header dict (< 110 chars)
  h="$2"; n=$(( 128 - 10 - ${#h} - 1 ))
  { printf '\223NUMPY\001\000\166\000%s' "$h"; printf "%${n}s\n" ''; } > "$1"
}
npy "$T/hdr_f8.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 56), }"
cp "$T/hdr_f8.npy" "$T/trunc.npy"
head -c 800 /dev/zero >> "$T/trunc.npy"          # 100 of 224 doubles
{ printf 'XNUMPY\001\000\066\000'; head -c 54 /dev/zero; } > "$T/badmagic.npy"
head -c 5 "$T/hdr_f8.npy" > "$T/shortmagic.npy"
npy "$T/i4.npy" "{'descr': '<i4', 'fortran_order': False, 'shape': (4, 56), }"
head -c 896 /dev/zero >> "$T/i4.npy"
npy "$T/rank1.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (224,), }"
head -c 1792 /dev/zero >> "$T/rank1.npy"
npy "$T/rank3.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 56), }"
head -c 1792 /dev/zero >> "$T/rank3.npy"
npy "$T/shape.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 55), }"
head -c 1760 /dev/zero >> "$T/shape.npy"
npy "$T/fortran.npy" "{'descr': '<f8', 'fortran_order': True, 'shape': (4, 56), }"
head -c 1792 /dev/zero >> "$T/fortran.npy"
# f8 4x56 with one NaN / one Inf (little-endian bit patterns) among ones
nf() { # $1 file, $2 special value as 8 octal escapes
  npy "$1" "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 56), }"
  printf "$2" >> "$1"
  i=1; while [ $i -lt 224 ]; do printf '\000\000\000\000\000\000\360\077'; i=$((i+1)); done >> "$1"
}
nf "$T/nan.npy" '\000\000\000\000\000\000\370\177'
nf "$T/inf.npy" '\000\000\000\000\000\000\360\177'
nf "$T/ones.npy" '\000\000\000\000\000\000\360\077'   # a good matrix
# -inf at row 1, column 5 (value 61 of 224 in C order): the message names both
npy "$T/ninf_r1c5.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 56), }"
i=0; while [ $i -lt 224 ]; do
  if [ $i -eq 61 ]; then printf '\000\000\000\000\000\000\360\377'
  else printf '\000\000\000\000\000\000\360\077'; fi; i=$((i+1))
done >> "$T/ninf_r1c5.npy"
npy "$T/garbage_hdr.npy" "{'descr': '<f8', 'shape': (4 56 }"
# a good database and one with another schema version
"$DSE" run tests/specs/good/base.yaml --db "$T/good.db" --quiet >/dev/null 2>&1
cp "$T/good.db" "$T/oldver.db"
sqlite3 "$T/oldver.db" 'PRAGMA user_version = 999;'
# .npy clip directories for `dse train`: 4 clips of 2 frames of 16 features
# (float32, zero), labels 0 1 0 1 (int64); each bad one differs in one way.
f4() { # $1 file, $2 shape text, $3 float count
  npy "$1" "{'descr': '<f4', 'fortran_order': False, 'shape': $2, }"
  head -c $(( $3 * 4 )) /dev/zero >> "$1"
}
labels() { # $1 file, then the labels (0..255)
  f="$1"; shift
  npy "$f" "{'descr': '<i8', 'fortran_order': False, 'shape': ($#,), }"
  for v in "$@"; do printf "\\$(printf %03o "$v")\\000\\000\\000\\000\\000\\000\\000"; done >> "$f"
}
clips() { # $1 dir: a good clip directory
  mkdir -p "$1"
  f4 "$1/train_x.npy" '(4, 2, 16)' 128; labels "$1/train_y.npy" 0 1 0 1
  f4 "$1/test_x.npy" '(4, 2, 16)' 128; labels "$1/test_y.npy" 0 1 0 1
}
for d in good badlabel nanx nin tmismatch trunc empty nolabels; do clips "$T/clips_$d"; done
labels "$T/clips_badlabel/test_y.npy" 0 1 7 1
npy "$T/clips_nanx/train_x.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2, 16), }"
{ head -c 20 /dev/zero; printf '\000\000\300\177'; head -c 488 /dev/zero; } >> "$T/clips_nanx/train_x.npy"
f4 "$T/clips_nin/train_x.npy" '(4, 2, 15)' 120
f4 "$T/clips_tmismatch/test_x.npy" '(4, 3, 16)' 192
head -c 300 "$T/clips_good/train_x.npy" > "$T/clips_trunc/train_x.npy"
: > "$T/clips_empty/train_x.npy"
rm "$T/clips_nolabels/train_y.npy"
# a valid spec whose reference .npy has the wrong shape (4x55, not 16x56)
{ cat tests/specs/good/base.yaml; printf 'reference:\n  npy: shape.npy\n'; } > "$T/ref_shape.yaml"
# `reference: {train: DIR}` (dse train --save directories; base.yaml is n_in 56, H 4)
mtrain() { # $1 dir, $2 n_in, $3 hidden: a manifest as dse train writes its sizes
  mkdir -p "$1"
  printf '{\n  "format": "fdht-dse train 1",\n  "n_in": %s, "hidden": %s, "classes": 2\n}\n' \
    "$2" "$3" > "$1/manifest.json"
}
mtrain "$T/train_other" 57 4
mtrain "$T/train_corrupt" 56 4
npy "$T/train_corrupt/weight_ih_l0.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (16, 56), }"
head -c 800 /dev/zero >> "$T/train_corrupt/weight_ih_l0.npy"   # 100 of 896 doubles
npy "$T/train_corrupt/weight_hh_l0.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (16, 4), }"
head -c 512 /dev/zero >> "$T/train_corrupt/weight_hh_l0.npy"
mkdir -p "$T/train_nomanifest"
printf '{"n_in": 56, "hidden": [4' > "$T/train_badjson.json"
mtrain "$T/train_badjson" 56 4; cp "$T/train_badjson.json" "$T/train_badjson/manifest.json"
for c in missing:train_absent other:train_other corrupt:train_corrupt nomanifest:train_nomanifest badjson:train_badjson; do
  { cat tests/specs/good/base.yaml; printf 'reference:\n  train: %s\n' "${c#*:}"; } > "$T/ref_train_${c%%:*}.yaml"
done
