#!/usr/bin/env python3
"""logpulse's own benchmark and exactness workload: a deterministic nginx "combined"
access log with a request time appended, and the exact totals it holds.

    198.51.100.7 - - [25/Nov/2024:00:00:01 +0000] "GET /api/items/12 HTTP/1.1" 200 5123 "-" "curl/8.1" 0.012

The same --seed and --lines give the same bytes (random.Random is stable across
CPython 3 versions). About 0.5% of the lines are malformed so that a parser sees bad
input (a missing field, a bad status, junk, a cut line, ...); each kind is built so that
it cannot match the access rule of examples/access.yaml. Request times include 0.000 and
values exactly on histogram bucket bounds, where `le` (upper bound inclusive) matters;
empty bodies are logged as "-" (a value that is not a number).

--stats FILE writes the totals as JSON, with the keys check_counts.py reads:
requests by method and status, response bytes by status, the cumulative `le` histogram
of request times, their sum and count, malformed lines, and lines whose size is "-".

    gen_access_log.py --lines 200000 --seed 1 --out access.log --stats access.stats.json

Python 3 standard library only; also importable (generate()).
"""
import argparse
import bisect
import calendar
import json
import random
import sys
import time

BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
START = "2024-11-25T00:00:00"

# (method, weight, [(status, weight)]); statuses in EMPTY log "-" as their size.
METHODS = [
    ("GET", 820, [(200, 850), (304, 60), (404, 40), (301, 15), (302, 10), (403, 5),
                  (429, 4), (500, 8), (502, 3), (503, 3), (504, 2)]),
    ("POST", 90, [(201, 400), (200, 350), (400, 90), (401, 40), (409, 30), (422, 50),
                  (500, 20), (503, 20)]),
    ("PUT", 30, [(200, 600), (204, 300), (400, 60), (404, 40)]),
    ("DELETE", 20, [(204, 800), (404, 150), (500, 50)]),
    ("HEAD", 25, [(200, 900), (304, 60), (404, 40)]),
    ("PATCH", 8, [(200, 700), (204, 200), (422, 100)]),
    ("OPTIONS", 7, [(204, 950), (405, 50)]),
]
EMPTY = {204, 304}
PATHS = (["/", "/login", "/logout", "/cart", "/checkout", "/search?q=lamp", "/docs/install",
          "/favicon.ico", "/robots.txt", "/healthz", "/metrics", "/static/app.9f1c.js",
          "/static/site.77aa.css", "/api/session", "/api/orders", "/api/graphql"]
         + ["/api/items/%d" % (i * 7) for i in range(60)]
         + ["/products/%d" % (3000 + i * 11) for i in range(60)]
         + ["/img/p%03d.webp" % i for i in range(40)])
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0 Safari/537.36",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
          "curl/8.1.2", "Prometheus/2.42.0", "kube-probe/1.28", "Go-http-client/2.0", "-"]
REFERERS = ["-", "-", "-", "https://shop.example.org/", "https://www.example.com/search?q=x",
            "https://shop.example.org/cart"]
USERS = ["-"] * 30 + ["alice", "bob", "svc-report"]
PROTOCOLS = ["HTTP/1.1"] * 7 + ["HTTP/2.0"] * 2 + ["HTTP/1.0"]
# Request times a histogram must file by `le`: zero and exactly on bucket bounds.
EDGE_TIMES = ["0.000", "0.005", "0.010", "0.100", "0.250", "1.000", "10.000"]
MALFORMED_RATE = 0.005


class _Weighted:
    """Weighted choice with a cumulative table."""

    def __init__(self, pairs):
        self.items = [item for item, _ in pairs]
        self.bounds = []
        acc = 0
        for _, weight in pairs:
            acc += weight
            self.bounds.append(acc)
        self.total = acc

    def pick(self, r):
        return self.items[bisect.bisect_right(self.bounds, r * self.total)]


def _malformed(rng, line):
    """A line that the access rule cannot match, made from a valid one."""
    kind = rng.randrange(7)
    if kind == 0:                                   # the request time is missing
        return line[:line.rfind(" ")]
    if kind == 1:                                   # a status that is not 3 digits
        i = line.index('" ', line.index('"') + 1) + 2
        return line[:i] + rng.choice(["2OO", "20", "5xx", "-"]) + line[i + 3:]
    if kind == 2:                                   # the request time is not a number
        return line[:line.rfind(" ")] + " " + rng.choice(["-", "nan", "0,25", "1e-3"])
    if kind == 3:                                   # cut inside the user agent
        return line[:line.rfind('"') - 1]
    if kind == 4:                                   # a protocol without a minor version
        return line.replace(" HTTP/1.1\"", " HTTP/2\"", 1).replace(" HTTP/2.0\"", " HTTP/3\"", 1) \
            .replace(" HTTP/1.0\"", " HTTP/09\"", 1)
    if kind == 5:                                   # an error log line in the access log
        return rng.choice(["[error] 31#31: *4411 upstream timed out while reading response header",
                           "PHP Fatal error:  Allowed memory size exhausted in /srv/index.php:88",
                           "-- MARK --", "GET / HTTP/1.1", "\tat com.example.Handler.run(Handler.java:42)"])
    # kind 6: printable junk
    return "".join(chr(rng.randrange(33, 127)) for _ in range(rng.randrange(1, 120)))


