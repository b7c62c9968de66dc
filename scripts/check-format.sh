#!/usr/bin/env bash
# The repository's .clang-format, applied to every C++ and CUDA file: lists the files that differ
# and exits 1. `scripts/check-format.sh CLANG_FORMAT --fix` rewrites them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${1:-clang-format}
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.h' '*.cpp' '*.cu' '*.cuh' 2>/dev/null || find host api cuda scenarios tests bench -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh')
if [ "${2:-}" = "--fix" ]; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! "$clang_format" "$f" | cmp -s - "$f"; then
    echo "not formatted: $f (scripts/check-format.sh $clang_format --fix)"
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "check-format: ${#files[@]} files match .clang-format"
exit "$bad"
