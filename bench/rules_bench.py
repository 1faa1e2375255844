#!/usr/bin/env python3
"""Rules/metrics benchmark for logpulse (issue 3, "Performance").

Measures and PRINTS (no pass/fail), all in one run on the same machine:

1. One-shot on the project's workload (tests/workload/gen_access_log.py, 2,000,000 lines,
   seed 1; --quick: 200,000):
   logpulse --once --threads 1 and --threads 2, mtail --one_shot, a bare RE2 loop
   (bench/re2_floor.cpp, compiled here), LC_ALL=C grep -cE and wc -l.  Each command gets
   an untimed warm-up, then N timed runs (--runs, default 3) interleaved round-robin; the
   table shows medians of wall time, CPU (user+sys) and peak RSS from /usr/bin/time, and
   the ratios of the issue's goals.  Every output is checked (check_counts.py for the
   exposition, the line/match counts for the floors).
2. Follow mode, only when the shared benchmark (../shared/bench) stands beside the
   checkout: its follow_bench.py with mtail (its default) and with logpulse (--cmd, through a small wrapper that writes a config for {log}/{port}), N runs
   each, side by side: time until all lines are counted, CPU, RSS, check, latency.
3. Scrape vs ingestion with ~100k series: a generated log whose id label takes 100,000
   values, followed while it is appended at full speed; ingestion lines/s without scraping,
   with back-to-back plain scrapes, with back-to-back gzip scrapes and with one plain scrape
   per second, plus scrape latency percentiles and the longest pause in ingestion progress.

Python 3 standard library, /usr/bin/time (Debian `time`), mtail (Debian `mtail`), g++ and
pkg-config re2.  Data goes to --work (default $WORK, else /tmp/logpulse-bench), never into
the repository.  Every daemon is stopped by its PID in a finally block.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKLOAD = os.path.join(REPO, "tests", "workload")
MTAIL_PROG = os.path.join(HERE, "access.mtail")
# Optional: the shared benchmark beside the checkout, for section 2 only.
SHARED = os.environ.get("LOGPULSE_SHARED_BENCH") or os.path.join(os.path.dirname(REPO), "shared", "bench")
if not os.path.isfile(os.path.join(SHARED, "follow_bench.py")):
    SHARED = None
MIB = 1024 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")

ERE = (r'^[^ ]+ [^ ]+ [^ ]+ \[[^]]+\] "[A-Z]+ [^ ]+ HTTP/[0-9]\.[0-9]" [0-9]{3} ([0-9]+|-) '
       r'"[^"]*" "[^"]*" [0-9]+(\.[0-9]+)?$')

_daemons = []


def log(msg=""):
    print(msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmHWM:"):
                return int(ln.split()[1])
    return 0


def rchar(pid):
    with open("/proc/%d/io" % pid) as f:
        for ln in f:
            if ln.startswith("rchar:"):
                return int(ln.split()[1])
    return 0


def pct(sorted_vals, p):
    """nearest-rank percentile of a sorted list"""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def stop(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc in _daemons:
        _daemons.remove(proc)


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


def build_floor(work):
    exe = os.path.join(work, "rules-re2_floor")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "re2"], check=True, capture_output=True,
                           text=True).stdout.split()
    subprocess.run(["g++", "-O2", "-std=c++20", os.path.join(HERE, "re2_floor.cpp")] + flags + ["-o", exe],
                   check=True)
    return exe


# ----------------------------------------------------------------------------- 1. one-shot

def run_timed(cmd, out_path, work, env=None):
    """Run cmd under /usr/bin/time; return dict wall (monotonic), time_wall (%e), cpu, rss_kb, rc."""
    tf = os.path.join(work, "rules-time.out")
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
        t0 = time.monotonic()
        rc = subprocess.run(["/usr/bin/time", "-o", tf, "-f", "%e %U %S %M"] + cmd, stdout=out, stderr=err,
                            env=env).returncode
        wall = time.monotonic() - t0
    with open(tf) as f:
        last = [ln for ln in f.read().splitlines() if ln.strip()][-1].split()
    e, u, s, m = float(last[0]), float(last[1]), float(last[2]), int(last[3])
    return {"wall": wall, "time_wall": e, "cpu": u + s, "rss_kb": m, "rc": rc}


def check_prom(stats_path, prom_path, mtail=False):
    """tests/workload/check_counts.py; for mtail, with its known zero-observation deviation."""
    r = subprocess.run([sys.executable, os.path.join(WORKLOAD, "check_counts.py"), stats_path, prom_path]
                       + (["--zero-outside-buckets"] if mtail else []), capture_output=True, text=True)
    lines = r.stdout.strip().splitlines()
    res = [ln for ln in lines if ln.startswith("RESULT")]
    return (res[-1] if res else "no RESULT line (rc %d)" % r.returncode), r.returncode == 0


def oneshot(args, work, binary, floor, log_path, stats_path, st):
    lines = st["valid"] + st["malformed"]
    cfg = os.path.join(REPO, "examples", "access.yaml")
    mtail_port = free_port()
    tools = [
        ("logpulse --threads 1", [binary, "-c", cfg, "--once", "--threads", "1", log_path], None, "prom"),
        ("logpulse --threads 2", [binary, "-c", cfg, "--once", "--threads", "2", log_path], None, "prom"),
        ("mtail --one_shot", ["mtail", "--one_shot", "--one_shot_format", "prometheus", "--address", "127.0.0.1",
                              "--port", str(mtail_port), "--progs", MTAIL_PROG,
                              "--logs", log_path, "--logtostderr"], None, "prom"),
        ("RE2 floor (1 core)", [floor, log_path], None, "re2"),
        ("LC_ALL=C grep -cE", ["grep", "-cE", ERE, log_path], dict(os.environ, LC_ALL="C"), "grep"),
        ("wc -l", ["wc", "-l", log_path], None, "wc"),
    ]
    res = {t[0]: [] for t in tools}
    checks = {t[0]: [] for t in tools}
    inner = []  # RE2 floor's own lines/s

    def check(name, kind, out):
        if kind == "prom":
            msg, ok = check_prom(stats_path, out, mtail=name.startswith("mtail"))
        else:
            with open(out) as f:
                text = f.read()
            if kind == "re2":
                kv = dict(ln.split() for ln in text.splitlines() if ln.strip())
                ok = int(kv["lines"]) == lines and int(kv["matches"]) == st["valid"]
                msg = "lines %s matches %s" % (kv["lines"], kv["matches"])
                inner.append(float(kv["lines_per_s"]))
            elif kind == "grep":
                ok = int(text.split()[0]) == st["valid"]
                msg = "count %s" % text.split()[0]
            else:
                ok = int(text.split()[0]) == lines
                msg = "count %s" % text.split()[0]
            msg = ("ok " if ok else "WRONG ") + msg
        checks[name].append((ok, msg))

    log("warm-up run of each command ...")
    for name, cmd, env, kind in tools:
        out = os.path.join(work, "rules-out-warm")
        run_timed(cmd, out, work, env)
    for i in range(args.runs):
        log("round %d/%d (load %s)" % (i + 1, args.runs, loadavg()))
        for name, cmd, env, kind in tools:
            out = os.path.join(work, "rules-out-%s-%d" % (name.split()[0].replace("=", ""), i))
            r = run_timed(cmd, out, work, env)
            res[name].append(r)
            check(name, kind, out)
            log("  %-22s wall %7.3f s (time %%e %7.2f)  cpu %7.2f s  rss %7.1f MiB  rc %d  %s"
                % (name, r["wall"], r["time_wall"], r["cpu"], r["rss_kb"] / 1024, r["rc"], checks[name][-1][1]))
            if abs(r["wall"] - r["time_wall"]) > max(0.05, 0.05 * r["wall"]):
                log("  NOTE: /usr/bin/time's wall (%.2f s) disagrees with the monotonic clock (%.2f s): "
                    "the wall clock stepped; the monotonic figure is used" % (r["time_wall"], r["wall"]))

    summary = {}
    for name, *_ in tools:
        rs = res[name]
        w = statistics.median(r["wall"] for r in rs)
        summary[name] = {
            "wall": w, "wall_min": min(r["wall"] for r in rs), "wall_max": max(r["wall"] for r in rs),
            "cpu": statistics.median(r["cpu"] for r in rs),
            "rss_mib": statistics.median(r["rss_kb"] for r in rs) / 1024,
            "lines_per_s": lines / w,
            "checks_ok": all(ok for ok, _ in checks[name]),
            "check": checks[name][-1][1],
        }
    summary["_re2_inner_lines_per_s"] = statistics.median(inner) if inner else None
    return summary, lines


def print_oneshot(summary, lines, runs):
    log()
    log("=== 1. one-shot, %d lines, median of %d (wall: monotonic clock; CPU user+sys and peak RSS: "
        "/usr/bin/time)" % (lines, runs))
    log("| command | lines/s | wall s (min-max) | CPU s | peak RSS MiB | check (every run) |")
    log("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, s in summary.items():
        if name.startswith("_"):
            continue
        log("| %s | %s | %.3f (%.3f-%.3f) | %.2f | %.1f | %s%s |"
            % (name, "{:,.0f}".format(s["lines_per_s"]), s["wall"], s["wall_min"], s["wall_max"], s["cpu"],
               s["rss_mib"], s["check"], "" if s["checks_ok"] else " (SOME RUN FAILED)"))
    floor = summary["RE2 floor (1 core)"]["lines_per_s"]
    lp1 = summary["logpulse --threads 1"]["lines_per_s"]
    lp2 = summary["logpulse --threads 2"]["lines_per_s"]
    mt = summary["mtail --one_shot"]["lines_per_s"]
    log()
    log("RE2 floor measured inside the process (excl. start-up and regex compile): %s lines/s"
        % "{:,.0f}".format(summary["_re2_inner_lines_per_s"] or 0))
    log("| ratio | value | goal |")
    log("| --- | ---: | --- |")
    log("| logpulse 1 thread / RE2 floor | %.2f | >= 0.75 |" % (lp1 / floor))
    log("| logpulse 2 threads / RE2 floor (1 core) | %.2f | >= 1.4 |" % (lp2 / floor))
    log("| logpulse 1 thread / mtail | %.1f | |" % (lp1 / mt))
    log("| logpulse 2 threads / mtail | %.1f | |" % (lp2 / mt))
    log("| mtail / RE2 floor | %.3f | (issue: about 1/10) |" % (mt / floor))
    log("| logpulse 1 thread CPU / RE2 floor CPU | %.2f | |"
        % (summary["logpulse --threads 1"]["cpu"] / summary["RE2 floor (1 core)"]["cpu"]))
    log("| logpulse 2 threads CPU / 1 thread CPU | %.2f | |"
        % (summary["logpulse --threads 2"]["cpu"] / summary["logpulse --threads 1"]["cpu"]))


# ----------------------------------------------------------------------------- 2. follow

WRAPPER = r"""#!/bin/sh
# rules_bench.py follow wrapper: BIN LOG PORT -> config for LOG/PORT, then exec logpulse.
set -e
d=$(mktemp -d "%(work)s/rules-follow-state.XXXXXX")
cat > "$d/config.yaml" <<EOC
listen: ["127.0.0.1:$3"]
state_dir: $d/state
sources:
  - name: access
    paths: ["$2"]
    start_at: beginning
