#!/usr/bin/env bash
# logpulse demo, the README's first command:
#
#   bash scripts/demo.sh            interactive: runs until Ctrl-C
#   bash scripts/demo.sh --smoke    check and stop: starts everything, waits (up to 30 s)
#                                   until /metrics shows http_requests_total, prints those
#                                   lines, stops everything, exits 0 (1 if they never show)
#
# Installs the build dependencies (scripts/install-deps.sh), builds logpulse (Release) in
# build/, starts examples/demo/gen-log.sh appending live nginx access lines to a log in a
# fresh temporary directory, and runs logpulse in the foreground following that log.
# Ctrl-C stops logpulse (it writes a final checkpoint), stops the generator and removes
# the temporary directory.
#
# Env: LOGPULSE_LISTEN     host:port to serve on (default 127.0.0.1:9273)
#      LOGPULSE_BUILD_DIR  build directory (default build)
#      LOGPULSE_LOG_LEVEL  trace|debug|info|warn|error (default info)
#      GEN_RATE, GEN_ROTATE_EVERY  passed to the generator (lines/s, seconds)
set -euo pipefail

smoke=false
case ${1:-} in
  "") ;;
  --smoke) smoke=true ;;
  *) printf 'usage: bash scripts/demo.sh [--smoke]\n' >&2; exit 2 ;;
esac

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

listen=${LOGPULSE_LISTEN:-127.0.0.1:9273}
build_dir=${LOGPULSE_BUILD_DIR:-build}
log_level=${LOGPULSE_LOG_LEVEL:-info}
bin=$build_dir/logpulse

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# host:port, where host may be a name, an IPv4 address or a bracketed IPv6 address.
port=${listen##*:}
host=${listen%:*}
host=${host#[}
host=${host%]}
[[ $listen == *:* && $port =~ ^[0-9]+$ ]] || die "LOGPULSE_LISTEN must be host:port, not '$listen'"
case $host in # where to connect to reach it
  "" | 0.0.0.0) probe_host=127.0.0.1 url_host=127.0.0.1 ;;
  :: | ::0) probe_host=::1 url_host="[::1]" ;;
  *:*) probe_host=$host url_host="[$host]" ;;
  *) probe_host=$host url_host=$host ;;
esac
url="http://$url_host:$port"
port_open() { (exec 3<>"/dev/tcp/$probe_host/$port") 2>/dev/null; }

# --- clean-up: everything started here is stopped here, by pid ----------------------
tmp=""
gen_pid=""
lp_pid=""
# Whether our child $1 still runs: an exited but unreaped child still passes kill -0 (as
# a zombie), so look at its state.
alive() {
  local state
  read -r _ _ state _ 2>/dev/null <"/proc/$1/stat" && [[ $state != Z ]]
}
# Sends SIGTERM, waits up to $2 seconds for the process to exit, then SIGKILL; reaps it.
stop() {
  local pid=$1 i
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < $2 * 10; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  set +e
  trap '' INT TERM HUP # a second Ctrl-C must not cut the clean-up short
  [[ -n $lp_pid ]] && stop "$lp_pid" 15
  [[ -n $gen_pid ]] && stop "$gen_pid" 5
  if [[ -n $tmp && -d $tmp ]]; then
    rm -rf -- "$tmp"
    say "stopped the generator and logpulse; removed $tmp"
  fi
}
trap cleanup EXIT
# Ctrl-C is how the demo is meant to end once logpulse runs: that is a success.
trap 'if [[ -n $lp_pid ]]; then exit 0; else exit 130; fi' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- dependencies and build ----------------------------------------------------------
bash scripts/install-deps.sh

