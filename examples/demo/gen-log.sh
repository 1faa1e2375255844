#!/usr/bin/env bash
# Demo log generator: appends nginx "combined" access lines with the request time at the
# end (seconds, like nginx's $request_time) to LOGFILE, about GEN_RATE lines a second, and
# every GEN_ROTATE_EVERY seconds rotates it the way logrotate + nginx do: rename LOGFILE to
# LOGFILE.1, keep writing a moment to the renamed file (nginx does until it reopens its
# logs), then reopen LOGFILE. So logpulse's line counters and its rotation counter move.
#
#   examples/demo/gen-log.sh LOGFILE
#
# Env: GEN_RATE          lines per second (default 20)
#      GEN_ROTATE_EVERY  seconds between rotations (default 60; 0 = never)
#      GEN_BACKFILL      lines written at once on start, so the first scrape has data (40)
# Stops on SIGTERM/SIGINT/SIGHUP, when its parent process exits, or when LOGFILE's
# directory is removed. Pure bash: $RANDOM picks the fields and printf's %(...)T formats
# the time, so the only process forked per tick is sleep.
set -euo pipefail
export LC_ALL=C # English month names in the timestamp, like nginx

log=${1:?usage: gen-log.sh LOGFILE}
rate=${GEN_RATE:-20}
rotate_every=${GEN_ROTATE_EVERY:-60}
backfill=${GEN_BACKFILL:-40}
dir=$(dirname -- "$log")
parent=$PPID

trap 'exit 0' TERM INT HUP

clients=(203.0.113.7 203.0.113.7 203.0.113.7 198.51.100.23 198.51.100.23 192.0.2.44
         198.51.100.61 203.0.113.150 192.0.2.201 203.0.113.99)
agents=(
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
  "curl/7.88.1"
  "python-requests/2.31.0"
)
# "METHOD PATH typical-milliseconds typical-bytes"; repeated entries are more frequent.
requests=(
  "GET / 45 5120" "GET / 45 5120" "GET /products 60 14230"
  "GET /static/app.js 2 48213" "GET /static/app.js 2 48213" "GET /static/style.css 2 10987"
  "GET /static/style.css 2 10987" "GET /static/img/logo.png 3 23411"
  "GET /api/v1/products?page=2 30 3100" "GET /api/v1/products/1042 25 1410"
  "GET /api/v1/products/7 25 1388" "GET /api/v1/cart 20 640"
  "POST /api/v1/cart 80 310" "PUT /api/v1/cart/17 70 290" "DELETE /api/v1/cart/17 60 0"
  "POST /login 120 512" "GET /healthz 1 2"
)
server_errors=(500 502 502 503 504)

# Appends one access line for "now" ($ts) to $buf.
add_line() {
  local client=${clients[RANDOM % ${#clients[@]}]}
  local agent=${agents[RANDOM % ${#agents[@]}]}
  local referer="-" method path ms bytes status r=$((RANDOM % 100))
  read -r method path ms bytes <<<"${requests[RANDOM % ${#requests[@]}]}"

  if ((RANDOM % 400 == 0)); then
    # A TLS handshake sent to the plain-HTTP port: nginx logs the bytes escaped. Such a
    # line matches no access rule, so the "unmatched" counters have something to count.
    printf -v line '%s - - [%s] "%s" 400 157 "-" "-" 0.001' "$client" "$ts" \
      '\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03'
    buf+=$line$'\n'
    return
  fi

  case $path in
    /healthz) status=200 client=10.0.0.12 agent="kube-probe/1.29" ;;
    /static/*) referer="https://shop.example.com/" ;;
    /) ((RANDOM % 3 == 0)) && referer="https://www.google.com/" ;;
  esac
  if [[ $path != /healthz ]]; then
    case $method in
      GET)
        if ((r < 85)); then status=200
        elif ((r < 91)); then status=304
        elif ((r < 95)); then status=404
        elif ((r < 97)); then status=302
        else status=${server_errors[RANDOM % ${#server_errors[@]}]}; fi ;;
      POST)
        if ((r < 80)); then [[ $path == /login ]] && status=302 || status=201
        elif ((r < 90)); then status=400
        elif ((r < 97)); then [[ $path == /login ]] && status=401 || status=422
        else status=${server_errors[RANDOM % ${#server_errors[@]}]}; fi ;;
      PUT)
        if ((r < 92)); then status=200
        elif ((r < 97)); then status=409
        else status=${server_errors[RANDOM % ${#server_errors[@]}]}; fi ;;
      *)
        if ((r < 94)); then status=204
        elif ((r < 98)); then status=404
        else status=${server_errors[RANDOM % ${#server_errors[@]}]}; fi ;;
    esac
  fi

  # Request time: 0.5x to 2x the typical value, one request in 50 ten times slower;
  # server errors are slow, and a 504 is the upstream timeout.
  ms=$((ms * (50 + RANDOM % 151) / 100))
  ((RANDOM % 50 == 0)) && ms=$((ms * 10))
  case $status in
    204 | 304) bytes=0 ;;
    404) bytes=153 ;;
    5??) bytes=$((150 + RANDOM % 50)) ms=$((ms * 3)) ;;
    *) bytes=$((bytes * (75 + RANDOM % 51) / 100)) ;;
  esac
  [[ $status == 504 ]] && ms=$((60000 + RANDOM % 50))

  printf -v line '%s - - [%s] "%s %s HTTP/1.1" %d %d "%s" "%s" %d.%03d' \
    "$client" "$ts" "$method" "$path" "$status" "$bytes" "$referer" "$agent" \
    $((ms / 1000)) $((ms % 1000))
  buf+=$line$'\n'
}

# Writes n lines in one go, so a tick's lines reach the file together.
emit() {
  local n=$1 i
  buf=""
  printf -v ts '%(%d/%b/%Y:%H:%M:%S %z)T' -1
  for ((i = 0; i < n; i++)); do add_line; done
  [[ -n $buf ]] && printf '%s' "$buf" >&3
  return 0
}

exec 3>>"$log"
emit "$backfill"
next_rotation=$((rotate_every > 0 ? SECONDS + rotate_every : -1))
while :; do
  kill -0 "$parent" 2>/dev/null || exit 0
  [[ -d $dir ]] || exit 0
  # Ten ticks a second, 0..2*rate/10 lines each: about $rate lines a second, a bit bursty.
  emit $(((RANDOM % (2 * rate + 1) + 5) / 10))
  if ((next_rotation > 0 && SECONDS >= next_rotation)); then
    mv -f -- "$log" "$log.1"
    emit 2 # still goes to the renamed file, as nginx writes until it reopens its logs
    exec 3>>"$log"
    next_rotation=$((SECONDS + rotate_every))
  fi
  sleep 0.1
done