EOC
sed -n '/^rules:/,$p' "%(rules)s" >> "$d/config.yaml"
exec "$1" -c "$d/config.yaml"
"""


def follow(args, work, binary, log_path, stats_path):
    wrapper = os.path.join(work, "rules-logpulse-follow.sh")
    with open(wrapper, "w") as f:
        f.write(WRAPPER % {"work": work, "rules": os.path.join(REPO, "examples", "access.yaml")})
    os.chmod(wrapper, 0o755)
    results = {"mtail": [], "logpulse": []}
    for i in range(args.follow_runs):
        for tool in ("mtail", "logpulse"):
            wd = os.path.join(work, "rules-follow-%s-%d" % (tool, i))
            shutil.rmtree(wd, ignore_errors=True)
            out = os.path.join(work, "rules-follow-%s-%d.json" % (tool, i))
            cmd = [sys.executable, os.path.join(SHARED, "follow_bench.py"), "--source", log_path, "--stats",
                   stats_path, "--workdir", wd, "--tries", str(args.tries), "--out", out]
            if tool == "mtail":
                cmd += ["--progs", MTAIL_PROG]
            else:
                cmd += ["--cmd", "%s %s {log} {port}" % (wrapper, binary)]
            log("follow run %d/%d: %s (load %s)" % (i + 1, args.follow_runs, tool, loadavg()))
            rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if not os.path.exists(out):
                log("  follow_bench.py failed (rc %d): %s" % (rc.returncode, rc.stderr[-2000:]))
                continue
            with open(out) as f:
                r = json.load(f)
            final = os.path.join(wd, "final_metrics.txt")
            r["check_result"] = (check_prom(stats_path, final, mtail=(tool == "mtail"))[0]
                                 if os.path.exists(final) else "no final scrape")
            r["rc"] = rc.returncode
            results[tool].append(r)
            b, l = r.get("bulk", {}), r["latency"]
            log("  elapsed %s s, cpu %s s, peak rss %.1f MiB, %s; latency median %s ms p90 %s max %s (seen %d/%d)"
                % (b.get("elapsed_s"), b.get("cpu_s"), (b.get("peak_rss_kb") or 0) / 1024, r["check_result"],
                   l["median_ms"], l["p90_ms"], l["max_ms"], l["seen"], l["tries"]))
    return results


def print_follow(results, lines, runs):
    log()
    log("=== 2. follow mode (../shared/bench/follow_bench.py, %d lines appended in 1 MiB writes; "
        "median of %d runs, latency over all tries of all runs)" % (lines, runs))

    def med(tool, f):
        vals = [f(r) for r in results[tool] if f(r) is not None]
        return statistics.median(vals) if vals else None

    def lat_all(tool):
        return sorted(x for r in results[tool] for x in r["latency"]["all_ms"] if x is not None)

    rows = [
        ("time until all lines counted, s", lambda t: med(t, lambda r: r["bulk"]["elapsed_s"]), "%.2f"),
        ("lines/s", lambda t: med(t, lambda r: r["bulk"]["lines_per_s"]), "{:,.0f}"),
        ("append time (writer), s", lambda t: med(t, lambda r: r["bulk"]["append_s"]), "%.2f"),
        ("daemon CPU over that interval, s", lambda t: med(t, lambda r: r["bulk"]["cpu_s"]), "%.2f"),
        ("peak RSS after bulk (VmHWM), MiB", lambda t: med(t, lambda r: r["bulk"]["peak_rss_kb"] / 1024), "%.1f"),
        ("idle RSS before bulk, MiB", lambda t: med(t, lambda r: r["rss_idle_kb"] / 1024), "%.1f"),
        ("start-up until /metrics answers, s", lambda t: med(t, lambda r: r["startup_s"]), "%.3f"),
        ("single-line latency median, ms", lambda t: statistics.median(lat_all(t)) if lat_all(t) else None, "%.1f"),
        ("single-line latency min, ms", lambda t: lat_all(t)[0] if lat_all(t) else None, "%.1f"),
        ("single-line latency p90, ms", lambda t: pct(lat_all(t), 90) if lat_all(t) else None, "%.1f"),
        ("single-line latency max, ms", lambda t: lat_all(t)[-1] if lat_all(t) else None, "%.1f"),
        ("latency lines seen / appended", lambda t: "%d/%d" % (sum(r["latency"]["seen"] for r in results[t]),
                                                              sum(r["latency"]["tries"] for r in results[t])), "%s"),
    ]
    log("| | mtail | logpulse | mtail / logpulse |")
    log("| --- | ---: | ---: | ---: |")
    for label, fn, fmt in rows:
        vals = []
        for tool in ("mtail", "logpulse"):
            try:
                vals.append(fn(tool))
            except (KeyError, TypeError):
                vals.append(None)

        def f(v):
            if v is None:
                return "n/a"
            return fmt.format(v) if "{" in fmt else fmt % v
        ratio = ""
        if all(isinstance(v, (int, float)) and v for v in vals) and "lines/s" not in label:
            ratio = "%.1f" % (vals[0] / vals[1])
        elif all(isinstance(v, (int, float)) and v for v in vals):
            ratio = "%.3f" % (vals[0] / vals[1])
        log("| %s | %s | %s | %s |" % (label, f(vals[0]), f(vals[1]), ratio))
    for tool in ("mtail", "logpulse"):
        log("final check %s: %s" % (tool, "; ".join("run %d: %s" % (i + 1, r["check_result"])
                                                    for i, r in enumerate(results[tool]))))


# ----------------------------------------------------------------------------- 3. scrape vs ingestion

N_IDS = 100_000


def ensure_ids_log(work, lines):
    path = os.path.join(work, "rules-ids_%d_%d.log" % (N_IDS, lines))
    if os.path.exists(path):
        return path, N_IDS
    log("generating %s (%d ids in order, then %d lines with random ids) ..." % (path, N_IDS, lines))
    rnd = random.Random(1)
    statuses = ["200"] * 16 + ["404", "500", "302", "201"]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        chunk = []
        for i in range(N_IDS):
            chunk.append("2024-11-25T00:00:00Z id=u%06d status=200 bytes=%d\n" % (i, 100 + i % 9000))
        f.write("".join(chunk))
        done = 0
        while done < lines:
            n = min(200_000, lines - done)
            ids = [rnd.randrange(N_IDS) for _ in range(n)]
            f.write("".join("2024-11-25T00:%02d:%02dZ id=u%06d status=%s bytes=%d\n"
                            % ((done + k) // 60 % 60, (done + k) % 60, ids[k], statuses[ids[k] % 20],
                               100 + ids[k] % 9000) for k in range(n)))
            done += n
    os.rename(tmp, path)
    return path, N_IDS


SCRAPE_CFG = """listen: ["127.0.0.1:%(port)d"]
state_dir: %(state)s
sources:
  - name: ids
    paths: ["%(log)s"]
    start_at: beginning
