#!/usr/bin/env python3
"""Windows and alerts benchmark for logpulse (issue 8, section 5).

Measures and PRINTS (no pass/fail), each figure next to a reference taken in the same run:

1. Cost of windows: `logpulse --once --threads 1` on the 2,000,000-line workload
   (tests/workload/gen_access_log.py, seed 1; --quick: 200,000) with the rules of
   examples/access.yaml, with and without five windows (count by status; rate of 5xx;
   quantile of request time by method; topk 10 by client; distinct clients; all over 5m).
   The rules of access.yaml capture no client, so the access rule gets a `client` capture
   (its leading `\\S+` becomes `(?P<client>\\S+)`); the reference is that same rule set
   without windows, and access.yaml as it is shows what the capture alone costs. The rule
   has no `timestamp:`, so every line goes to the wall-clock bucket of its arrival.
   Interleaved runs after an untimed warm-up, medians, and the median of each round's
   back-to-back pair; every output is checked (check_counts.py, counter totals equal with
   and without windows, window values against an exact computation in Python). Reference:
   the bare RE2 loop bench/re2_floor.cpp with access.yaml's 4 captures and with the client
   capture too. --drop-one adds the 5 windows minus each one and each one alone;
   --instructions counts instructions per line under valgrind (callgrind, 200,000 lines).
2. Latency from writing a line to the alert being listed by a real Alertmanager
   (/usr/bin/prometheus-alertmanager, loopback, clustering off): `for: 0s`, a 10s count
   window on a marker line grouped by a per-trial label, GET /api/v2/alerts polled every
   ~10 ms; with the default evaluation_interval (1s) and with 100ms. Reference: the same
   poll on an alert POSTed straight to Alertmanager.
3. Memory: the daemon's VmRSS (a) following the workload with and without the five
   windows, (b) on a generated log with 100,000 distinct clients, with no window, a topk
   window by client, a distinct window of client, and both.

Python 3 standard library and /usr/bin/time. Data goes to --work (default $WORK, else
/tmp/logpulse-bench), never into the repository; files written there start with
`windows-` or are the shared workload. Every process started is stopped by its PID in a
finally block.
"""

import argparse
import collections
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKLOAD = os.path.join(REPO, "tests", "workload")
ACCESS_YAML = os.path.join(REPO, "examples", "access.yaml")
MIB = 1024 * 1024

WINDOWS = [  # (name, YAML flow mapping)
    ("http_requests_5m", "{name: http_requests_5m, rule: access, over: 5m, agg: count, by: [status]}"),
    ("http_5xx_rate_5m", "{name: http_5xx_rate_5m, rule: access, where: {status: '5..'}, over: 5m, agg: rate}"),
    ("http_latency_5m", "{name: http_latency_5m, rule: access, over: 5m, agg: quantile, of: request_time, "
                        "quantiles: [0.5, 0.9, 0.99], by: [method]}"),
    ("top_clients_5m", "{name: top_clients_5m, rule: access, over: 5m, agg: topk, k: 10, by: [client]}"),
    ("unique_clients_5m", "{name: unique_clients_5m, rule: access, over: 5m, agg: distinct, of: client}"),
]
WINDOW_NAMES = [n for n, _ in WINDOWS]
QUANTILES = [0.5, 0.9, 0.99]
OVER_S = 300.0
FLOOR4 = "RE2 floor, 4 captures (access.yaml)"
FLOOR5 = "RE2 floor, 5 captures (+ client)"

_procs = []


def log(msg=""):
    print(msg, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def proc_status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    return 0


def pct(sorted_vals, p):
    """Nearest-rank percentile of a sorted list: the value of rank ceil(p/100 * n)."""
    if not sorted_vals:
        return float("nan")
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals) - 1e-9))
    return sorted_vals[min(k, len(sorted_vals)) - 1]


def fmt_int(v):
    return "{:,.0f}".format(v)


def spawn(cmd, out_path, **kw):
    out = open(out_path, "ab")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, **kw)
    proc._bench_out = out
    _procs.append(proc)
    return proc