def _cumulative(counts):
    out, acc = {}, 0
    for bound, n in zip([repr(float(b)) for b in BUCKETS] + ["+Inf"], counts):
        acc += n
        out[bound] = acc
    return out


def generate(out, lines, seed=1, malformed_rate=MALFORMED_RATE):
    """Write `lines` lines to the text file `out` (a path); return the totals (a dict)."""
    rng = random.Random(seed)
    method_pick = _Weighted([(m, w) for m, w, _ in METHODS])
    status_pick = {m: _Weighted(s) for m, _, s in METHODS}
    ips = ["%d.%d.%d.%d" % (rng.choice([23, 51, 84, 91, 151, 185, 198, 203]), rng.randrange(256),
                            rng.randrange(256), rng.randrange(1, 255)) for _ in range(800)]
    ips += ["2001:db8::%x" % rng.randrange(1, 65536) for _ in range(40)]
    ip_pick = _Weighted([(ip, 1.0 / (i + 1)) for i, ip in enumerate(ips)])
    path_pick = _Weighted([(p, 1.0 / (i + 1) ** 0.8) for i, p in enumerate(PATHS)])

    requests, bytes_by_status = {}, {}
    buckets = [0] * (len(BUCKETS) + 1)
    time_sum, zero_times, dash_sizes, malformed = 0.0, 0, 0, 0
    t = float(calendar.timegm(time.strptime(START, "%Y-%m-%dT%H:%M:%S")))
    second, stamp = -1, ""
    rnd = rng.random
    batch = []
    with open(out, "w", encoding="ascii", newline="\n") as f:
        for _ in range(lines):
            t += rng.expovariate(200.0)
            if int(t) != second:
                second = int(t)
                g = time.gmtime(second)
                stamp = "%02d/%s/%04d:%02d:%02d:%02d +0000" % (
                    g.tm_mday, MONTHS[g.tm_mon - 1], g.tm_year, g.tm_hour, g.tm_min, g.tm_sec)
            method = method_pick.pick(rnd())
            status = status_pick[method].pick(rnd())
            empty = status in EMPTY or method == "HEAD"
            size = 0 if empty else int(rng.lognormvariate(7.5 if status < 400 else 6.0, 1.0)) + 1
            if status == 504:                       # a gateway timeout: above every bucket
                seconds = "%.3f" % (60.0 + rnd() * 0.05)
            elif rnd() < 0.02:
                seconds = EDGE_TIMES[int(rnd() * len(EDGE_TIMES))]
            else:
                seconds = "%.3f" % min(rng.lognormvariate(-3.5, 1.2) * (5 if status >= 500 else 1), 70.0)
            line = '%s - %s [%s] "%s %s %s" %d %s "%s" "%s" %s' % (
                ip_pick.pick(rnd()), USERS[int(rnd() * len(USERS))], stamp, method,
                path_pick.pick(rnd()), PROTOCOLS[int(rnd() * len(PROTOCOLS))], status,
                str(size) if size else "-", REFERERS[int(rnd() * len(REFERERS))],
                AGENTS[int(rnd() * len(AGENTS))], seconds)
            if rnd() < malformed_rate:
                line = _malformed(rng, line)
                malformed += 1
            else:
                key = "%s %d" % (method, status)
                requests[key] = requests.get(key, 0) + 1
                if size:
                    bytes_by_status[status] = bytes_by_status.get(status, 0) + size
                else:
                    dash_sizes += 1
                value = float(seconds)
                buckets[bisect.bisect_left(BUCKETS, value)] += 1   # le: value <= bound
                time_sum += value
                zero_times += value == 0.0
            batch.append(line)
            if len(batch) == 10000:
                batch.append("")
                f.write("\n".join(batch))
                batch = []
        if batch:
            batch.append("")
            f.write("\n".join(batch))

    valid = lines - malformed
    by_method, by_status = {}, {}
    for key, n in requests.items():
        method, status = key.split()
        by_method[method] = by_method.get(method, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    return {
        "generator": "logpulse tests/workload/gen_access_log.py",
        "seed": seed, "lines": lines, "valid": valid, "malformed": malformed,
        "requests_by_method_status": dict(sorted(requests.items())),
        "requests_by_method": dict(sorted(by_method.items())),
        "requests_by_status": dict(sorted(by_status.items())),
        "bytes_by_status": {str(k): v for k, v in sorted(bytes_by_status.items())},
        "bytes_total": sum(bytes_by_status.values()),
        "valid_lines_with_dash_bytes": dash_sizes,
        "request_time_sum": time_sum,
        "request_time_count": valid,
        "request_time_zero_count": zero_times,
        "histogram_le_cumulative": _cumulative(buckets),
        "buckets": BUCKETS,
    }


def write_stats(stats, path):
    with open(path, "w") as f:
        json.dump(stats, f, indent=1)
        f.write("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, required=True, help="number of lines")
    ap.add_argument("--out", required=True, help="the log file to write")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--malformed-rate", type=float, default=MALFORMED_RATE)
    ap.add_argument("--stats", help="write the exact totals as JSON here")
    args = ap.parse_args(argv)
    stats = generate(args.out, args.lines, args.seed, args.malformed_rate)
    if args.stats:
        write_stats(stats, args.stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