rules:
  - name: ids
    source: ids
    match: '^\\S+ id=(?P<id>\\S+) status=(?P<status>\\d{3}) bytes=(?P<bytes>\\d+)$'
    max_series: 200000
    metrics:
      - {name: ids_requests_total, type: counter, help: "Requests by id.", labels: [id]}
"""


class Conn:
    def __init__(self, port):
        self.port = port
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path, gzip=False):
        headers = {"Accept-Encoding": "gzip"} if gzip else {}
        for attempt in (0, 1):
            try:
                self.c.request("GET", path, headers=headers)
                r = self.c.getresponse()
                body = r.read()
                return r.status, body
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise


def lines_read(conn):
    st, body = conn.get("/api/v1/sources")
    d = json.loads(body)
    return d["data"]["sources"][0]["lines_read"]


def scrape_run(binary, work, ids_log, mode, prefix_lines, total_lines):
    """mode: none | plain | gzip | plain_1s | create_noscrape | create.  Returns dict."""
    d = tempfile.mkdtemp(prefix="rules-scrape-", dir=work)
    log_path = os.path.join(d, "ids.log")
    open(log_path, "w").close()
    port = free_port()
    cfg = os.path.join(d, "config.yaml")
    with open(cfg, "w") as f:
        f.write(SCRAPE_CFG % {"port": port, "state": os.path.join(d, "state"), "log": log_path})
    errf = open(os.path.join(d, "stderr"), "w")
    proc = subprocess.Popen([binary, "-c", cfg], stdout=errf, stderr=subprocess.STDOUT)
    _daemons.append(proc)
    res = {"mode": mode}
    try:
        poll = Conn(port)
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError("logpulse exited, rc %s" % proc.returncode)
            try:
                lines_read(poll)
                break
            except (OSError, KeyError, IndexError, ValueError, http.client.HTTPException):
                if time.monotonic() > deadline:
                    raise RuntimeError("logpulse did not come up")
                time.sleep(0.02)
        with open(ids_log, "rb") as src, open(log_path, "ab", buffering=0) as dst:
            # prefix: every id once, so that all series exist before the measured part
            # (mode "create": no prefix; the series are created while the scraper runs)
            if not mode.startswith("create"):
                prefix = b"".join(src.readline() for _ in range(prefix_lines))
                dst.write(prefix)
                while lines_read(poll) < prefix_lines:
                    time.sleep(0.01)

            scrapes = []  # (duration s, bytes)
            stop_ev = threading.Event()

            def scraper():
                c = Conn(port)
                while not stop_ev.is_set():
                    t1 = time.monotonic()
                    st, body = c.get("/metrics", gzip=(mode == "gzip"))
                    scrapes.append((time.monotonic() - t1, len(body)))
                    if mode == "plain_1s":
                        stop_ev.wait(1.0)

            th = None
            if mode not in ("none", "create_noscrape"):
                th = threading.Thread(target=scraper, daemon=True)
                th.start()
                while not scrapes:  # the scraper is in its loop before ingestion starts
                    time.sleep(0.001)
            cpu0 = cpu_seconds(proc.pid)
            rchar0 = rchar(proc.pid)
            # Progress without touching the daemon: /proc/PID/io rchar counts the bytes its
            # read/pread calls returned (the log chunks, plus a few hundred bytes per HTTP
            # request). Sampled every 2 ms from the first append on, in a thread, so that
            # the writer's own time is not mistaken for the daemon waiting.
            timeline = []
            appended = 0
            sampling = threading.Event()
            t0 = time.monotonic()

            def sampler():
                while not sampling.is_set():
                    timeline.append((time.monotonic() - t0, rchar(proc.pid) - rchar0))
                    time.sleep(0.002)

            sampler_thread = threading.Thread(target=sampler, daemon=True)
            sampler_thread.start()
            while True:
                b = src.read(MIB)
                if not b:
                    break
                dst.write(b)
                dst.flush()
                appended += len(b)
            append_s = time.monotonic() - t0
        measured = total_lines - (0 if mode.startswith("create") else prefix_lines)
        target = appended
        while True:
            n = rchar(proc.pid) - rchar0
            now = time.monotonic()
            if n >= target:
                break
            if now - t0 > 300:
                raise RuntimeError("ingestion did not finish in 300 s (%d/%d bytes)" % (n, target))
            time.sleep(0.002)
        sampling.set()
        sampler_thread.join()
        timeline.append((time.monotonic() - t0, rchar(proc.pid) - rchar0))
        elapsed = timeline[-1][0]
        cpu1 = cpu_seconds(proc.pid)
        if th:
            stop_ev.set()
            th.join()
        during = list(scrapes)
        deadline = time.monotonic() + 5
        while lines_read(poll) < total_lines:
            if time.monotonic() > deadline:
                raise RuntimeError("lines_read stuck at %d < %d" % (lines_read(poll), total_lines))
            time.sleep(0.05)
        # the longest interval in which the daemon read nothing (2 ms polling)
        gap = 0.0
        first = next((t for t, n in timeline if n > 0), 0.0)
        last_t, last_n = first, None
        for t, n in timeline:
            if t < first:
                continue
            if n != last_n:
                last_t, last_n = t, n
            else:
                gap = max(gap, t - last_t)
        st, body = Conn(port).get("/metrics")
        res["series"] = sum(1 for ln in body.split(b"\n") if ln.startswith(b"ids_requests_total{"))
        res["exposition_bytes"] = len(body)
        # idle reference: scrapes after ingestion, nothing else running
        c = Conn(port)
        idle = {}
        for gz in (False, True):
            ds = []
            for _ in range(10):
                t1 = time.monotonic()
                st, body = c.get("/metrics", gzip=gz)
                ds.append(time.monotonic() - t1)
            idle["gzip" if gz else "plain"] = (sorted(ds), len(body))
        res.update({
            "lines": measured, "lines_per_s": measured / elapsed, "elapsed_s": elapsed, "append_s": append_s,
            "cpu_s": cpu1 - cpu0, "max_progress_gap_s": gap, "polls": len(timeline), "first_read_s": first,
            "scrapes": sorted(d for d, _ in during), "scrape_bytes": during[-1][1] if during else None,
            "idle": idle, "vm_hwm_mib": vm_hwm_kb(proc.pid) / 1024,
        })
    finally:
        stop(proc)
        errf.close()
    shutil.rmtree(d, ignore_errors=True)
    return res


def scrape_test(args, work, binary):
    ids_log, prefix = ensure_ids_log(work, args.ids_lines)
    total = prefix + args.ids_lines
    modes = ["none", "plain", "gzip", "plain_1s", "create_noscrape", "create"]
    runs = {m: [] for m in modes}
    for i in range(args.runs):
        for m in modes:
            r = scrape_run(binary, work, ids_log, m, prefix, total)
            runs[m].append(r)
            log("scrape run %d/%d %-8s: %d series, %s lines/s, max progress gap %.0f ms, %d scrapes%s (load %s)"
                % (i + 1, args.runs, m, r["series"], "{:,.0f}".format(r["lines_per_s"]),
                   r["max_progress_gap_s"] * 1000, len(r["scrapes"]),
                   (", scrape median %.0f ms" % (statistics.median(r["scrapes"]) * 1000)) if r["scrapes"] else "",
                   loadavg()))
    return runs, total - prefix


def print_scrape(runs, measured, n_runs):
    log()
    first = runs["none"][0]
    log("=== 3. scrape vs ingestion: %d series of ids_requests_total (exposition %.1f MiB plain), followed "
        "file appended at full speed with %d more lines after a prefix that creates every series "
        "('series created during the run': prefix included, %d lines; compared with its own no-scrape row); median of %d runs"
        % (first["series"], first["exposition_bytes"] / MIB, measured, runs["create"][0]["lines"], n_runs))
    base = statistics.median(r["lines_per_s"] for r in runs["none"])
    log("| scraping during ingestion | ingestion lines/s | vs none | logpulse CPU s | longest read "
        "pause, ms | scrapes during | scrape ms p50 / p90 / p99 / max | body KiB |")
    log("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    labels = {"none": "none", "plain": "back-to-back, plain", "gzip": "back-to-back, gzip",
              "plain_1s": "plain, 1 per second",
              "create_noscrape": "none; series created during the run (no prefix)",
              "create": "back-to-back plain; series created during the run (no prefix)"}
    for m, rs in runs.items():
        lps = statistics.median(r["lines_per_s"] for r in rs)
        if m == "create_noscrape":
            base = lps
        all_scr = sorted(x for r in rs for x in r["scrapes"])
        scr = ("%.0f / %.0f / %.0f / %.0f" % tuple(pct(all_scr, p) * 1000 for p in (50, 90, 99, 100))
               if all_scr else "-")
        body = [r["scrape_bytes"] for r in rs if r["scrape_bytes"]]
        log("| %s | %s | %.2f | %.2f | %.0f | %s | %s | %s |"
            % (labels[m], "{:,.0f}".format(lps), lps / base, statistics.median(r["cpu_s"] for r in rs),
               statistics.median(r["max_progress_gap_s"] for r in rs) * 1000,
               "/".join(str(len(r["scrapes"])) for r in rs), scr,
               "%.0f" % (body[-1] / 1024) if body else "-"))
    for gz in ("plain", "gzip"):
        all_idle = sorted(x for rs in runs.values() for r in rs for x in r["idle"][gz][0])
        size = first["idle"][gz][1]
        log("idle scrape (no ingestion), %s: p50 %.1f ms, p90 %.1f, max %.1f; body %.0f KiB"
            % (gz, pct(all_idle, 50) * 1000, pct(all_idle, 90) * 1000, all_idle[-1] * 1000, size / 1024))
    log("peak RSS (VmHWM) of the daemon with %d series: %.1f MiB"
        % (first["series"], max(r["vm_hwm_mib"] for rs in runs.values() for r in rs)))


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200,000-line workload (and 1,000,000 id lines)")
    ap.add_argument("--work", default=os.environ.get("WORK", "/tmp/logpulse-bench"))
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "logpulse"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--follow-runs", type=int, help="follow_bench.py runs per tool (default: --runs)")
    ap.add_argument("--tries", type=int, default=20, help="single-line latency tries per follow run")
    ap.add_argument("--lines", type=int, help="workload lines (default 2,000,000; --quick 200,000)")
    ap.add_argument("--ids-lines", type=int, help="scrape test: lines after the 100k-id prefix "
                    "(default 8,000,000; --quick 1,000,000)")
    ap.add_argument("--skip", action="append", default=[], choices=["oneshot", "follow", "scrape"])
    args = ap.parse_args()
    args.lines = args.lines or (200_000 if args.quick else 2_000_000)
    args.ids_lines = args.ids_lines or (1_000_000 if args.quick else 8_000_000)
    args.follow_runs = args.follow_runs or args.runs
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    if os.path.commonpath([work, REPO]) == REPO:
        sys.exit("--work must be outside the repository")

    binary = os.path.join(work, "rules-logpulse.bin")
    shutil.copy2(args.binary, binary)
    log("logpulse: %s (copied from %s, mtime %s)" % (binary, args.binary,
                                                     time.ctime(os.path.getmtime(args.binary))))
    try:
        head = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %s"], capture_output=True,
                              text=True).stdout.strip()
        log("repo HEAD: %s" % head[:100])
    except OSError:
        pass
    log("machine: %d CPUs, %s; load %s" % (os.cpu_count(), next(
        (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?"),
        loadavg()))
    log("mtail: %s" % subprocess.run(["mtail", "--version"], capture_output=True, text=True).stdout.splitlines()[0])
    floor = build_floor(work)
    log_path, stats_path, st = ensure_workload(work, args.lines)
    with open(log_path, "rb") as f:  # warm the page cache
        while f.read(8 * MIB):
            pass
    t_start = time.monotonic()
    out = {}
    try:
        if "oneshot" not in args.skip:
            summary, lines = oneshot(args, work, binary, floor, log_path, stats_path, st)
            out["oneshot"] = summary
        if "follow" not in args.skip and SHARED is None:
            log("follow mode: no ../shared/bench beside the checkout (its follow_bench.py); not run")
        elif "follow" not in args.skip:
            fres = follow(args, work, binary, log_path, stats_path)
            out["follow"] = fres
        if "scrape" not in args.skip:
            sres, measured = scrape_test(args, work, binary)
            out["scrape"] = sres
    finally:
        for p in list(_daemons):
            stop(p)
    with open(os.path.join(work, "rules-results.json"), "w") as f:
        json.dump(out, f, indent=1, default=str)

    log()
    log("################ summary (load %s, %.0f s in all) ################" % (loadavg(),
                                                                                time.monotonic() - t_start))
    if "oneshot" in out:
        print_oneshot(out["oneshot"], st["valid"] + st["malformed"], args.runs)
    if "follow" in out:
        print_follow(out["follow"], st["valid"] + st["malformed"], args.follow_runs)
    if "scrape" in out:
        print_scrape(out["scrape"], measured, args.runs)
    log()
    log("raw results: %s" % os.path.join(work, "rules-results.json"))


if __name__ == "__main__":
    main()
