#!/usr/bin/env bash
# Installs, with apt and only when missing, the Debian 12 packages logpulse needs.
#   scripts/install-deps.sh            build dependencies
#   scripts/install-deps.sh --test     build + test dependencies
#   scripts/install-deps.sh --bench    build + test + benchmark dependencies (mtail, our baseline)
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
  libssl-dev                # web: TLS (OpenSSL through Asio's ssl stream)
  libcrypt-dev              # web: bcrypt password hashes (crypt_r)
  protobuf-compiler         # remote write: protoc compiles lib/remote/proto/*.proto
  libprotobuf-dev           # remote write: the WriteRequest messages at run time
  libsnappy-dev             # remote write: snappy block compression of each request
  doctest-dev               # unit tests
)
test_pkgs=(
  python3 curl time
  openssl                   # the web tests make their certificates with openssl req / x509
  prometheus                # server + promtool for the scrape tests and the deploy/ check
  prometheus-alertmanager   # amtool check-config on deploy/alertmanager/
  python3-yaml              # the deploy/ test parses the manifests (multi-document YAML)
  systemd                   # systemd-analyze verify/security on the unit (no running systemd needed)
  util-linux                # unshare and setpriv (essential in Debian 12, named all the same)
  clang libclang-rt-14-dev  # libFuzzer and its sanitizer runtimes (scripts/fuzz.sh)
  llvm                      # llvm-symbolizer: function names and lines in sanitizer reports
  prometheus-alertmanager   # alert delivery tests against a real Alertmanager
  chromium                  # the status page test renders / in a headless browser
  podman                    # builds the Dockerfile and runs the image (test_container.py)
  runc                      # podman's runtime there: crun refuses hybrid cgroup hierarchies
  debootstrap               # the Debian 12 base image that test imports in place of a pull
)

bench_pkgs=(
  mtail                     # the baseline the benchmarks measure against
)

want=("${build_pkgs[@]}")
case "${1:-}" in
  --test) want+=("${test_pkgs[@]}") ;;
  --bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--test|--bench]" >&2; exit 2 ;;
esac

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
# Packages that ship services (prometheus) must not start them here: the tests start their
# own. A policy-rc.d that refuses every start (exit 101) stands for the install, unless the
# machine has one of its own (Docker images do; a plain Debian install does not).
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  trap '$sudo rm -f "$policy"' EXIT
  printf '#!/bin/sh\n# scripts/install-deps.sh: no service starts during its install\nexit 101\n' |
    $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
fi
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
