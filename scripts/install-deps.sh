#!/usr/bin/env bash
# Installs, with apt and only when missing, the Debian 12 packages logpulse needs.
#   scripts/install-deps.sh            build dependencies
#   scripts/install-deps.sh --test     build + test/benchmark dependencies
# Idempotent and quiet: prints one line when everything is already there.
set -euo pipefail

build_pkgs=(
  cmake ninja-build g++ pkg-config
  libboost1.81-dev          # Asio (event loop, inotify descriptor, timers) and Beast (HTTP)
  libspdlog-dev             # logging
  libre2-dev                # regex matching
  prometheus-cpp-dev        # metric registry and text serializer
  libyaml-cpp-dev           # configuration with line/column marks
  libcli11-dev              # command line
  libsystemd-dev            # sd_notify
  zlib1g-dev                # gzip for /metrics
  libsimdjson-dev           # format: json sources
  doctest-dev               # unit tests
)
test_pkgs=(python3 curl time prometheus prometheus-alertmanager)   # prometheus: server + promtool for the scrape tests; alertmanager: delivery tests

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# Packages that ship services (prometheus, alertmanager) must not start them here.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
