#!/usr/bin/env bash
# Run HERE (where apt works) before a GPU check: downloads the Debian packages the GPU machine
# lacks (it has nvcc, CMake and ninja but no package registry) and unpacks them into .deps/root,
# which is git-ignored and travels with the device tool's `carry: [".deps"]`. Header-only
# libraries and GoogleTest's source, and simdjson (one shared library depending on the C and C++
# runtimes only; gpu-check.sh puts it on LD_LIBRARY_PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .deps && mkdir -p .deps/debs .deps/root
(cd .deps/debs && apt-get download libeigen3-dev nlohmann-json3-dev googletest libsimdjson-dev libsimdjson14 >/dev/null)
for deb in .deps/debs/*.deb; do dpkg -x "$deb" .deps/root; done
rm -rf .deps/debs .deps/root/usr/share/doc
du -sh .deps
