#!/bin/sh
# fuzz.sh [HARNESS...] - builds the libFuzzer harnesses of tests/fuzz/ with
# clang (-fsanitize=fuzzer,address,undefined; the project sources each
# harness needs are compiled directly, not the Makefile's gcc library) and
# runs each, one at a time, for FUZZ_SECONDS (default 60) seconds.  Prints
# executions and crashes per harness; exit status 1 if any harness crashed
# (the reproducer is under $FUZZ_BUILD/artifacts/HARNESS/; once the bug is
# fixed, copy it to tests/fuzz/crashes/HARNESS/ so that `make test` replays it).
#
# Harnesses: tree point order npy tech spec (default: all).
# Environment: FUZZ_SECONDS, FUZZ_BUILD (default build-fuzz), CLANG (default
# clang, else clang-14), FUZZ_TIMEOUT (seconds per input, default 10),
# FUZZ_MAX_LEN (bytes, default 4096), FUZZ_ARGS (more libFuzzer flags),
# FUZZ_CFLAGS (more flags for the harness itself, e.g. -DFUZZ_SPEC_NO_LINE_CHECK),
# TMPDIR (default /dev/shm when writable).
# New corpus entries go to $FUZZ_BUILD/corpus/HARNESS/ (kept between runs);
# the committed seeds in tests/fuzz/corpus/HARNESS/ are only read.
set -u
cd "$(dirname "$0")/.." || exit 2

SECS=${FUZZ_SECONDS:-60}
B=${FUZZ_BUILD:-build-fuzz}
TIMEOUT=${FUZZ_TIMEOUT:-10}
MAXLEN=${FUZZ_MAX_LEN:-4096}
ALL="tree point order npy tech spec"
HARNESSES=${*:-$ALL}

CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
  for c in clang clang-14; do
    command -v "$c" >/dev/null 2>&1 && { CLANG=$c; break; }
  done
fi
[ -n "$CLANG" ] || { echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# (FDHT_PREFIX keeps the default of dse/io/tech.c.)
CFLAGS="-std=c11 -g -O1 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -Icostmodel/tensor -Icostmodel/accel -Imapper -Idse/io -Idse/cmd $SAN"
LDLIBS="-lyaml -lsqlite3 -llapack -lblas -lz -lm"

CM_SRC=$(echo costmodel/tensor/*.c costmodel/accel/*.c)
ALL_SRC="$CM_SRC $(echo mapper/*.c)"
for f in dse/io/*.c dse/cmd/*.c; do
  [ "$f" = dse/cmd/main.c ] || ALL_SRC="$ALL_SRC $f"
done

# Sources each harness is linked with.
sources() {
  case $1 in
    tree) echo costmodel/tensor/ht_tree.c costmodel/tensor/cm_common.c ;;
    point|order) echo "$CM_SRC" ;;
    npy) echo dse/io/npy.c costmodel/tensor/cm_common.c ;;
    tech) echo dse/io/tech.c dse/io/ydoc.c dse/io/yschema.c "$B/gen/embed_tech_schema_yaml.c" "$CM_SRC" ;;
    spec) echo "$ALL_SRC" $EMBED_ALL ;;
    *) return 1 ;;
  esac
}

mkdir -p "$B/obj" "$B/gen" "$B/bin" || exit 2
NEWEST_H=$(ls -t costmodel/*/*.h mapper/*.h dse/io/*.h dse/cmd/*.h | head -n 1)

# Generated sources of schemas/, the Makefile's EMBED_SRC (the spec harness
# links every dse source, dse reproduce's embedded sweeps included).
EMBED_ALL=""
for f in schemas/*.sql schemas/*.yaml schemas/reproduce/*.yaml; do
  sym=embed_$(basename "$f" | tr '.-' '__')
  out=$B/gen/$sym.c
  EMBED_ALL="$EMBED_ALL $out"
  if [ ! -f "$out" ] || [ "$f" -nt "$out" ]; then
    sh tools/embed.sh "$sym" "$f" > "$out" || exit 2
  fi
done

# Object of one source, instrumented for coverage; rebuilt when stale.
obj() {
  o=$B/obj/$(echo "$1" | tr '/' '_' | sed 's/\.c$/.o/')
  if [ ! -f "$o" ] || [ "$1" -nt "$o" ] || [ "$NEWEST_H" -nt "$o" ]; then
    # shellcheck disable=SC2086
    $CLANG $CFLAGS -fsanitize=fuzzer-no-link -c "$1" -o "$o" || return 1
  fi
  echo "$o"
}

build() {
  objs=""
  for s in $(sources "$1"); do
    o=$(obj "$s") || return 1
    objs="$objs $o"
  done
  # shellcheck disable=SC2086
  $CLANG $CFLAGS ${FUZZ_CFLAGS:-} -fsanitize=fuzzer -o "$B/bin/fuzz_$1" "tests/fuzz/fuzz_$1.c" \
    $objs $LDLIBS
}

# The npy and tech harnesses rewrite a temporary file for every input: on a
# disk file system that is slow (ext4 flushes a truncated file on close), so
# prefer tmpfs.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  TMPDIR=/dev/shm
  export TMPDIR
fi

# A libFuzzer dictionary for the YAML harnesses: the words of the schema /
# of a table (keys, enum values), plus some YAML syntax.  Empty otherwise.
dict() {
  case $1 in
    spec) src=schemas/spec.schema.yaml ;;
    tech) src=tech/45nm.yaml ;;
    *) return 0 ;;
  esac
  d=$B/$1.dict
  { grep -o '[A-Za-z_][A-Za-z0-9_]*' "$src" | sort -u | sed 's/.*/"&"/'
    printf '%s\n' '"&a "' '"*a"' '"!!str "' '"---\x0a"' '"...\x0a"' '"? "' '": "' \
      '"- "' '"\x0a  "' '"{"' '"}"' '"["' '"]"' '", "' '"|\x0a"' '">-\x0a"' '"\\n"'
  } > "$d"
  echo "-dict=$d"
}