def stop(proc):
    """SIGTERM by PID, SIGKILL after 10 s."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    proc._bench_out.close()
    if proc in _procs:
        _procs.remove(proc)


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
    except OSError:
        return ""


# ----------------------------------------------------------------------------- exposition

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prom(text):
    """{(name, frozenset(labels)): float}"""
    out = {}
    for ln in text.splitlines():
        if not ln or ln.startswith("#"):
            continue
        m = _SAMPLE.match(ln)
        if not m:
            raise ValueError("not a sample line: %r" % ln)
        labels = frozenset(_LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def without_windows(samples):
    """The samples that do not come from a window: rule metrics and self-metrics, minus
    the series named after a window or labelled with one (window=, metric=)."""
    names = set(WINDOW_NAMES)
    return {k: v for k, v in samples.items()
            if k[0] not in names and not k[0].startswith("logpulse_window_")
            and not any(val in names for _, val in k[1])}


class Http:
    """One keep-alive connection to 127.0.0.1:port, reopened after an error."""

    def __init__(self, port, timeout=10):
        self.port, self.timeout = port, timeout
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            try:
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise

    def get(self, path):
        return self.request("GET", path)

    def close(self):
        self.c.close()


def wait_ready(proc, conn, out_path, what="logpulse", timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s\n%s" % (what, proc.returncode, tail(out_path)))
        try:
            if conn.get("/-/ready")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("%s not ready after %d s\n%s" % (what, timeout, tail(out_path)))
        time.sleep(0.02)


def lines_read(conn):
    st, body = conn.get("/metrics")
    for ln in body.decode().splitlines():
        if ln.startswith("logpulse_lines_read_total{"):
            return float(ln.rsplit(" ", 1)[1])
    return 0.0


# ----------------------------------------------------------------------------- configs

def access_rules(client_capture):
    """The `rules:` section of examples/access.yaml, optionally with a client capture."""
    with open(ACCESS_YAML) as f:
        text = f.read()
    rules = text[text.index("\nrules:") + 1:]
    if client_capture:
        old = "match: '^\\S+ \\S+"
        if old not in rules:
            raise SystemExit("examples/access.yaml: the access rule no longer starts with %r" % old)
        rules = rules.replace(old, "match: '^(?P<client>\\S+) \\S+", 1)
    return rules if rules.endswith("\n") else rules + "\n"


def access_config(path, state_dir, log_path, client_capture, windows, port=None, start_at="beginning"):
    doc = ['listen: ["127.0.0.1:%d"]' % (port or 0), "state_dir: %s" % state_dir,
           "sources:", "  - name: access", '    paths: ["%s"]' % log_path, "    start_at: %s" % start_at]
    text = "\n".join(doc) + "\n" + access_rules(client_capture)
    if windows:
        text += "windows:\n" + "".join("  - %s\n" % w for _, w in windows)
    with open(path, "w") as f:
        f.write(text)
    return path


# ----------------------------------------------------------------------------- setup

def ensure_workload(work, lines):
    path = os.path.join(work, "workload_access_%d.log" % lines)
    stats = os.path.join(work, "workload_access_%d.stats.json" % lines)
    if not (os.path.exists(path) and os.path.exists(stats)):
        log("generating %s (%d lines, seed 1) ..." % (path, lines))
        subprocess.run([sys.executable, os.path.join(WORKLOAD, "gen_access_log.py"), "--lines", str(lines),
                        "--seed", "1", "--out", path, "--stats", stats], check=True)
    with open(stats) as f:
        st = json.load(f)
    return path, stats, st


# The access rule of examples/access.yaml with the client capture, in Python's syntax.
ACCESS_RE = re.compile(r'^(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ HTTP/\d\.\d" '
                       r'(?P<status>\d{3}) (?P<size>\d+|-) "[^"]*" "[^"]*" (?P<request_time>\d+(?:\.\d+)?)$',
                       re.ASCII)


def exact_windows(work, log_path):
    """What the five windows hold when every line is inside them, computed exactly in
    Python (cached in WORK beside the workload)."""
    st = os.stat(log_path)
    cache = os.path.join(work, "windows-exact-%s.json" % os.path.basename(log_path))
    key = "%d %d" % (st.st_size, int(st.st_mtime))
    if os.path.exists(cache):
        with open(cache) as f:
            d = json.load(f)
        if d.get("key") == key:
            return d
    log("computing the exact window values of %s in Python (cached) ..." % log_path)
    by_status = collections.Counter()
    clients = collections.Counter()
    times = collections.defaultdict(list)
    with open(log_path, encoding="ascii", errors="replace") as f:
        for ln in f:
            m = ACCESS_RE.match(ln.rstrip("\n"))
            if not m:
                continue
            by_status[m.group("status")] += 1
            clients[m.group("client")] += 1
            times[m.group("method")].append(float(m.group("request_time")))
    quant = {}
    for method, vals in times.items():
        vals.sort()
        quant[method] = {str(q): vals[int(math.floor(q * (len(vals) - 1)))] for q in QUANTILES}
    d = {"key": key, "by_status": dict(by_status), "fivexx": sum(n for s, n in by_status.items() if s[0] == "5"),
         "quantiles": quant, "distinct": len(clients), "clients": dict(clients),
         "top10": sorted(clients.values(), reverse=True)[:10]}
    with open(cache, "w") as f:
        json.dump(d, f)
    return d


def check_window_values(samples, exact):
    """Problems (strings) between the window gauges of one --once output and the exact values."""
    problems = []

    def series(name):
        return {k[1]: v for k, v in samples.items() if k[0] == name}

    got = {dict(l)["status"]: v for l, v in series("http_requests_5m").items()}
    if got != {s: float(n) for s, n in exact["by_status"].items()}:
        problems.append("http_requests_5m differs from the exact counts by status")
    rate = series("http_5xx_rate_5m").get(frozenset())
    if rate is None or not math.isclose(rate, exact["fivexx"] / OVER_S, rel_tol=1e-9):
        problems.append("http_5xx_rate_5m %r, exact %r" % (rate, exact["fivexx"] / OVER_S))
    q = series("http_latency_5m")
    worst = 0.0
    for method, qs in exact["quantiles"].items():
        for qq, want in qs.items():
            v = q.get(frozenset({("method", method), ("quantile", qq)}))
            if v is None:
                problems.append("http_latency_5m{method=%s,quantile=%s} missing" % (method, qq))
                continue
            err = abs(v - want) / want if want else abs(v)
            worst = max(worst, err)
    if len(q) != len(exact["quantiles"]) * len(QUANTILES):
        problems.append("http_latency_5m has %d series, expected %d"
                        % (len(q), len(exact["quantiles"]) * len(QUANTILES)))
    if worst > 0.01:
        problems.append("http_latency_5m: relative error %.3g > 1%%" % worst)
    top = {dict(l)["client"]: v for l, v in series("top_clients_5m").items()}
    if sorted(top.values(), reverse=True) != [float(v) for v in exact["top10"]] or \
            any(exact["clients"].get(c) != v for c, v in top.items()):
        problems.append("top_clients_5m %s, exact top 10 counts %s" % (sorted(top.values(), reverse=True),
                                                                        exact["top10"]))
    distinct = series("unique_clients_5m").get(frozenset())
    bound = 0 if exact["distinct"] <= 1024 else 0.02 * exact["distinct"]
    if distinct is None or abs(distinct - exact["distinct"]) > bound:
        problems.append("unique_clients_5m %r, exact %d" % (distinct, exact["distinct"]))
    return problems, worst


# ----------------------------------------------------------------------------- 1. cost

FLOOR_EDITS = [  # bench/re2_floor.cpp -> the same loop on the regex with the client capture
    ('R"re(^\\S+ ', 'R"re(^(?P<client>\\S+) '),
    ("NumberOfCapturingGroups() != 4", "NumberOfCapturingGroups() != 5"),
    ("re2::StringPiece groups[5];", "re2::StringPiece groups[6];"),
    ("groups, 5)", "groups, 6)"),
]


def build_floors(work):
    """bench/re2_floor.cpp as it is (the 4 captures of access.yaml) and with the client
    capture (5), compiled as rules_bench.py does; None when g++ or RE2's headers are missing."""
    src = os.path.join(HERE, "re2_floor.cpp")
    with open(src) as f:
        text = f.read()
    for old, new in FLOOR_EDITS:
        if text.count(old) != 1:
            log("bench/re2_floor.cpp changed (%r not found once): no RE2 floor reference" % old)
            return None
        text = text.replace(old, new)
    src5 = os.path.join(work, "windows-re2_floor_client.cpp")
    with open(src5, "w") as f:
        f.write(text)
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "re2"], check=True, capture_output=True,
                               text=True).stdout.split()
        exes = []
        for s, name in ((src, "windows-re2_floor4"), (src5, "windows-re2_floor5")):
            exe = os.path.join(work, name)
            subprocess.run(["g++", "-O2", "-std=c++20", s] + flags + ["-o", exe], check=True, capture_output=True)
            exes.append(exe)
        return exes
    except (OSError, subprocess.CalledProcessError) as e:
        log("no RE2 floor reference (g++ / pkg-config re2: %s)" % e)
        return None


