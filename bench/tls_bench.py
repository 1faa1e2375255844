#!/usr/bin/env python3
"""Scrapes per second over TLS with basic auth against plain HTTP, in the same run.

Starts two logpulse daemons on the same log and rules (200 series or so): one plain, one
with web.tls_server_config and web.basic_auth_users (bcrypt cost 10, as htpasswd -B
makes by default). Each is scraped (GET /metrics, keep-alive, one connection, the
credentials sent every time as Prometheus does) as fast as one client can for --seconds,
plain and TLS alternating --rounds times; then prints scrapes/s of each and the ratio. A
final line gives the cost of a new TLS connection per scrape (no keep-alive), for
scrapers that do not reuse connections. Prints only; asserts nothing.

    python3 bench/tls_bench.py [--seconds 5] [--rounds 2]   (LOGPULSE_BIN overrides build/logpulse)

Python 3 standard library plus the `openssl` command (certificates). Daemons listen on
127.0.0.1:0 and are stopped at the end.
"""
import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import tls_support as ts  # noqa: E402

LINE = '10.0.0.%d - - [25/Nov/2024:00:00:00 +0000] "%s /p%d HTTP/1.1" %d 100 "-" "curl" 0.%03d\n'
CONFIG = """listen: ["127.0.0.1:0"]
state_dir: {state}
sources: [{{name: access, paths: ["{log}"], start_at: beginning}}]
rules:
  - name: access
    source: access
    match: '^(?P<client>\\S+) \\S+ \\S+ \\[[^\\]]+\\] "(?P<method>[A-Z]+) (?P<path>\\S+)[^"]*" (?P<status>\\d{{3}}) (?P<bytes>\\d+) .* (?P<request_time>[0-9.]+)$'
    metrics:
      - {{name: http_requests_total, type: counter, labels: [method, status, path]}}
      - {{name: http_request_seconds, type: histogram, value: request_time}}
{web}"""


def start(tmp, name, log, web):
    state = os.path.join(tmp, name)
    os.mkdir(state)
    cfg = os.path.join(tmp, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(state=state, log=log, web=web))
    binary = os.environ.get("LOGPULSE_BIN") or os.path.join(REPO, "build", "logpulse")
    proc = subprocess.Popen([binary, "-c", cfg, "--log-level", "warn"], stdin=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, name + ".log"), "wb"), start_new_session=True)
    listen = os.path.join(state, "listen")
    deadline = time.monotonic() + 20
    while not (os.path.exists(listen) and open(listen).read().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("%s did not start: %s" % (name, open(os.path.join(tmp, name + ".log")).read()))
        time.sleep(0.05)
    port = int(open(listen).read().split()[0].rpartition(":")[2])
    return proc, port


def scrape_rate(make_conn, headers, seconds, reuse=True):
    conn = make_conn()
    n, size = 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not reuse:
            conn.close()
            conn = make_conn()
        conn.request("GET", "/metrics", headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit("scrape answered %d" % r.status)
        n += 1
        size = len(body)
    conn.close()
    return n / seconds, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="logpulse-tls-bench-")
    procs = []
    try:
        pki = ts.Pki(os.path.join(tmp, "pki"))
        cert, key = pki.issue("server", serial=1)
        log = os.path.join(tmp, "access.log")
        with open(log, "w") as f:
            for i in range(20000):
                f.write(LINE % (i % 250, ("GET", "POST")[i % 2], i % 40, (200, 404, 500)[i % 3], i % 1000))
        hash10 = ts.bcrypt_hash(ts.PASSWORD, cost=10)
        web = ("web:\n  tls_server_config: {cert_file: %s, key_file: %s}\n"
               "  basic_auth_users: {%s: '%s'}\n" % (cert, key, ts.USER, hash10))
        plain, plain_port = start(tmp, "plain", log, "")
        procs.append(plain)
        tls, tls_port = start(tmp, "tls", log, web)
        procs.append(tls)
        ctx = ts.client_context(pki.ca_crt)
        auth = ts.auth_header()

        def plain_conn():
            return http.client.HTTPConnection("127.0.0.1", plain_port, timeout=10)

        def tls_conn():
            return http.client.HTTPSConnection("127.0.0.1", tls_port, context=ctx, timeout=10)

        # Both have read the whole log (their bodies stop growing) before measuring.
        deadline = time.monotonic() + 30
        previous = None
        while True:
            sizes = (scrape_rate(plain_conn, {}, 0.3)[1], scrape_rate(tls_conn, auth, 0.3)[1])
            if sizes == previous:
                break
            previous = sizes
            if time.monotonic() > deadline:
                sys.exit("the daemons' bodies never settled: %r" % (sizes,))
        with open("/proc/loadavg") as f:
            print("load average: %s" % " ".join(f.read().split()[:3]))
        plain_rates, tls_rates = [], []
        for _ in range(args.rounds):
            rate, size = scrape_rate(plain_conn, {}, args.seconds)
            plain_rates.append(rate)
            tls_rates.append(scrape_rate(tls_conn, auth, args.seconds)[0])
        p, t = max(plain_rates), max(tls_rates)
        print("body: %d bytes, %d rounds of %.0f s each, best round shown" % (size, args.rounds, args.seconds))
        print("plain HTTP, keep-alive:                 %8.1f scrapes/s" % p)
        print("TLS + basic auth (bcrypt 10), keep-alive: %6.1f scrapes/s" % t)
        print("ratio TLS+auth / plain: %.2f" % (t / p))
        fresh = scrape_rate(tls_conn, auth, args.seconds / 2, reuse=False)[0]
        print("TLS + basic auth, a new connection each scrape: %.1f scrapes/s" % fresh)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
