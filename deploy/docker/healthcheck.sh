#!/bin/bash
# The container image's HEALTHCHECK (installed as /usr/local/bin/logpulse-healthcheck):
# exit 0 when GET /-/healthy answers 200 on the first address logpulse is listening on.
#
# It needs nothing the slim image lacks: bash's /dev/tcp does the request (Debian's bash
# has network redirections), so the image carries no curl or wget. The address comes from
# the listen file logpulse writes to its state_dir once bound (one host:port a line), so a
# mounted configuration with another port needs no change here; a wildcard address
# (0.0.0.0, [::]) is reached on loopback.
#
# Plain HTTP only: with `web.tls_server_config` or basic auth (unless
# `health_without_auth: true`), override HEALTHCHECK with a client that speaks them.
#
# Env: LOGPULSE_STATE_DIR  the configuration's state_dir (default /var/lib/logpulse)
set -u

listen_file=${LOGPULSE_STATE_DIR:-/var/lib/logpulse}/listen
if ! { IFS= read -r address <"$listen_file"; } 2>/dev/null || [[ -z $address ]]; then
  echo "logpulse-healthcheck: no address in $listen_file (not listening yet?)" >&2
  exit 1
fi
host=${address%:*}
port=${address##*:}
case $host in
  0.0.0.0) host=127.0.0.1 ;;
  "[::]") host=::1 ;;
  "["*"]") host=${host#[} host=${host%]} ;;
esac

if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
  echo "logpulse-healthcheck: cannot connect to $address" >&2
  exit 1
fi
printf 'GET /-/healthy HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$address" >&3
if ! IFS= read -r -t 5 status <&3; then
  echo "logpulse-healthcheck: no answer from $address within 5 s" >&2
  exit 1
fi
status=${status%$'\r'}
case $status in
  "HTTP/1."[01]" 200 "* | "HTTP/1."[01]" 200") exit 0 ;;
esac
echo "logpulse-healthcheck: GET http://$address/-/healthy: $status" >&2
exit 1