def run_timed(cmd, out_path, work):
    """cmd under /usr/bin/time: wall (monotonic), cpu (user+sys), rss_kb, rc."""
    tf = os.path.join(work, "windows-time.out")
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
        t0 = time.monotonic()
        rc = subprocess.run(["/usr/bin/time", "-o", tf, "-f", "%e %U %S %M"] + cmd, stdout=out, stderr=err).returncode
        wall = time.monotonic() - t0
    with open(tf) as f:
        last = [ln for ln in f.read().splitlines() if ln.strip()][-1].split()
    return {"wall": wall, "cpu": float(last[1]) + float(last[2]), "rss_kb": int(last[3]), "rc": rc}


def cost_variants(drop_one):
    """(label, client capture, windows) of section 1; the first is the reference."""
    variants = [
        ("access.yaml + client capture, no windows", True, []),
        ("access.yaml + client capture + 5 windows", True, WINDOWS),
        ("access.yaml as it is (no client capture)", False, []),
    ]
    if drop_one:
        for name, _ in WINDOWS:
            variants.append(("5 windows minus %s" % name, True, [w for w in WINDOWS if w[0] != name]))
        for w in WINDOWS:
            variants.append(("%s alone" % w[0], True, [w]))
    return variants


def instructions(args, work, binary):
    """Each configuration of section 1 once under valgrind --tool=callgrind on the 200,000-line
    workload: instructions executed, which the load of the machine does not change (cache
    misses and stalls are not in it)."""
    log_path, _, st = ensure_workload(work, 200_000)
    lines = st["valid"] + st["malformed"]
    d = os.path.join(work, "windows-instructions")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    out = []
    for i, (label, cap, wins) in enumerate(cost_variants(args.drop_one)):
        cfg = access_config(os.path.join(d, "v%d.yaml" % i), os.path.join(d, "state"), log_path, cap, wins)
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + os.path.join(d, "cg.out"),
                            binary, "-c", cfg, "--once", "--threads", "1", log_path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        m = re.search(r"Collected : (\d+)", r.stderr)
        if r.returncode != 0 or not m:
            log("  valgrind failed on %s (rc %d): %s" % (label, r.returncode, r.stderr[-500:]))
            return None
        out.append((label, int(m.group(1))))
        log("  %-48s %s instructions, %s per line" % (label, fmt_int(int(m.group(1))),
                                                        fmt_int(int(m.group(1)) / lines)))
    shutil.rmtree(d, ignore_errors=True)
    return {"lines": lines, "rows": out}


def print_instructions(ins):
    rows = ins["rows"]
    base = rows[0][1]
    log()
    log("=== 1b. instructions executed (valgrind --tool=callgrind, %s lines, one run each; independent of the "
        "machine's load, but blind to cache misses)" % fmt_int(ins["lines"]))
    log("| rules | instructions per line | vs no windows | added per line |")
    log("| --- | ---: | ---: | ---: |")
    for label, n in rows:
        log("| %s | %s | %.3f | %+d |" % (label, fmt_int(n / ins["lines"]), n / base, round((n - base) / ins["lines"])))


