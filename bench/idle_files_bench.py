#!/usr/bin/env python3
"""Memory and idle CPU per followed file: logpulse against mtail on the same files, same run.

For each count (default 100, 1000, 10000) it writes that many small log files (one line
each) into a fresh directory, starts logpulse (inotify) and mtail on a glob of them, waits
until both have counted every file's line, then samples each process's RSS (VmRSS) and the
CPU it uses while the files stay idle. Prints a table; the figures that matter are the
per-file RSS (issue: at most 16 KiB per idle file, 10,000 files under 200 MiB) and the
ratio to mtail.

    python3 bench/idle_files_bench.py [--counts 100,1000,10000] [--idle 10]
    (LOGPULSE_BIN overrides build/logpulse; mtail from Debian's `mtail` package:
     bash scripts/install-deps.sh --bench)

Python 3 standard library only. Servers listen on 127.0.0.1 only and are stopped at the end.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MTAIL_PROG = "counter idle_lines_total\n/^line/ {\n  idle_lines_total++\n}\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, name):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None
    total = 0.0
    found = ("# TYPE %s " % name) in text  # a family with no sample yet counts 0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            m = re.match(r"^%s(\{[^}]*\})?\s+(\S+)" % re.escape(name), line)
            if m:
                total += float(m.group(2))
                found = True
    return total if found else None


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def wait_count(proc, port, name, want, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("%s exited with %s" % (name, proc.returncode))
        if scrape(port, name) == want:
            return time.monotonic()
        time.sleep(0.2)
    raise SystemExit("%s never reached %d (last %s)" % (name, want, scrape(port, name)))


def measure(name, cmd, port, metric, paths, idle, workdir):
    """Starts `cmd` on the empty files `paths`, then writes one line to each (mtail reads
    files present at its start from their end) and waits until all are counted."""
    for p in paths:
        open(p, "w").close()
    log = open(os.path.join(workdir, name + ".log"), "wb")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_count(proc, port, metric, 0, timeout=300)
        time.sleep(3.0)  # both open the files they find at start; mtail says nothing about when
        for i, p in enumerate(paths):
            with open(p, "a") as f:
                f.write("line %d\n" % i)
        ready = wait_count(proc, port, metric, len(paths), timeout=300)
        time.sleep(1.0)  # let start-up work settle before the idle window
        rss = rss_kib(proc.pid)
        cpu0 = cpu_seconds(proc.pid)
        time.sleep(idle)
        cpu = (cpu_seconds(proc.pid) - cpu0) / idle
        rss = max(rss, rss_kib(proc.pid))
        return {"rss_kib": rss, "idle_cpu": cpu, "startup_s": ready - start}
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counts", default="100,1000,10000")
    ap.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU sampling")
    args = ap.parse_args()
    binary = os.environ.get("LOGPULSE_BIN") or os.path.join(REPO, "build", "logpulse")
    if not os.access(binary, os.X_OK):
        raise SystemExit("no logpulse binary at %s (build first or set LOGPULSE_BIN)" % binary)
    mtail = shutil.which("mtail")
    if not mtail:
        raise SystemExit("mtail not found: bash scripts/install-deps.sh --bench")
    counts = [int(c) for c in args.counts.split(",")]
    need = max(counts) + 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(need, soft), hard), hard))

    rows = []
    for n in counts:
        work = tempfile.mkdtemp(prefix="logpulse-idle-")
        try:
            logs = os.path.join(work, "logs")
            os.mkdir(logs)
            paths = [os.path.join(logs, "app-%05d.log" % i) for i in range(n)]
            lp_port, mt_port = free_port(), free_port()
            config = os.path.join(work, "logpulse.yaml")
            with open(config, "w") as f:
                f.write('listen: ["127.0.0.1:%d"]\nstate_dir: %s\n' % (lp_port, os.path.join(work, "state")))
                f.write("sources:\n  - name: idle\n    paths: [%s/*.log]\n    start_at: beginning\n" % logs)
                f.write("rules:\n  - name: idle\n    source: idle\n    match: '^line'\n"
                        "    metrics: [{name: idle_lines_total, type: counter}]\n")
            progs = os.path.join(work, "progs")
            os.mkdir(progs)
            with open(os.path.join(progs, "idle.mtail"), "w") as f:
                f.write(MTAIL_PROG)
            lp = measure("logpulse", [binary, "-c", config, "--log-level", "warn"], lp_port,
                         "idle_lines_total", paths, args.idle, work)
            mt = measure("mtail", [mtail, "--progs", progs, "--logs", logs + "/*.log", "--address", "127.0.0.1",
                                   "--port", str(mt_port), "--logtostderr"], mt_port,
                         "idle_lines_total", paths, args.idle, work)
            rows.append((n, lp, mt))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print("| files | logpulse RSS | per file | mtail RSS | logpulse/mtail RSS | logpulse idle CPU | mtail idle CPU |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, lp, mt in rows:
        print("| %d | %.1f MiB | %.1f KiB | %.1f MiB | %.2f | %.2f%% | %.2f%% |" % (
            n, lp["rss_kib"] / 1024, lp["rss_kib"] / n, mt["rss_kib"] / 1024,
            lp["rss_kib"] / mt["rss_kib"], 100 * lp["idle_cpu"], 100 * mt["idle_cpu"]))
    if len(rows) >= 2:
        (n0, a, _), (n1, b, _) = rows[0], rows[-1]
        print("marginal RSS per file (%d -> %d files): %.1f KiB" % (n0, n1, (b["rss_kib"] - a["rss_kib"]) / (n1 - n0)))


if __name__ == "__main__":
    sys.exit(main())
