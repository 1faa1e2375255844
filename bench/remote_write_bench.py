#!/usr/bin/env python3
"""Remote write: what encoding and sending samples costs logpulse, against what receiving
them costs a real Prometheus in the same run.

Every figure is CPU time (utime + stime of the whole process, all threads) read from
/proc/PID/stat, divided by wall time or by samples. Two parts, each printed with its
same-run reference:

 (a) Throughput: N series (--series, default 50,000: a counter per distinct key of a
     generated log, plus the self-metrics) sent every --interval (default 1s) to Debian's
     Prometheus (--web.enable-remote-write-receiver, loopback). Over --seconds, logpulse's
     samples sent (logpulse_remote_write_samples_total{outcome="sent"}) per CPU-second of
     logpulse, against Prometheus' samples appended
     (prometheus_tsdb_head_samples_appended_total) per CPU-second of Prometheus. A second
     logpulse on the same log and rules without remote_write runs alongside: its CPU is
     the cost of having the series at all (the evaluation tick, the idle loop), subtracted
     to give the CPU of sampling, encoding and sending alone.
 (b) The steady cost of 10,000 series at write_interval 15s: logpulse's CPU as % of one
     core over --steady-seconds (a multiple of 15 s), with and without remote_write
     (the same two-daemon pairing), and Prometheus receiving. Goal: under 1% of a core.

    python3 bench/remote_write_bench.py [--series 50000] [--interval 1s] [--seconds 30]
                                        [--steady-seconds 90]
    (LOGPULSE_BIN overrides build/logpulse; LOGPULSE_PROMETHEUS_BIN /usr/bin/prometheus)

Prints only; asserts nothing. Python 3 standard library; processes listen on 127.0.0.1
(ports chosen by the OS) and are stopped at the end.
"""
import argparse
import json
import os
import re
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
BINARY = os.environ.get("LOGPULSE_BIN") or os.path.join(REPO, "build", "logpulse")
PROMETHEUS = os.environ.get("LOGPULSE_PROMETHEUS_BIN") or "/usr/bin/prometheus"
TICK = os.sysconf("SC_CLK_TCK")

CONFIG = """listen: ["127.0.0.1:0"]
state_dir: {state}
sources: [{{name: keys, paths: ["{log}"], start_at: beginning}}]
rules:
  - name: keys
    source: keys
    match: '^(?P<key>k[0-9]+) '
    max_series: {max_series}
    metrics:
      - {{name: bench_events_total, type: counter, help: "Events by key.", labels: [key]}}
{remote_write}"""
REMOTE_WRITE = """remote_write:
  - url: {url}
    write_interval: {interval}
    external_labels: {{bench: "{name}"}}
"""


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    # After the command: state is field 3, utime field 14, stime field 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / TICK


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit("timed out waiting for " + what)
        time.sleep(0.1)


def scrape(port, name, **labels):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        m = re.match(r"^(\w+)(\{[^}]*\})? (\S+)", line)
        if not m or m.group(1) != name:
            continue
        if all('%s="%s"' % kv in (m.group(2) or "") for kv in labels.items()):
            total += float(m.group(3))
    return total


class Prometheus:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "prometheus")
        os.makedirs(os.path.join(self.dir, "tsdb"))
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write("scrape_configs: []\n")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(self.dir, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--web.enable-remote-write-receiver",
             "--log.level=warn"], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            start_new_session=True)

        def ready():
            with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=2) as r:
                return r.status == 200
        wait(ready, 60, "prometheus")

    @property
    def write_url(self):
        return "http://127.0.0.1:%d/api/v1/write" % self.port

    def appended(self):
        return scrape(self.port, "prometheus_tsdb_head_samples_appended_total")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