say "building logpulse (Release) in $build_dir/ ..."
started=$SECONDS
mkdir -p -- "$build_dir"
build_log=$build_dir/demo-build.log
# A new build directory gets no tests: their configuration needs python3, which only
# `install-deps.sh --test` installs. An existing one keeps its generator and options.
configure=(-G Ninja -DLOGPULSE_TESTS=OFF)
[[ -f $build_dir/CMakeCache.txt ]] && configure=()
if ! { cmake -S . -B "$build_dir" "${configure[@]}" -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$build_dir" --target logpulse; } >"$build_log" 2>&1; then
  printf 'demo: the build failed:\n' >&2
  grep -E -A4 'FAILED:|error:|CMake Error' "$build_log" | head -n 60 >&2 || tail -n 40 "$build_log" >&2
  die "full output in $build_log"
fi
[[ -x $bin ]] || die "the build did not produce $bin (see $build_log)"
version=$("$bin" --version 2>&1 | head -n 1) || die "$bin --version failed: $version"
say "built $bin ($version) in $((SECONDS - started)) s"

# --- demo directory, log generator, configuration -----------------------------------
if port_open; then
  die "something already listens on $listen; run e.g. LOGPULSE_LISTEN=127.0.0.1:19273 bash scripts/demo.sh"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/logpulse-demo.XXXXXX")
mkdir -p -- "$tmp/logs" "$tmp/state"
: >"$tmp/logs/access.log"

bash examples/demo/gen-log.sh "$tmp/logs/access.log" &
gen_pid=$!

sed_quote() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
config=$tmp/logpulse.yaml
sed -e "s|@DEMO_DIR@|$(sed_quote "$tmp")|g" -e "s|@LISTEN@|$(sed_quote "$listen")|g" \
  examples/demo/logpulse.yaml >"$config"
if grep -q '@[A-Z_]*@' "$config"; then die "unreplaced placeholder in $config"; fi
if ! check=$("$bin" -c "$config" --check 2>&1); then
  printf '%s\n' "$check" >&2
  die "logpulse refused the demo configuration ($config)"
fi

# --- logpulse ------------------------------------------------------------------------
# Started as a child and waited for, so that a signal to this script runs the traps
# at once (bash runs a trap only after a foreground child has exited); SIGINT from
# the terminal reaches logpulse too, and the clean-up sends it SIGTERM in any case.
"$bin" -c "$config" --log-level "$log_level" &
lp_pid=$!

for ((i = 0; i < 100; i++)); do # up to 10 s for the port to open
  if ! alive "$lp_pid"; then
    wait "$lp_pid" && status=0 || status=$?
    lp_pid=""
    die "logpulse exited with status $status before listening on $listen"
  fi
  port_open && break
  sleep 0.1
done

if $smoke; then
  # GET /metrics over bash's /dev/tcp: the demo installs no HTTP client.
  scrape() {
    local reply
    exec 3<>"/dev/tcp/$probe_host/$port" || return 1
    printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$url_host:$port" >&3
    reply=$(cat <&3)
    exec 3<&-
    printf '%s\n' "$reply" | grep '^http_requests_total{'
  }
  for ((i = 0; i < 300; i++)); do # up to 30 s
    alive "$lp_pid" || die "logpulse exited during the smoke check"
    if lines=$(scrape 2>/dev/null); then
      say "smoke check: $url/metrics shows http_requests_total:"
      printf '%s\n' "$lines" | head -n 5
      say "smoke check passed"
      exit 0
    fi
    sleep 0.1
  done
  die "smoke check failed: $url/metrics showed no http_requests_total within 30 s"
fi

cat <<MSG

logpulse demo: curl $url/metrics ; open $url/ ; Ctrl-C stops
  log:    $tmp/logs/access.log  (~${GEN_RATE:-20} lines/s, renamed to access.log.1 every ${GEN_ROTATE_EVERY:-60} s)
  config: $config

MSG

wait "$lp_pid" && status=0 || status=$?
lp_pid=""
# Reached only when logpulse stopped by itself (a signal to this script exits in its trap).
if ((status != 0)); then die "logpulse exited with status $status"; fi
say "logpulse exited"
