#!/usr/bin/env python3
"""Follower benchmark for logpulse (issue 2, "Performance").

Measures and PRINTS (no pass/fail) three things, each next to a reference taken in
the same run on the same machine:

1. Raw follow throughput on a ~400 MB access log
   (a) `logpulse --once FILE` vs `wc -l FILE` (warm page cache, warm-up run, median of N)
   (b) the daemon with `start_at: beginning`, /metrics polled every 20 ms until
       logpulse_lines_read_total reaches the line count, vs the same `wc -l` figure
2. Latency from a one-line append to logpulse_lines_read_total moving
   (watcher: auto = inotify, and watcher: poll), vs the bare /metrics round trip
3. Peak RSS: `/usr/bin/time -f %M logpulse --once` on the 400 MB and a 4 GB file,
   and the daemon's VmHWM after following the 400 MB file to its end

Python 3 standard library only.  Data goes to --work (default $WORK or
/tmp/logpulse-bench), never into the repository.  Every daemon it starts is
stopped by PID in a finally block.
"""

import argparse
import http.client
import json
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

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_BINARY = os.path.join(REPO, "build", "logpulse")
DEFAULT_GEN = os.path.join(REPO, "tests", "workload", "gen_access_log.py")
MIB = 1024 * 1024

LINES_RE = re.compile(r'^logpulse_lines_read_total\{source="bench"\} (\S+)$', re.M)
BYTES_RE = re.compile(r'^logpulse_bytes_read_total\{source="bench"\} (\S+)$', re.M)

_daemons = []  # live subprocess.Popen objects, stopped on exit


# ----------------------------------------------------------------------------- helpers