class Logpulse:
    def __init__(self, tmp, name, log, series, remote_write=""):
        self.name = name
        state = os.path.join(tmp, name)
        os.makedirs(state)
        cfg = os.path.join(tmp, name + ".yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(state=state, log=log, max_series=max(series, 1) + 10, remote_write=remote_write))
        self.stderr = open(os.path.join(tmp, name + ".log"), "wb")
        self.proc = subprocess.Popen([BINARY, "-c", cfg, "--log-level", "warn"], stdin=subprocess.DEVNULL,
                                     stderr=self.stderr, start_new_session=True)
        listen = os.path.join(state, "listen")
        wait(lambda: os.path.exists(listen) and open(listen).read().strip(), 30, name + " listening")
        self.port = int(open(listen).read().split()[0].rpartition(":")[2])

    def value(self, name, **labels):
        return scrape(self.port, name, **labels)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def write_log(path, series):
    with open(path, "w") as f:
        for i in range(series):
            f.write("k%d event\n" % i)


def measure(procs, seconds, before=None, after=None):
    """CPU seconds of each process over `seconds` of wall time, and what before/after read."""
    start_values = before() if before else None
    start_cpu = [cpu_seconds(p.pid) for p in procs]
    t0 = time.monotonic()
    time.sleep(seconds)  # the measurement window itself, not a wait for a condition
    cpu = [cpu_seconds(p.pid) - c for p, c in zip(procs, start_cpu)]
    wall = time.monotonic() - t0
    end_values = after() if after else None
    return cpu, wall, start_values, end_values


def run_pair(tmp, tag, series, interval, prom, seconds, warmup):
    log = os.path.join(tmp, tag + ".log")
    write_log(log, series)
    sender = Logpulse(tmp, tag + "-rw", log, series,
                      REMOTE_WRITE.format(url=prom.write_url, interval=interval, name=tag))
    idle = Logpulse(tmp, tag + "-idle", log, series)
    try:
        for d in (sender, idle):
            wait(lambda d=d: d.value("logpulse_lines_read_total") >= series, 120, d.name + " reading the log")
        wait(lambda: sender.value("logpulse_remote_write_samples_total", outcome="sent") >= series, 120,
             "the first samples at prometheus")
        time.sleep(warmup)  # a settling period: the first batches and the TSDB's head start-up

        def counts():
            return (sender.value("logpulse_remote_write_samples_total", outcome="sent"), prom.appended())
        cpu, wall, (sent0, app0), (sent1, app1) = measure([sender.proc, idle.proc, prom.proc], seconds,
                                                          counts, counts)
        failed = sender.value("logpulse_remote_write_samples_total", outcome="retried")
        return {"cpu_rw": cpu[0], "cpu_idle": cpu[1], "cpu_prom": cpu[2], "wall": wall,
                "sent": sent1 - sent0, "appended": app1 - app0, "retried": failed}
    finally:
        sender.stop()
        idle.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=50000)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--steady-seconds", type=float, default=90)
    args = ap.parse_args()
    if not os.access(PROMETHEUS, os.X_OK):
        sys.exit("%s not found (apt-get install prometheus)" % PROMETHEUS)
    if not os.access(BINARY, os.X_OK):
        sys.exit("%s not found: build the logpulse target" % BINARY)
    with open("/proc/loadavg") as f:
        print("load average at start: %s" % " ".join(f.read().split()[:3]))
    tmp = tempfile.mkdtemp(prefix="logpulse-rw-bench-")
    prom = Prometheus(tmp)
    try:
        a = run_pair(tmp, "throughput", args.series, args.interval, prom, args.seconds, warmup=3)
        lp_rate = a["sent"] / max(a["cpu_rw"], 1e-9)
        lp_net = a["sent"] / max(a["cpu_rw"] - a["cpu_idle"], 1e-9)
        prom_rate = a["appended"] / max(a["cpu_prom"], 1e-9)
        print("\n(a) %d series every %s for %.0f s: %d samples sent, %d appended by Prometheus (%d retried)"
              % (args.series, args.interval, a["wall"], a["sent"], a["appended"], a["retried"]))
        print("    logpulse with remote_write:  %6.2f CPU-s  -> %9.0f samples per CPU-second" % (a["cpu_rw"], lp_rate))
        print("    logpulse without (same log): %6.2f CPU-s  -> net of it, %9.0f samples per CPU-second"
              % (a["cpu_idle"], lp_net))
        print("    Prometheus receiving:        %6.2f CPU-s  -> %9.0f samples per CPU-second" % (a["cpu_prom"], prom_rate))
        print("    ratio logpulse / Prometheus, samples per CPU-second: %.2fx (net: %.2fx)"
              % (lp_rate / max(prom_rate, 1e-9), lp_net / max(prom_rate, 1e-9)))

        steady = max(15.0, round(args.steady_seconds / 15.0) * 15.0)
        b = run_pair(tmp, "steady", 10000, "15s", prom, steady, warmup=1)
        pct = lambda cpu: 100.0 * cpu / b["wall"]  # noqa: E731
        print("\n(b) 10,000 series, write_interval 15s, over %.0f s (%d samples sent):" % (b["wall"], b["sent"]))
        print("    logpulse with remote_write:    %.3f%% of one core" % pct(b["cpu_rw"]))
        print("    logpulse without remote_write: %.3f%% of one core" % pct(b["cpu_idle"]))
        print("    remote write's own share:      %.3f%% of one core (goal: under 1%%)" % (pct(b["cpu_rw"] - b["cpu_idle"])))
        print("    Prometheus receiving them:     %.3f%% of one core; logpulse sending / Prometheus receiving: %.2fx"
              % (pct(b["cpu_prom"]), (b["cpu_rw"] - b["cpu_idle"]) / max(b["cpu_prom"], 1e-9)))
        with open("/proc/loadavg") as f:
            print("\nload average at the end: %s" % " ".join(f.read().split()[:3]))
        print(json.dumps({"a": a, "b": b}))
    finally:
        prom.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
