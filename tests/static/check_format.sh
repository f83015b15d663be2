#!/usr/bin/env bash
# Every C++ file in the repository is formatted as .clang-format says
# (house style rule 13). Fix with: clang-format -i FILE...
set -euo pipefail
cd "${SOURCE_ROOT:-$(dirname "$0")/../..}"
mapfile -t files < <(git ls-files 'proxy/*.cpp' 'proxy/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 2>/dev/null ||
    find proxy tests -name '*.cpp' -o -name '*.hpp')
clang-format --dry-run -Werror "${files[@]}"
echo "${#files[@]} files formatted as .clang-format says"