def log(msg=""):
    print(msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def fmt_rate(lines_per_s):
    return f"{lines_per_s / 1e6:.2f} M lines/s"


def fmt_ms(s):
    return f"{s * 1000:.2f}"


def parse_lines(text):
    m = LINES_RE.search(text)
    return int(float(m.group(1))) if m else None


def run_timed(argv):
    """Run argv with stdout to /dev/null; return (wall_s, cpu_s, maxrss_kib)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = rc = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    if rc != 0:
        raise RuntimeError(f"{argv[0]} exited {rc}: {err.decode(errors='replace')[-2000:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def run_timed_capture(argv):
    """Like run_timed but captures stdout through a file; returns (wall, cpu, maxrss_kib, stdout)."""
    with tempfile.TemporaryFile() as f:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = rc = os.waitstatus_to_exitcode(status)
        p.stderr.close()
        if rc != 0:
            raise RuntimeError(f"{argv[0]} exited {rc}: {err.decode(errors='replace')[-2000:]}")
        f.seek(0)
        out = f.read().decode()
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, out


def write_config(path, port, state_dir, log_path, start_at, watcher="auto", poll_interval=None):
    if os.path.isdir(state_dir):
        shutil.rmtree(state_dir)  # no checkpoint from an earlier run: start where we say
    os.makedirs(state_dir)
    lines = [
        f'listen: ["127.0.0.1:{port}"]',
        f"state_dir: {state_dir}",
        "checkpoint_interval: 5s",
        f"watcher: {watcher}",
    ]
    if poll_interval:
        lines.append(f"poll_interval: {poll_interval}")
    lines += [
        "sources:",
        "  - name: bench",
        f'    paths: ["{log_path}"]',
        f"    start_at: {start_at}",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Scraper:
    """A keep-alive HTTP/1.1 connection to the daemon; reconnects on errors."""

    def __init__(self, port, timeout=2.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def get(self, path):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                    self.conn.connect()
                    self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                return r.status, body.decode(errors="replace")
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def lines(self):
        status, body = self.get("/metrics")
        return parse_lines(body) if status == 200 else None

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None


def start_daemon(binary, config, logfile):
    out = open(logfile, "wb")
    try:
        p = subprocess.Popen([binary, "-c", config, "--log-level", "warn"],
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    finally:
        out.close()
    _daemons.append(p)
    return p


def stop_daemon(p):
    if p is None:
        return
    try:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
    except ProcessLookupError:
        pass
    finally:
        if p in _daemons:
            _daemons.remove(p)


def stop_all_daemons():
    for p in list(_daemons):
        stop_daemon(p)


def wait_ready(p, port, timeout=15.0):
    s = Scraper(port, timeout=1.0)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError(f"daemon exited early with {p.returncode}")
            try:
                status, _ = s.get("/-/ready")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError("daemon not ready within %.0f s" % timeout)
    finally:
        s.close()


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return None


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tck  # utime + stime


def warm_page_cache(path):
    """Read the file once so it is in the page cache."""
    with open(path, "rb") as f:
        while f.read(8 * MIB):
            pass


# ----------------------------------------------------------------------------- data

def ensure_log(work, lines, gen):
    path = os.path.join(work, f"workload_access_{lines}.log")
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                log(f"reusing {path} ({os.path.getsize(path) / 1e6:.1f} MB)")
                return path
    log(f"generating {path} ({lines} lines) ...")
    tmp = path + ".tmp"
    subprocess.run([sys.executable, gen, "--lines", str(lines), "--seed", "1", "--out", tmp], check=True)
    os.replace(tmp, path)
    log(f"  {os.path.getsize(path) / 1e6:.1f} MB")
    return path


def ensure_big(work, small, times=10, min_free=10 * 1024 ** 3):
    path = small[:-len(".log")] + f"_x{times}.log"
    want = os.path.getsize(small) * times
    if os.path.exists(path) and os.path.getsize(path) == want:
        log(f"reusing {path} ({want / 1e9:.2f} GB)")
        return path
    free = shutil.disk_usage(work).free
    df = subprocess.run(["df", "-h", work], capture_output=True, text=True).stdout.strip()
    log(df)
    if free + (os.path.getsize(path) if os.path.exists(path) else 0) < max(min_free, want):
        log(f"SKIP big file: only {free / 1024 ** 3:.1f} GiB free in {work} (need {max(min_free, want) / 1024 ** 3:.0f} GiB)")
        return None
    log(f"concatenating {small} x{times} -> {path} ...")
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        for _ in range(times):
            with open(small, "rb") as f:
                shutil.copyfileobj(f, out, 8 * MIB)
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------------- 1. throughput

def bench_once(args, cfg, log_path, runs):
    """1a: logpulse --once vs wc -l (and cat as a read floor)."""
    log("\n== 1a. --once throughput vs wc -l (warm cache, median of %d after a warm-up) ==" % runs)
    warm_page_cache(log_path)
    wc_argv = ["wc", "-l", log_path]
    cat_argv = ["cat", log_path]
    lp_argv = [args.binary, "-c", cfg, "--once", log_path]

    # warm-ups (also check the counts agree)
    _, _, _, wc_out = run_timed_capture(wc_argv)
    nlines = int(wc_out.split()[0])
    _, _, _, lp_out = run_timed_capture(lp_argv)
    lp_lines = parse_lines(lp_out)
    if lp_lines != nlines:
        log(f"WARNING: logpulse --once counted {lp_lines} lines, wc -l {nlines}")
    run_timed(cat_argv)

    res = {"wc": [], "cat": [], "lp": []}
    for i in range(runs):  # interleaved, so drift hits all three alike
        for name, argv in (("wc", wc_argv), ("lp", lp_argv), ("cat", cat_argv)):
            if name == "cat":
                wall, cpu, rss = run_timed(argv)
            else:
                wall, cpu, rss, _ = run_timed_capture(argv)
            res[name].append((wall, cpu, rss))
    out = {"lines": nlines}
    for name, label in (("wc", "wc -l"), ("cat", "cat >/dev/null"), ("lp", "logpulse --once")):
        walls = [r[0] for r in res[name]]
        cpus = [r[1] for r in res[name]]
        wall = statistics.median(walls)
        cpu = statistics.median(cpus)
        out[name] = {"wall": wall, "cpu": cpu, "rate": nlines / wall,
                     "rss": max(r[2] for r in res[name])}
        log(f"  {label:16s} wall median {wall:7.3f} s  (runs {', '.join('%.3f' % w for w in walls)})"
            f"  cpu {cpu:6.3f} s  {fmt_rate(nlines / wall)}")
    out["ratio"] = out["lp"]["rate"] / out["wc"]["rate"]
    log(f"  ratio logpulse/wc -l lines/s: {out['ratio']:.2f}   (goal >= 0.5)")
    return out


def bench_daemon_throughput(args, log_path, nlines, runs):
    """1b: daemon, start_at: beginning, scrape every 20 ms until all lines are read."""
    log("\n== 1b. daemon follow throughput (start_at: beginning, /metrics every 20 ms, median of %d) ==" % runs)
    results = []
    for i in range(runs):
        port = free_port()
        d = os.path.join(args.work, "daemon_tp")
        os.makedirs(d, exist_ok=True)
        cfg = os.path.join(d, "config.yaml")
        write_config(cfg, port, os.path.join(d, "state"), log_path, "beginning")
        p = None
        s = Scraper(port, timeout=2.0)
        try:
            t0 = time.perf_counter()
            p = start_daemon(args.binary, cfg, os.path.join(d, "daemon.log"))
            t_first = None
            t_not_done = 0.0
            lines = None
            deadline = t0 + args.timeout
            while True:
                if p.poll() is not None:
                    raise RuntimeError(f"daemon exited with {p.returncode}; see {d}/daemon.log")
                t_ask = time.perf_counter()
                try:
                    lines = s.lines()
                    if t_first is None and lines is not None:
                        t_first = time.perf_counter() - t0
                except OSError:
                    lines = None
                if lines is not None and lines >= nlines:
                    break
                t_not_done = t_ask - t0  # the daemon was not done before this scrape was sent
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"daemon at {lines} of {nlines} lines after {args.timeout} s")
                time.sleep(0.020)
            elapsed = time.perf_counter() - t0
            cpu = proc_cpu_seconds(p.pid)
            hwm = proc_status(p.pid, "VmHWM")
            rss = proc_status(p.pid, "VmRSS")
            if lines != nlines:
                log(f"  WARNING: daemon reports {lines} lines, expected {nlines}")
            results.append({"wall": elapsed, "cpu": cpu, "hwm_kib": hwm, "rss_kib": rss,
                            "first_scrape": t_first, "not_done": t_not_done})
            log(f"  run {i + 1}: {elapsed:.3f} s from spawn to the scrape showing {lines} lines (the previous scrape, "
                f"sent at {t_not_done:.3f} s, was short; first /metrics answer at {t_first * 1000:.0f} ms)  "
                f"cpu {cpu:.2f} s  VmHWM {hwm / 1024:.1f} MiB  VmRSS {rss / 1024:.1f} MiB")
        finally:
            s.close()
            stop_daemon(p)
    wall = statistics.median(r["wall"] for r in results)
    lower = statistics.median(r["not_done"] for r in results)
    out = {"wall": wall, "rate": nlines / wall, "cpu": statistics.median(r["cpu"] for r in results),
           "hwm_kib": max(r["hwm_kib"] for r in results), "runs": results, "not_done": lower}
    log(f"  median {wall:.3f} s  {fmt_rate(nlines / wall)}  cpu {out['cpu']:.2f} s"
        f"  (20 ms scrape grid: done somewhere after {lower:.3f} s, i.e. at most {fmt_rate(nlines / max(lower, 1e-3))})")
    return out


# ----------------------------------------------------------------------------- 2. latency

def bench_latency(args, sample_line, watcher, appends, poll_interval=None, pause=(0.050, 0.150)):
    title = f"watcher: {watcher}" + (f" (poll_interval {poll_interval or 'default 250ms'})" if watcher == "poll" else " (inotify)")
    log(f"\n== 2. append-to-metric latency, {title}, {appends} appends, "
        f"{pause[0] * 1000:.0f}-{pause[1] * 1000:.0f} ms pauses ==")
    d = os.path.join(args.work, f"latency_{watcher}")
    os.makedirs(d, exist_ok=True)
    log_path = os.path.join(d, "access.log")
    open(log_path, "wb").close()  # empty file
    port = free_port()
    cfg = os.path.join(d, "config.yaml")
    write_config(cfg, port, os.path.join(d, "state"), log_path, "end", watcher, poll_interval)
    rng = random.Random(42)
    p = None
    s = Scraper(port, timeout=5.0)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    lat, last_rtt, scrapes, timeouts = [], [], [], 0
    try:
        p = start_daemon(args.binary, cfg, os.path.join(d, "daemon.log"))
        wait_ready(p, port)
        # one unmeasured append: the follower is attached and the connection warm
        base = s.lines()
        os.write(fd, sample_line)
        deadline = time.monotonic() + 5
        while s.lines() == base:
            if time.monotonic() > deadline:
                raise RuntimeError("warm-up append never showed up in /metrics")
            time.sleep(0.001)
        base = s.lines()
        for i in range(appends):
            time.sleep(rng.uniform(*pause))
            t0 = time.perf_counter()
            os.write(fd, sample_line)
            n = 0
            while True:
                t_send = time.perf_counter()
                cur = s.lines()
                n += 1
                if cur is not None and cur > base:
                    break
                if time.perf_counter() - t0 > 5.0:
                    timeouts += 1
                    break
            t1 = time.perf_counter()
            base = cur if cur is not None else base
            lat.append(t1 - t0)
            last_rtt.append(t1 - t_send)
            scrapes.append(n)
    finally:
        os.close(fd)
        s.close()
        stop_daemon(p)
    out = summarize(lat)
    out["scrapes_median"] = statistics.median(scrapes)
    out["scrapes_max"] = max(scrapes)
    out["timeouts"] = timeouts
    out["last_scrape"] = summarize(last_rtt)
    out["before_last"] = summarize([a - b for a, b in zip(lat, last_rtt)])
    out["raw_ms"] = [round(x * 1000, 3) for x in lat]
    log(f"  latency ms: median {fmt_ms(out['p50'])}  p90 {fmt_ms(out['p90'])}  p99 {fmt_ms(out['p99'])}"
        f"  max {fmt_ms(out['max'])}   scrapes per append: median {out['scrapes_median']}, max {out['scrapes_max']}"
        + (f"   TIMEOUTS (>5 s): {timeouts}" if timeouts else ""))
    a, b = out["last_scrape"], out["before_last"]
    log(f"  of which the final (successful) scrape's round trip, ms: median {fmt_ms(a['p50'])}  p99 {fmt_ms(a['p99'])}"
        f"  max {fmt_ms(a['max'])};  write -> final scrape sent, ms: median {fmt_ms(b['p50'])}  p99 {fmt_ms(b['p99'])}"
        f"  max {fmt_ms(b['max'])}")
    return out


def bench_scrape_rtt(args, samples):
    """Reference: one GET /metrics round trip on the keep-alive connection, after the same
    50-150 ms idle pauses as the latency test (the floor of what that test can show)."""
    log(f"\n== 2. reference: bare /metrics round trip (keep-alive, {samples} samples after 50-150 ms pauses) ==")
    d = os.path.join(args.work, "scrape_rtt")
    os.makedirs(d, exist_ok=True)
    log_path = os.path.join(d, "access.log")
    open(log_path, "wb").close()
    port = free_port()
    cfg = os.path.join(d, "config.yaml")
    write_config(cfg, port, os.path.join(d, "state"), log_path, "end")
    rng = random.Random(7)
    p = None
    s = Scraper(port, timeout=5.0)
    rtt, back2back = [], []
    try:
        p = start_daemon(args.binary, cfg, os.path.join(d, "daemon.log"))
        wait_ready(p, port)
        s.lines()
        for _ in range(samples):
            time.sleep(rng.uniform(0.050, 0.150))
            t0 = time.perf_counter()
            s.lines()
            rtt.append(time.perf_counter() - t0)
        for _ in range(samples):  # back-to-back, as inside the latency test's tight loop
            t0 = time.perf_counter()
            s.lines()
            back2back.append(time.perf_counter() - t0)
    finally:
        s.close()
        stop_daemon(p)
    out = summarize(rtt)
    out["b2b"] = summarize(back2back)
    log(f"  after idle pause, ms: median {fmt_ms(out['p50'])}  p90 {fmt_ms(out['p90'])}  p99 {fmt_ms(out['p99'])}"
        f"  max {fmt_ms(out['max'])}")
    b = out["b2b"]
    log(f"  back-to-back,     ms: median {fmt_ms(b['p50'])}  p90 {fmt_ms(b['p90'])}  p99 {fmt_ms(b['p99'])}"
        f"  max {fmt_ms(b['max'])}")
    return out


def summarize(values):
    return {"n": len(values), "p50": statistics.median(values), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": max(values)}


# ----------------------------------------------------------------------------- 3. RSS

def bench_rss_once(args, cfg, log_path, nlines):
    argv = [args.binary, "-c", cfg, "--once", log_path]
    tfile = os.path.join(args.work, "time.out")
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %e %U %S", "-o", tfile] + argv,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"logpulse --once failed: {r.stderr.decode(errors='replace')[-2000:]}")
    with open(tfile) as f:
        last = f.read().strip().splitlines()[-1].split()
    maxrss_kib = int(last[0])
    cpu = float(last[2]) + float(last[3])
    got = parse_lines(r.stdout.decode())
    if got != nlines:
        log(f"  WARNING: --once counted {got} lines on {log_path}, expected {nlines}")
    return {"rss_kib": maxrss_kib, "wall": wall, "cpu": cpu, "lines": got, "rate": got / wall}


def bench_rss(args, cfg, small, big, nlines):
    log("\n== 3. peak RSS: /usr/bin/time -f %M logpulse --once ==")
    out = {}
    for label, path, n in (("small", small, nlines), ("big", big, nlines * 10)):
        if path is None:
            out[label] = None
            continue
        warm_page_cache(path)
        r = bench_rss_once(args, cfg, path, n)
        out[label] = r
        log(f"  {os.path.basename(path):28s} {os.path.getsize(path) / 1e9:6.2f} GB  max RSS {r['rss_kib'] / 1024:6.2f} MiB"
            f"  wall {r['wall']:.2f} s  cpu {r['cpu']:.2f} s  {fmt_rate(r['rate'])}")
    # a trivial reference process, for scale
    tfile = os.path.join(args.work, "time.out")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tfile, "wc", "-l", small], stdout=subprocess.DEVNULL, check=True)
    with open(tfile) as f:
        out["wc_rss_kib"] = int(f.read().strip().splitlines()[-1])
    log(f"  reference: wc -l max RSS {out['wc_rss_kib'] / 1024:.2f} MiB")
    return out


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.environ.get("WORK", "/tmp/logpulse-bench"),
                    help="data and scratch directory (default $WORK or /tmp/logpulse-bench)")
    ap.add_argument("--quick", action="store_true", help="200k-line file, 1 run, fewer appends")
    ap.add_argument("--binary", default=DEFAULT_BINARY, help="logpulse executable (default build/logpulse)")
    ap.add_argument("--gen", default=DEFAULT_GEN, help="gen_access_log.py")
    ap.add_argument("--lines", type=int, help="lines in the generated log (default 1900000, --quick 200000)")
    ap.add_argument("--runs", type=int, help="timed runs per throughput figure (default 3, --quick 1)")
    ap.add_argument("--appends", type=int, help="appends for the inotify latency (default 200, --quick 50)")
    ap.add_argument("--poll-appends", type=int, help="appends for the poll latency (default 50, --quick 20)")
    ap.add_argument("--skip-big", action="store_true", help="skip the 10x file (the 4 GB RSS figure)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the daemon to read the file")
    args = ap.parse_args()
    args.lines = args.lines or (200_000 if args.quick else 1_900_000)
    args.runs = args.runs or (1 if args.quick else 3)
    args.appends = args.appends or (50 if args.quick else 200)
    args.poll_appends = args.poll_appends or (20 if args.quick else 50)
    args.work = os.path.abspath(args.work)
    if args.work == REPO or args.work.startswith(REPO + os.sep):
        sys.exit(f"--work {args.work} is inside the repository; use a directory outside it")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found: cmake --build {os.path.join(REPO, 'build')}")
    os.makedirs(args.work, exist_ok=True)
    # measure a private copy: a rebuild of build/ during the run must not change what is measured
    snapshot = os.path.join(args.work, "logpulse.bin")
    shutil.copy2(args.binary, snapshot + ".tmp")
    os.replace(snapshot + ".tmp", snapshot)
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(args.binary)))
    args.binary_src, args.binary = args.binary, snapshot

    def on_signal(signum, frame):
        stop_all_daemons()
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)

    version = subprocess.run([args.binary, "--version"], capture_output=True, text=True).stdout.strip()
    git = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    log(f"{version} ({args.binary_src} built {built}, measured as a copy {args.binary}; repo HEAD {git or '?'}), "
        f"{os.cpu_count()} CPUs, Linux {os.uname().release}")
    log("load average at start: %.2f %.2f %.2f (figures are only comparable on a quiet machine)" % os.getloadavg())
    log(f"work dir {args.work}; {'QUICK' if args.quick else 'full'}: {args.lines} lines, {args.runs} runs, "
        f"{args.appends}/{args.poll_appends} appends")

    try:
        small = ensure_log(args.work, args.lines, args.gen)
        with open(small, "rb") as f:
            sample_line = f.readline()
        once_dir = os.path.join(args.work, "once")
        os.makedirs(once_dir, exist_ok=True)
        once_cfg = os.path.join(once_dir, "config.yaml")
        write_config(once_cfg, free_port(), os.path.join(once_dir, "state"), small, "beginning")

        r1a = bench_once(args, once_cfg, small, args.runs)
        nlines = r1a["lines"]
        r1b = bench_daemon_throughput(args, small, nlines, args.runs)
        r2a = bench_latency(args, sample_line, "auto", args.appends)
        # 50-300 ms pauses: with 50-150 ms (< the 250 ms poll interval) each append would land
        # at a fixed phase after the poll tick that saw the previous one, biasing the figure.
        r2p = bench_latency(args, sample_line, "poll", args.poll_appends, pause=(0.050, 0.300))
        r2r = bench_scrape_rtt(args, args.appends)
        big = None if args.skip_big else ensure_big(args.work, small)
        r3 = bench_rss(args, once_cfg, small, big, nlines)
    finally:
        stop_all_daemons()

    results = os.path.join(args.work, "results.json")
    with open(results, "w") as f:
        json.dump({"once": r1a, "daemon": r1b, "latency_inotify": r2a, "latency_poll": r2p,
                   "scrape_rtt": r2r, "rss": r3, "lines": args.lines, "quick": args.quick}, f, indent=1)

    # ------------------------------------------------------------------ summary
    size_mb = os.path.getsize(small) / 1e6
    wc_rate = r1a["wc"]["rate"]
    rows = []
    rows.append(("1a --once lines/s", fmt_rate(r1a["lp"]["rate"]), f"wc -l {fmt_rate(wc_rate)}",
                 f"{r1a['ratio']:.2f}", ">= 0.5"))
    rows.append(("1a --once wall / cpu", f"{r1a['lp']['wall']:.3f} s / {r1a['lp']['cpu']:.3f} s",
                 f"wc -l {r1a['wc']['wall']:.3f} s / {r1a['wc']['cpu']:.3f} s", "", ""))
    rows.append(("   (read floor)", "", f"cat {fmt_rate(r1a['cat']['rate'])}",
                 f"{r1a['lp']['rate'] / r1a['cat']['rate']:.2f}", ""))
    rows.append(("1b daemon lines/s", fmt_rate(r1b["rate"]), f"wc -l {fmt_rate(wc_rate)}",
                 f"{r1b['rate'] / wc_rate:.2f}", ">= 0.5"))
    rows.append(("1b daemon spawn->done / cpu", f"{r1b['wall']:.3f} s / {r1b['cpu']:.2f} s",
                 f"(not done at {r1b['not_done']:.3f} s)", "", ""))

    def lat_row(name, r, ref):
        return (name, f"{fmt_ms(r['p50'])}/{fmt_ms(r['p90'])}/{fmt_ms(r['p99'])}/{fmt_ms(r['max'])}",
                f"scrape {fmt_ms(ref['p50'])}/{fmt_ms(ref['p90'])}/{fmt_ms(ref['p99'])}/{fmt_ms(ref['max'])}",
                f"p50 {r['p50'] / ref['p50']:.1f}x, p99 {r['p99'] / ref['p99']:.1f}x", "")
    r2a_row = lat_row(f"2 latency inotify n={r2a['n']} ms p50/p90/p99/max", r2a, r2r)
    rows.append(r2a_row[:4] + ("p99 < 10 ms",))
    rows.append(lat_row(f"2 latency poll 250ms n={r2p['n']} ms p50/p90/p99/max", r2p, r2r))
    small_rss = r3["small"]["rss_kib"] / 1024
    rows.append((f"3 peak RSS --once {size_mb:.0f} MB", f"{small_rss:.2f} MiB",
                 f"wc -l {r3['wc_rss_kib'] / 1024:.2f} MiB", "", "< 20 MiB"))
    if r3["big"]:
        big_rss = r3["big"]["rss_kib"] / 1024
        rows.append((f"3 peak RSS --once {os.path.getsize(big) / 1e9:.1f} GB", f"{big_rss:.2f} MiB",
                     f"{size_mb:.0f} MB: {small_rss:.2f} MiB", f"{big_rss / small_rss:.2f}", "same, < 20 MiB"))
        rows.append((f"   --once {os.path.getsize(big) / 1e9:.1f} GB lines/s", fmt_rate(r3["big"]["rate"]),
                     f"wc -l ({size_mb:.0f} MB) {fmt_rate(wc_rate)}", f"{r3['big']['rate'] / wc_rate:.2f}", ""))
    else:
        rows.append(("3 peak RSS --once 4 GB", "skipped", "", "", ""))
    rows.append((f"3 daemon VmHWM after {size_mb:.0f} MB", f"{r1b['hwm_kib'] / 1024:.2f} MiB", "", "", "< 20 MiB"))

    head = ("measure", "logpulse", "reference (same run)", "ratio", "goal")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    line = "  ".join("-" * w for w in widths)
    log(f"\n== Summary: {size_mb:.0f} MB, {nlines} lines ({'quick' if args.quick else 'full'}), "
        f"load average now {os.getloadavg()[0]:.2f} ==")
    log("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    log(line)
    for r in rows:
        log("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    log(line)
    log(f"raw figures: {results}")
    if r2a["timeouts"] or r2p["timeouts"]:
        log(f"latency timeouts (>5 s): inotify {r2a['timeouts']}, poll {r2p['timeouts']}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        stop_all_daemons()
        sys.exit(130)