def cost(args, work, binary, log_path, stats_path, st, exact, floors):
    lines = st["valid"] + st["malformed"]
    d = os.path.join(work, "windows-cost")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    state = os.path.join(d, "state")
    variants = cost_variants(args.drop_one)
    cmds = []
    for i, (label, cap, wins) in enumerate(variants):
        cfg = access_config(os.path.join(d, "v%d.yaml" % i), state, log_path, cap, wins)
        cmds.append((label, [binary, "-c", cfg, "--once", "--threads", "1", log_path], bool(wins)))
    if floors:
        cmds.append((FLOOR4, [floors[0], log_path], None))
        cmds.append((FLOOR5, [floors[1], log_path], None))
    res = {label: [] for label, _, _ in cmds}
    outputs = {}
    log("warm-up run of each configuration ...")
    for label, cmd, _ in cmds:
        run_timed(cmd, os.path.join(d, "warm.prom"), work)
    problems = []
    for r in range(args.runs):
        log("round %d/%d (load %s)" % (r + 1, args.runs, loadavg()))
        order = cmds if r % 2 == 0 else cmds[:2][::-1] + cmds[2:]  # alternate which of the pair goes first
        for label, cmd, has_windows in order:
            out = os.path.join(d, "out-%d-%d.prom" % ([c[0] for c in cmds].index(label), r))
            t = run_timed(cmd, out, work)
            if has_windows is None:  # an RE2 floor: "lines N", "matches N", "lines_per_s X"
                with open(out) as f:
                    kv = dict(ln.split() for ln in f.read().splitlines() if ln.strip())
                t["inner_lines_per_s"] = float(kv["lines_per_s"])
                t["counts_ok"] = t["rc"] == 0 and int(kv["lines"]) == lines and int(kv["matches"]) == st["valid"]
                if not t["counts_ok"]:
                    problems.append("%s: rc %d, lines %s, matches %s" % (label, t["rc"], kv.get("lines"),
                                                                       kv.get("matches")))
                res[label].append(t)
                log("  %-48s wall %6.3f s  cpu %6.2f s  inner %s lines/s  %s"
                    % (label, t["wall"], t["cpu"], fmt_int(t["inner_lines_per_s"]),
                       "ok" if t["counts_ok"] else "WRONG"))
                continue
            with open(out) as f:
                samples = parse_prom(f.read())
            chk = subprocess.run([sys.executable, os.path.join(WORKLOAD, "check_counts.py"), stats_path, out],
                                 capture_output=True, text=True)
            result = ([ln for ln in chk.stdout.splitlines() if ln.startswith("RESULT")] or ["no RESULT"])[-1]
            t["check_counts"] = result
            t["counts_ok"] = chk.returncode == 0 and t["rc"] == 0
            lr = samples.get(("logpulse_lines_read_total", frozenset({("source", "access")})))
            if lr != lines:
                problems.append("%s: logpulse_lines_read_total %r, expected %d" % (label, lr, lines))
            note = ""
            if label == cmds[1][0]:
                wp, worst = check_window_values(samples, exact)
                t["quantile_worst_rel_err"] = worst
                for p in wp:
                    problems.append("%s round %d: %s" % (label, r + 1, p))
                note = "; windows %s (quantile worst rel. error %.2f%%)" % ("ok" if not wp else "WRONG",
                                                                            worst * 100)
            outputs.setdefault(label, without_windows(samples))
            if without_windows(samples) != outputs[label]:
                problems.append("%s: output differs between runs" % label)
            res[label].append(t)
            log("  %-48s wall %6.3f s  cpu %6.2f s  rss %5.1f MiB  %s%s"
                % (label, t["wall"], t["cpu"], t["rss_kb"] / 1024, result, note))
            if not t["counts_ok"]:
                problems.append("%s round %d: rc %d, %s" % (label, r + 1, t["rc"], result))
    # counter totals equal with and without windows (same rule)
    a, b = outputs[cmds[0][0]], outputs[cmds[1][0]]
    if a != b:
        diff = sorted(set(a) ^ set(b)) + sorted(k for k in set(a) & set(b) if a[k] != b[k])
        problems.append("non-window series differ with and without windows: %s" % diff[:5])
    with open(os.path.join(d, "out-1-0.prom")) as f:
        per = collections.Counter(k[0] for k in parse_prom(f.read()) if k[0] in WINDOW_NAMES)
    summary = {}
    for label, _, _ in cmds:
        rs = res[label]
        w = statistics.median(x["wall"] for x in rs)
        summary[label] = {"wall": w, "wall_min": min(x["wall"] for x in rs), "wall_max": max(x["wall"] for x in rs),
                          "cpu": statistics.median(x["cpu"] for x in rs),
                          "rss_mib": statistics.median(x["rss_kb"] for x in rs) / 1024,
                          "lines_per_s": lines / w, "ok": all(x["counts_ok"] for x in rs)}
        if "inner_lines_per_s" in rs[0]:
            summary[label]["inner_lines_per_s"] = statistics.median(x["inner_lines_per_s"] for x in rs)
    # the pair of each round ran back to back: their ratio is less exposed to the load of the
    # moment than a ratio of medians taken over the whole section
    pairs = {k: sorted(w[k] / b[k] for b, w in zip(res[cmds[0][0]], res[cmds[1][0]])) for k in ("wall", "cpu")}
    return {"summary": summary, "labels": [c[0] for c in cmds], "series": dict(per), "pairs": pairs,
            "counters_equal": a == b, "problems": problems, "lines": lines,
            "non_window_series": len(a), "runs": res}


