#!/bin/sh
# Runs every cmocka test program given as an argument (under $VALGRIND when
# set), then prints one closing line "tests: N passed, M failed" that counts
# the cmocka test cases of all programs.  Exit status 1 if anything failed.
#
# DSE_WRAP (set by `make valgrind`): a valgrind command line under which
# every `dse` the test programs start runs too.  DSE_BIN then names a small
# script that runs "$DSE_WRAP --log-file=... $DSE_BIN ARGS", and DSE_BIN_RAW
# the plain binary (tu_dse_bin_raw, for timing-sensitive tests).  A program
# whose dse processes logged any valgrind error fails, with the logs shown.
# Programs named in DSE_WRAP_SKIP (basenames, space-separated) run the plain
# binary; the list is printed.
passed=0; failed=0; bad=""
wrapdir=""
if [ -n "${DSE_WRAP:-}" ]; then
  raw="${DSE_BIN:-build/dse}"
  case "$raw" in /*) ;; *) raw="$(pwd)/$raw" ;; esac
  wrapdir=$(mktemp -d /tmp/fdht-dsewrap-XXXXXX) || exit 1
  trap 'rm -rf "$wrapdir"' EXIT
  # readable by the unprivileged user of the read-only database test
  chmod 755 "$wrapdir" && mkdir "$wrapdir/logs" && chmod 1777 "$wrapdir/logs" || exit 1
  printf '#!/bin/sh\nexec %s --log-file=%s/logs/dse.%%p.log %s "$@"\n' \
    "$DSE_WRAP" "$wrapdir" "$raw" > "$wrapdir/dse"
  chmod 755 "$wrapdir/dse"
  echo "dse runs under: $DSE_WRAP"
  [ -n "${DSE_WRAP_SKIP:-}" ] && echo "except in: $DSE_WRAP_SKIP"
fi
for t in "$@"; do
  echo "== $t"
  if [ -n "$wrapdir" ]; then
    case " ${DSE_WRAP_SKIP:-} " in
      *" $(basename "$t") "*) dse_bin="$raw"; echo "(dse not under valgrind here)" ;;
      *) dse_bin="$wrapdir/dse" ;;
    esac
    out=$(DSE_BIN="$dse_bin" DSE_BIN_RAW="$raw" ${VALGRIND:-} "$t" 2>&1); rc=$?
  else
    out=$(${VALGRIND:-} "$t" 2>&1); rc=$?
  fi
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ -n "$wrapdir" ]; then
    nlogs=$(find "$wrapdir/logs" -type f | wc -l)
    errs=$(find "$wrapdir/logs" -type f -size +0 | sort)
    echo "($nlogs dse processes under valgrind)"
    if [ -n "$errs" ]; then
      for l in $errs; do echo "-- valgrind errors of a dse process ($l):"; cat "$l"; done
      [ "$rc" -eq 0 ] && rc=99
    fi
    find "$wrapdir/logs" -type f -exec rm -f {} +
  fi
  if [ "$rc" -ne 0 ]; then
    bad="$bad $t"
    [ -z "$f" ] && failed=$((failed + 1))
  fi
done
[ -n "$bad" ] && echo "failing programs:$bad"
echo "tests: $passed passed, $failed failed"
[ -z "$bad" ]
