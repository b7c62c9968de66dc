#!/usr/bin/env bash
# Configures and builds xmargin into build/ (the CUDA target too whenever nvcc is present), for
# this machine's instruction set (-DXM_NATIVE=ON: local speed; a binary to ship is configured
# without it). Extra arguments go to CMake's configure step, e.g. -DXM_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DXM_NATIVE=ON "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@"
fi
cmake --build build --parallel "$(nproc)"
