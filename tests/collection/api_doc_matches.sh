#!/usr/bin/env bash
# The example in docs/api.md is the one test_api_example.cpp compiles and
# runs: the lines between "// [example]" and "// [example end]" must appear,
# in order and unchanged (leading indentation aside), in the doc.
set -euo pipefail
test_file=$1 doc=$2
snippet=$(sed -n '/\/\/ \[example\]/,/\/\/ \[example end\]/p' "$test_file" | sed '1d;$d' | sed 's/^  //')
[ -n "$snippet" ] || { echo "no example markers in $test_file"; exit 1; }
doc_block=$(sed -n '/^```cpp/,/^```/p' "$doc" | sed '1d;$d')
[ "$snippet" = "$doc_block" ] || {
  echo "docs/api.md's first C++ block differs from the example in $test_file:"
  diff <(echo "$snippet") <(echo "$doc_block") || true
  exit 1
}
echo ok
