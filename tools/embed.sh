#!/bin/sh
# embed.sh SYMBOL FILE: prints a C file defining `const char SYMBOL[]`, the
# bytes of FILE followed by a NUL, and `const unsigned long SYMBOL_len`.
# Used by the Makefile so that the schema files in schemas/ are compiled into
# the dse binary (the files stay the single source of truth).
sym=$1; file=$2
echo "/* generated from $file by tools/embed.sh; do not edit */"
echo "const char $sym[] = {"
od -An -v -tx1 "$file" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00};"
echo "const unsigned long ${sym}_len = sizeof($sym) - 1;"
