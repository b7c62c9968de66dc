#!/usr/bin/env bash
# Installs what the benchmarks need beyond the build (Debian packages, into the system Python):
# NumPy and SciPy for the peer, matplotlib for the plots, wrk for the service load test.
# Idempotent.
set -euo pipefail
packages=(python3-numpy python3-scipy python3-matplotlib wrk time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