def print_cost(c, runs):
    s, labels = c["summary"], c["labels"]
    base, win, orig = labels[0], labels[1], labels[2]
    log()
    log("=== 1. cost of windows: logpulse --once --threads 1, %s lines, median of %d interleaved runs "
        "(wall: monotonic clock; CPU user+sys and peak RSS: /usr/bin/time)" % (fmt_int(c["lines"]), runs))
    log("The rule has no `timestamp:` (examples/access.yaml has none): every line goes to the wall-clock "
        "bucket it arrives in, so each window holds all the lines at the end.")
    log("| rules | lines/s | wall s (min-max) | CPU s | peak RSS MiB | vs no windows | check |")
    log("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for label in labels:
        x = s[label]
        if label in (FLOOR4, FLOOR5):
            continue
        log("| %s | %s | %.3f (%.3f-%.3f) | %.2f | %.1f | %.3f | %s |"
            % (label, fmt_int(x["lines_per_s"]), x["wall"], x["wall_min"], x["wall_max"], x["cpu"], x["rss_mib"],
               x["wall"] / s[base]["wall"], "ok" if x["ok"] else "FAILED"))
    slow = s[win]["wall"] / s[base]["wall"] - 1
    slow_cpu = s[win]["cpu"] / s[base]["cpu"] - 1
    log()
    log("slowdown with the 5 windows: wall %+.1f%%, CPU %+.1f%% (lines/s %s -> %s; goal: at most 20%% slower)"
        % (slow * 100, slow_cpu * 100, fmt_int(s[base]["lines_per_s"]), fmt_int(s[win]["lines_per_s"])))
    pw, pc = c["pairs"]["wall"], c["pairs"]["cpu"]
    log("the same, per round (windows / no windows, run back to back), median and range: wall %+.1f%% (%+.1f%% .. "
        "%+.1f%%), CPU %+.1f%% (%+.1f%% .. %+.1f%%); best of each (min wall): %+.1f%%"
        % ((statistics.median(pw) - 1) * 100, (pw[0] - 1) * 100, (pw[-1] - 1) * 100,
           (statistics.median(pc) - 1) * 100, (pc[0] - 1) * 100, (pc[-1] - 1) * 100,
           (s[win]["wall_min"] / s[base]["wall_min"] - 1) * 100))
    log("client capture alone (access.yaml as it is -> + client capture): wall %+.1f%%"
        % ((s[base]["wall"] / s[orig]["wall"] - 1) * 100))
    per_line = (s[win]["cpu"] - s[base]["cpu"]) / c["lines"] * 1e9
    log("extra CPU per line for the 5 windows: %.0f ns" % per_line)
    if FLOOR4 in s:
        f4, f5 = s[FLOOR4]["inner_lines_per_s"], s[FLOOR5]["inner_lines_per_s"]
        log("bare RE2 loop (bench/re2_floor.cpp, one core, lines/s inside the process): access.yaml's regex "
            "with its 4 captures %s, with the client capture (5) %s: %.2fx slower. RE2's one-pass matcher "
            "serves at most $0..$4 (Prog::kMaxOnePassCapture = 5); a 5th capture sends every line to "
            "BitState. logpulse 1 thread / RE2 floor: %.2f (4 captures), %.2f (5 captures, no windows)"
            % (fmt_int(f4), fmt_int(f5), f4 / f5, s[orig]["lines_per_s"] / s[FLOOR4]["lines_per_s"],
               s[base]["lines_per_s"] / s[FLOOR5]["lines_per_s"]))
    log("window series in the output: %s" % ", ".join("%s %d" % kv for kv in sorted(c["series"].items())))
    log("non-window series (rule metrics and self-metrics, %d) equal with and without windows: %s"
        % (c["non_window_series"], "yes" if c["counters_equal"] else "NO"))
    for p in c["problems"]:
        log("PROBLEM: %s" % p)
    if not c["problems"]:
        log("every run: check_counts.py matches, window values equal the exact ones (quantiles within 1%)")


# ----------------------------------------------------------------------------- 2. latency

AM_YML = 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n'

LATENCY_CFG = """listen: ["127.0.0.1:%(port)d"]
state_dir: %(state)s
%(eval)salertmanager:
  url: http://127.0.0.1:%(am_port)d
sources:
  - name: marker
    paths: ["%(log)s"]
    start_at: end
rules:
  - name: marker
    source: marker
    match: '^(?P<kind>\\S+) trial=(?P<trial>\\S+)$'
    metrics:
      - {name: marker_lines_total, type: counter, help: "Marker lines."}
windows:
  - {name: marker_10s, rule: marker, where: {kind: MARKER}, over: 10s, agg: count, by: [trial]}
alerts:
  - name: BenchMarker
    expr: marker_10s > 0
    for: 0s
    labels: {severity: bench}
    annotations: {summary: "marker {{ $labels.trial }}"}
"""


def start_alertmanager(args, d):
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    cfg = os.path.join(d, "alertmanager.yml")
    with open(cfg, "w") as f:
        f.write(AM_YML)
    port = free_port()
    out = os.path.join(d, "alertmanager.log")
    proc = spawn([args.alertmanager, "--config.file=" + cfg, "--storage.path=" + os.path.join(d, "data"),
                  "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=", "--log.level=warn"], out)
    conn = Http(port)
    wait_ready(proc, conn, out, "alertmanager")
    return proc, port, conn


def poll_until(conn, trial, alive, timeout=15.0, period=0.010):
    """GET /api/v2/alerts?filter=trial="X" every `period` until it lists an alert; returns
    (monotonic time the listing response arrived or None, the alert, polls, round trips)."""
    q = "/api/v2/alerts?" + urllib.parse.urlencode({"filter": 'trial="%s"' % trial})
    t_end = time.monotonic() + timeout
    rtts, polls = [], 0
    while True:
        t1 = time.monotonic()
        st, body = conn.get(q)
        t2 = time.monotonic()
        polls += 1
        rtts.append(t2 - t1)
        if st != 200:
            raise RuntimeError("alertmanager GET %s -> %d %r" % (q, st, body[:200]))
        alerts = json.loads(body)
        if alerts:
            return t2, alerts[0], polls, rtts
        if t2 > t_end:
            return None, None, polls, rtts
        alive()
        nxt = t1 + period
        while time.monotonic() < nxt:
            time.sleep(max(0.0, nxt - time.monotonic()))


def parse_rfc3339(text):
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    from datetime import datetime
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(m.group(1) + zone).timestamp() + (float("0." + m.group(2)) if m.group(2) else 0)


def latency_run(args, work, binary, am_port, am_conn, am_proc, interval, tag):
    """One daemon with evaluation_interval `interval` (None: the default); N trials."""
    d = tempfile.mkdtemp(prefix="windows-latency-", dir=work)
    log_path = os.path.join(d, "marker.log")
    open(log_path, "w").close()
    port = free_port()
    cfg = os.path.join(d, "config.yaml")
    with open(cfg, "w") as f:
        f.write(LATENCY_CFG % {"port": port, "state": os.path.join(d, "state"), "am_port": am_port, "log": log_path,
                               "eval": ("evaluation_interval: %s\n" % interval) if interval else ""})
    out = os.path.join(d, "logpulse.log")
    proc = spawn([binary, "-c", cfg], out)
    trials = []
    rtts = []
    try:
        conn = Http(port)
        wait_ready(proc, conn, out)
        conn.close()

        def alive():
            if proc.poll() is not None:
                raise RuntimeError("logpulse exited with %s\n%s" % (proc.returncode, tail(out)))
            if am_proc.poll() is not None:
                raise RuntimeError("alertmanager exited with %s" % am_proc.returncode)

        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
        rnd = random.Random(tag)
        try:
            for i in range(args.trials + 1):  # trial 0: warm-up (connections, first evaluation), not counted
                time.sleep(rnd.uniform(0.1, 1.1))
                trial = "%s-%d" % (tag, i)
                line = ("MARKER trial=%s\n" % trial).encode()
                wall0 = time.time()
                t0 = time.monotonic()
                os.write(fd, line)
                seen, alert, polls, rt = poll_until(am_conn, trial, alive)
                rtts += rt
                if i == 0:
                    continue
                r = {"trial": trial, "ms": (seen - t0) * 1000 if seen else None, "polls": polls}
                if alert:
                    r["fired_ms"] = (parse_rfc3339(alert["startsAt"]) - wall0) * 1000
                trials.append(r)
        finally:
            os.close(fd)
    finally:
        stop(proc)
    shutil.rmtree(d, ignore_errors=True)
    return {"interval": interval or "1s (default)", "trials": trials, "rtts": rtts}


def direct_reference(args, am_conn, am_proc):
    """An alert POSTed straight to Alertmanager, then the same poll: the floor."""
    out = []
    rnd = random.Random(7)

    def alive():
        if am_proc.poll() is not None:
            raise RuntimeError("alertmanager exited with %s" % am_proc.returncode)
    for i in range(args.trials + 1):
        time.sleep(rnd.uniform(0.05, 0.3))
        trial = "direct-%d" % i
        now = time.time()
        body = json.dumps([{"labels": {"alertname": "BenchDirect", "trial": trial},
                            "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 1)),
                            "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60))}]).encode()
        t0 = time.monotonic()
        st, resp = am_conn.request("POST", "/api/v2/alerts", body=body, headers={"Content-Type": "application/json"})
        if st != 200:
            raise RuntimeError("alertmanager POST -> %d %r" % (st, resp[:200]))
        seen, _, polls, _ = poll_until(am_conn, trial, alive)
        if i:
            out.append({"ms": (seen - t0) * 1000 if seen else None, "polls": polls})
    return out


def latency(args, work, binary):
    d = tempfile.mkdtemp(prefix="windows-alertmanager-", dir=work)
    am_proc = None
    try:
        am_proc, am_port, am_conn = start_alertmanager(args, d)
        log("alertmanager: %s on 127.0.0.1:%d" % (subprocess.run([args.alertmanager, "--version"], capture_output=True,
                                                                   text=True).stdout.splitlines()[0], am_port))
        runs = []
        for interval, tag in ((None, "default"), ("100ms", "100ms")):
            log("alert latency, evaluation_interval %s: %d trials (load %s)"
                % (interval or "1s (default)", args.trials, loadavg()))
            r = latency_run(args, work, binary, am_port, am_conn, am_proc, interval, tag)
            ms = sorted(t["ms"] for t in r["trials"] if t["ms"] is not None)
            log("  median %.0f ms, p99 %.0f ms, missed %d" % (statistics.median(ms) if ms else float("nan"),
                                                               pct(ms, 99), sum(t["ms"] is None for t in r["trials"])))
            runs.append(r)
        ref = direct_reference(args, am_conn, am_proc)
        return {"runs": runs, "direct": ref}
    finally:
        if am_proc:
            stop(am_proc)
        shutil.rmtree(d, ignore_errors=True)


def print_latency(lat):
    log()
    log("=== 2. latency: one marker line written -> the alert listed by Alertmanager's GET /api/v2/alerts "
        "(for: 0s, a 10s count window, by: [trial]; polled every ~10 ms; random pauses 0.1-1.1 s; "
        "nearest-rank percentiles)")
    log("The figure includes Alertmanager's own API latency and the ~10 ms poll period "
        "(see the direct-POST reference row).")
    log("| evaluation_interval | trials | median ms | p90 ms | p99 ms | max ms | goal | write -> startsAt "
        "median / max ms | polls per trial (median) |")
    log("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |")
    goals = {"1s (default)": "p99 < 1500 ms", "100ms": "p99 < 300 ms"}
    for r in lat["runs"]:
        ms = sorted(t["ms"] for t in r["trials"] if t["ms"] is not None)
        fired = sorted(t["fired_ms"] for t in r["trials"] if "fired_ms" in t)
        missed = sum(t["ms"] is None for t in r["trials"])
        if not ms:
            log("| %s | 0 (%d not seen in 15 s) | | | | | %s | | |" % (r["interval"], missed, goals[r["interval"]]))
            continue
        log("| %s | %d%s | %.0f | %.0f | %.0f | %.0f | %s | %.0f / %.0f | %.0f |"
            % (r["interval"], len(ms), (" (%d not seen in 15 s)" % missed) if missed else "",
               statistics.median(ms), pct(ms, 90), pct(ms, 99), ms[-1], goals[r["interval"]],
               statistics.median(fired), fired[-1], statistics.median(t["polls"] for t in r["trials"])))
    ref = sorted(t["ms"] for t in lat["direct"] if t["ms"] is not None)
    log("| reference: alert POSTed straight to Alertmanager, same poll | %d | %.1f | %.1f | %.1f | %.1f | | | %.0f |"
        % (len(ref), statistics.median(ref), pct(ref, 90), pct(ref, 99), ref[-1],
           statistics.median(t["polls"] for t in lat["direct"])))
    rt = sorted(x for r in lat["runs"] for x in r["rtts"])
    log("Alertmanager GET /api/v2/alerts?filter=... round trip (every poll): median %.2f ms, p99 %.2f ms, max %.1f ms"
        % (statistics.median(rt) * 1000, pct(rt, 99) * 1000, rt[-1] * 1000))
    log("write -> startsAt: the alert's startsAt (the evaluation that fired it, logpulse's wall clock, "
        "millisecond precision) minus the wall time of the write: ingestion plus the wait for the next "
        "evaluation tick.")


# ----------------------------------------------------------------------------- 3. memory

def follow_rss(binary, work, cfg_writer, total_lines, label, settle=2.0, timeout=600):
    """Start a daemon following from the beginning; once logpulse_lines_read_total reaches
    total_lines, read VmRSS, wait `settle` seconds (window reads happen every tick), read
    VmRSS and VmHWM again."""
    d = tempfile.mkdtemp(prefix="windows-rss-", dir=work)
    port = free_port()
    cfg = cfg_writer(d, port)
    out = os.path.join(d, "logpulse.log")
    proc = spawn([binary, "-c", cfg], out)
    try:
        conn = Http(port, timeout=30)
        wait_ready(proc, conn, out)
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                raise RuntimeError("logpulse exited with %s\n%s" % (proc.returncode, tail(out)))
            n = lines_read(conn)
            if n >= total_lines:
                break
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("%s: lines read %d < %d after %d s" % (label, n, total_lines, timeout))
            time.sleep(0.1)
        elapsed = time.monotonic() - t0
        rss_at = proc_status_kb(proc.pid, "VmRSS")
        time.sleep(settle)
        st, body = conn.get("/metrics")
        samples = parse_prom(body.decode())
        conn.close()
        r = {"label": label, "rss_at_kb": rss_at, "rss_kb": proc_status_kb(proc.pid, "VmRSS"),
             "hwm_kb": proc_status_kb(proc.pid, "VmHWM"), "seconds": elapsed,
             "series": dict(collections.Counter(k[0] for k in samples if k[0] in WINDOW_NAMES
                                                or k[0].startswith("clients_"))),
             "samples": {"%s%s" % (k[0], dict(k[1]) if k[1] else ""): v for k, v in samples.items()
                         if k[0] in ("unique_clients_5m", "clients_distinct_5m")
                         or k[0] == "logpulse_series_dropped_total"}}
    finally:
        stop(proc)
    shutil.rmtree(d, ignore_errors=True)
    log("  %-55s VmRSS %6.1f MiB at the last line, %6.1f MiB %.0f s later, VmHWM %6.1f MiB (%.1f s to read)"
        % (label, rss_at / 1024, r["rss_kb"] / 1024, settle, r["hwm_kb"] / 1024, elapsed))
    return r


N_CLIENTS = 100_000

CLIENTS_CFG = """listen: ["127.0.0.1:%(port)d"]
state_dir: %(state)s
sources:
  - name: app
    paths: ["%(log)s"]
    start_at: beginning
rules:
  - name: req
    source: app
    match: '^(?P<method>[A-Z]+) (?P<status>\\d{3}) (?P<ms>[0-9.]+) (?P<client>\\S+)$'
    metrics:
      - {name: requests_total, type: counter, help: "Requests by status.", labels: [status]}
%(windows)s"""

CLIENT_WINDOWS = {
    "topk": "  - {name: clients_top_5m, rule: req, over: 5m, agg: topk, k: 10, by: [client]}\n",
    "distinct": "  - {name: clients_distinct_5m, rule: req, over: 5m, agg: distinct, of: client}\n",
}


def ensure_clients_log(work, extra_lines):
    """Every one of 100,000 clients once (in a shuffled order), then `extra_lines` lines with
    clients drawn uniformly: "GET 200 12.5 10.1.134.7"."""
    path = os.path.join(work, "windows-clients_%d_%d.log" % (N_CLIENTS, extra_lines))
    if os.path.exists(path):
        return path, N_CLIENTS + extra_lines
    log("generating %s ..." % path)
    rnd = random.Random(1)
    clients = ["10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255) for i in range(N_CLIENTS)]
    order = list(range(N_CLIENTS))
    rnd.shuffle(order)
    statuses = ["200"] * 16 + ["404", "500", "302", "201"]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join("GET %s %.1f %s\n" % (statuses[i % 20], (i % 997) / 10, clients[i]) for i in order))
        done = 0
        while done < extra_lines:
            n = min(100_000, extra_lines - done)
            f.write("".join("GET %s %.1f %s\n" % (statuses[k % 20], (k % 997) / 10, clients[k])
                            for k in (rnd.randrange(N_CLIENTS) for _ in range(n))))
            done += n
    os.rename(tmp, path)
    return path, N_CLIENTS + extra_lines


def memory(args, work, binary, log_path, lines):
    res = {"workload": [], "clients": []}
    log("memory (a): following %s from the beginning (load %s)" % (os.path.basename(log_path), loadavg()))
    for label, wins in (("access.yaml + client capture, no windows", []),
                        ("access.yaml + client capture + 5 windows", WINDOWS)):
        def writer(d, port, wins=wins):
            return access_config(os.path.join(d, "config.yaml"), os.path.join(d, "state"), log_path, True, wins, port)
        res["workload"].append(follow_rss(binary, work, writer, lines, label))
    clients_log, clients_lines = ensure_clients_log(work, args.client_lines)
    res["clients_lines"] = clients_lines
    log("memory (b): following %s (%s lines, %s distinct clients) (load %s)"
        % (os.path.basename(clients_log), fmt_int(clients_lines), fmt_int(N_CLIENTS), loadavg()))
    for label, keys in (("no windows", []), ("topk k 10 by client", ["topk"]),
                        ("distinct of client (no by)", ["distinct"]), ("topk + distinct", ["topk", "distinct"])):
        def writer(d, port, keys=keys):
            cfg = os.path.join(d, "config.yaml")
            wins = "".join(CLIENT_WINDOWS[k] for k in keys)
            with open(cfg, "w") as f:
                f.write(CLIENTS_CFG % {"port": port, "state": os.path.join(d, "state"), "log": clients_log,
                                       "windows": ("windows:\n" + wins) if wins else ""})
            return cfg
        res["clients"].append(follow_rss(binary, work, writer, clients_lines, label))
    return res


def print_memory(m, lines):
    log()
    log("=== 3. memory: the daemon's VmRSS (/proc/PID/status) once logpulse_lines_read_total reached the line "
        "count, and 2 s later (window reads at every tick); VmHWM = peak")
    log("(a) the %s-line workload, followed with start_at: beginning (840 clients: below the topk table's "
        "1,024 entries and distinct's 1,024 exact values)" % fmt_int(lines))
    log("| daemon | VmRSS at the end, MiB | 2 s later | VmHWM | goal |")
    log("| --- | ---: | ---: | ---: | --- |")
    for r in m["workload"]:
        log("| %s | %.1f | %.1f | %.1f | %s |" % (r["label"], r["rss_at_kb"] / 1024, r["rss_kb"] / 1024,
                                                  r["hwm_kb"] / 1024, "< 30 MiB" if "windows" in r["label"]
                                                  and "no windows" not in r["label"] else ""))
    a0, a1 = m["workload"]
    log("the 5 windows add %.1f MiB (VmRSS 2 s after the end), %.1f MiB of peak"
        % ((a1["rss_kb"] - a0["rss_kb"]) / 1024, (a1["hwm_kb"] - a0["hwm_kb"]) / 1024))
    log()
    log("(b) %s distinct clients (each once, then at random; %s lines), followed with start_at: beginning"
        % (fmt_int(N_CLIENTS), fmt_int(m["clients_lines"])))
    log("| windows | VmRSS MiB | 2 s later | VmHWM | added over no windows (2 s later) | README bound |")
    log("| --- | ---: | ---: | ---: | ---: | --- |")
    base = m["clients"][0]["rss_kb"]
    bounds = {"no windows": "", "topk k 10 by client": "table C = max(32k, 1024) = 1,024 entries, ~700 KB",
              "distinct of client (no by)": "256 KiB per label set above 1,024 values (1 label set)",
              "topk + distinct": "~700 KB + 256 KiB"}
    for r in m["clients"]:
        log("| %s | %.1f | %.1f | %.1f | %+.2f MiB | %s |"
            % (r["label"], r["rss_at_kb"] / 1024, r["rss_kb"] / 1024, r["hwm_kb"] / 1024,
               (r["rss_kb"] - base) / 1024, bounds[r["label"]]))
    for r in m["clients"]:
        for k, v in sorted(r["samples"].items()):
            if k.startswith("clients_distinct") or (k.startswith("logpulse_series_dropped") and "clients" in k):
                log("  %s: %s = %s" % (r["label"], k, fmt_int(v)))


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200,000-line workload, 10 latency trials")
    ap.add_argument("--work", default=os.environ.get("WORK", "/tmp/logpulse-bench"))
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "logpulse"))
    ap.add_argument("--runs", type=int, default=5, help="timed --once runs of each configuration (default 5)")
    ap.add_argument("--trials", type=int, help="alert latency trials per evaluation_interval (30; --quick 10)")
    ap.add_argument("--lines", type=int, help="workload lines (2,000,000; --quick 200,000)")
    ap.add_argument("--client-lines", type=int, default=400_000,
                    help="memory (b): lines after the 100,000 distinct clients (default 400,000)")
    ap.add_argument("--drop-one", action="store_true",
                    help="section 1 also runs the 5 windows minus each one, and each window alone")
    ap.add_argument("--instructions", action="store_true",
                    help="section 1 also counts instructions under valgrind (callgrind) on 200,000 lines, "
                    "about 30 s per configuration")
    ap.add_argument("--alertmanager", default=os.environ.get("LOGPULSE_ALERTMANAGER_BIN",
                                                             "/usr/bin/prometheus-alertmanager"))
    ap.add_argument("--skip", action="append", default=[], choices=["cost", "latency", "memory"])
    args = ap.parse_args()
    args.lines = args.lines or (200_000 if args.quick else 2_000_000)
    args.trials = args.trials or (10 if args.quick else 30)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    if os.path.commonpath([work, REPO]) == REPO:
        sys.exit("--work must be outside the repository")

    binary = os.path.join(work, "windows-logpulse.bin")
    shutil.copy2(args.binary, binary)
    log("logpulse: %s (copied from %s, mtime %s)" % (binary, args.binary, time.ctime(os.path.getmtime(args.binary))))
    head = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %s"], capture_output=True,
                          text=True).stdout.strip()
    log("repo HEAD: %s" % head[:100])
    log("machine: %d CPUs, %s; load %s" % (os.cpu_count(), next(
        (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?"),
        loadavg()))
    log_path, stats_path, st = ensure_workload(work, args.lines)
    lines = st["valid"] + st["malformed"]
    with open(log_path, "rb") as f:  # warm the page cache
        while f.read(8 * MIB):
            pass
    t_start = time.monotonic()
    out = {}
    load = {"start": loadavg()}
    try:
        if "cost" not in args.skip:
            exact = exact_windows(work, log_path)
            floors = build_floors(work)
            out["cost"] = cost(args, work, binary, log_path, stats_path, st, exact, floors)
            load["cost"] = loadavg()
            if args.instructions:
                if shutil.which("valgrind"):
                    log("instructions under valgrind (load %s) ..." % loadavg())
                    out["instructions"] = instructions(args, work, binary)
                else:
                    log("--instructions: no valgrind; not run")
        if "latency" not in args.skip:
            if os.access(args.alertmanager, os.X_OK):
                out["latency"] = latency(args, work, binary)
                load["latency"] = loadavg()
            else:
                log("latency: %s not found (Debian package prometheus-alertmanager); not run" % args.alertmanager)
        if "memory" not in args.skip:
            out["memory"] = memory(args, work, binary, log_path, lines)
            load["memory"] = loadavg()
    finally:
        for p in list(_procs):
            stop(p)
    with open(os.path.join(work, "windows-results.json"), "w") as f:
        json.dump(out, f, indent=1, default=str)

    log()
    log("################ summary (%s; load average (1/5/15 min) at the start %s, now %s; %.0f s in all) "
        "################" % (time.strftime("%Y-%m-%d %H:%M"), load["start"], loadavg(), time.monotonic() - t_start))
    log("load average after each section: %s" % ", ".join("%s %s" % kv for kv in load.items() if kv[0] != "start"))
    if "cost" in out:
        print_cost(out["cost"], args.runs)
    if out.get("instructions"):
        print_instructions(out["instructions"])
    if "latency" in out:
        print_latency(out["latency"])
    if "memory" in out:
        print_memory(out["memory"], lines)
    log()
    log("raw results: %s" % os.path.join(work, "windows-results.json"))


if __name__ == "__main__":
    main()