status=0
summary=""
for h in $HARNESSES; do
  if ! sources "$h" >/dev/null; then
    echo "fuzz: unknown harness '$h' (have: $ALL)" >&2
    exit 2
  fi
  echo "== fuzz_$h: building"
  if ! build "$h"; then
    echo "fuzz: building fuzz_$h failed" >&2
    exit 2
  fi
  work=$B/corpus/$h
  art=$B/artifacts/$h
  mkdir -p "$work" "$art" "tests/fuzz/corpus/$h"
  before=$(ls "$art" | wc -l)
  log=$B/fuzz_$h.log
  echo "== fuzz_$h: running ${SECS}s (log $log)"
  # Temporary files of this run in a directory of their own, removed after
  # (an input that aborts skips the harness's own clean-up).
  run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzz_run.XXXXXX") || exit 2
  # shellcheck disable=SC2086
  TMPDIR=$run_tmp ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$B/bin/fuzz_$h" -max_total_time="$SECS" -timeout="$TIMEOUT" -max_len="$MAXLEN" \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" $(dict "$h") \
      ${FUZZ_ARGS:-} \
      "$work" "tests/fuzz/corpus/$h" </dev/null >"$log" 2>&1
  rc=$?
  rm -rf "$run_tmp"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  after=$(ls "$art" | wc -l)
  crashes=$((after - before))
  new=""
  [ "$crashes" -gt 0 ] && new=$(ls -t "$art" | head -n "$crashes" | tr '\n' ' ')
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1
    new="(exit status $rc, see $log)"
  fi
  [ "$crashes" -gt 0 ] && status=1
  corpus=$(ls "$work" | wc -l)
  line=$(printf 'fuzz_%-6s %6ss  %10s executions  %3d crashes  corpus %d %s' \
    "$h" "$SECS" "${execs:-?}" "$crashes" "$corpus" "$new")
  echo "$line"
  if [ "$crashes" -gt 0 ]; then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|.*runtime error)' "$log" | head -n 5
  fi
  summary="$summary$line
"
done
echo "== summary"
printf '%s' "$summary"
exit $status
