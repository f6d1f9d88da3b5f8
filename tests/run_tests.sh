#!/bin/sh
# Runs every cmocka test program given as an argument (under $VALGRIND when
# set), then prints one closing line "tests: N passed, M failed" that counts
# the cmocka test cases of all programs.  Exit status 1 if anything failed.
passed=0; failed=0; bad=""
for t in "$@"; do
  echo "== $t"
  out=$(${VALGRIND:-} "$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ]; then
    bad="$bad $t"
    [ -z "$f" ] && failed=$((failed + 1))
  fi
done
[ -n "$bad" ] && echo "failing programs:$bad"
echo "tests: $passed passed, $failed failed"
[ -z "$bad" ]
