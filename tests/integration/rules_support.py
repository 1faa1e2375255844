"""Helpers for the rule / metric integration tests (test_rules_*.py, test_prometheus_*.py).

Builds on harness.py: configs with `patterns:` and `rules:` (nested maps and lists, which
harness.yaml_config does not render), the project's access-log workload
(tests/workload/: a deterministic generator with the exact totals, and their checker),
`--once` runs and raw scrapes. Python 3 standard library only.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402



WORKLOAD = os.path.join(harness.REPO, "tests", "workload")
GEN = os.path.join(WORKLOAD, "gen_access_log.py")
CHECK_COUNTS = os.path.join(WORKLOAD, "check_counts.py")


def shared_bench_dir():
    """The shared benchmark (../shared/bench beside this checkout), or None: an optional
    cross-check, never needed (LOGPULSE_SHARED_BENCH names another place)."""
    cand = os.environ.get("LOGPULSE_SHARED_BENCH") or os.path.join(
        os.path.dirname(harness.REPO), "shared", "bench")
    if all(os.path.isfile(os.path.join(cand, f)) for f in ("gen_access_log.py", "check_counts.py")):
        return cand
    return None


# The rules of examples/access.yaml (the mtail benchmark program's translation).
ACCESS_MATCH = (r'^\S+ \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ HTTP\/\d\.\d" '
                r'(?P<status>\d{3}) (?P<size>\d+|-) "[^"]*" "[^"]*" '
                r'(?P<request_time>\d+(?:\.\d+)?)$')
ACCESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]


def access_rules(source="access"):
    return [
        {"name": "access", "source": source, "match": ACCESS_MATCH, "metrics": [
            {"name": "http_requests_total", "type": "counter",
             "help": "Requests by method and status.", "labels": ["method", "status"]},
            {"name": "http_response_bytes_total", "type": "counter",
             "help": "Response bytes by status.", "value": "size", "labels": ["status"]},
            {"name": "http_request_duration_seconds", "type": "histogram",
             "help": "Request time.", "value": "request_time", "buckets": ACCESS_BUCKETS},
        ]},
        {"name": "unparsed", "source": source, "unmatched": True, "metrics": [
            {"name": "access_log_unparsed_lines_total", "type": "counter",
             "help": "Lines the access rule did not match."},
        ]},
    ]


# ---------------------------------------------------------------- YAML rendering

def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        # A JSON string is a YAML double-quoted string (same escapes), so regexes with
        # backslashes, quotes and non-ASCII text survive unchanged.
        return json.dumps(v)
    raise TypeError("cannot render %r" % (v,))


def _flow(v):
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (_scalar(k), _flow(x)) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return _scalar(v)


def _block(v, indent):
    pad = " " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if x is None:
                continue
            if isinstance(x, dict) and x and any(isinstance(y, (dict, list)) for y in x.values()):
                out.append("%s%s:" % (pad, k))
                out.extend(_block(x, indent + 2))
            elif isinstance(x, (list, tuple)) and x and all(isinstance(y, dict) for y in x):
                out.append("%s%s:" % (pad, k))
                out.extend(_block(x, indent + 2))
            else:
                out.append("%s%s: %s" % (pad, k, _flow(x)))
    elif isinstance(v, (list, tuple)):
        for x in v:
            if isinstance(x, dict):
                sub = _block(x, indent + 2)
                sub[0] = pad + "- " + sub[0][indent + 2:]
                out.extend(sub)
            else:
                out.append("%s- %s" % (pad, _flow(x)))
    else:
        raise TypeError(v)
    return out


def to_yaml(doc):
    """dict -> block-style YAML (lists of maps as block sequences, the rest in flow style)."""
    return "\n".join(_block(doc, 0)) + "\n"


# ---------------------------------------------------------------- test case base

class RulesTestCase(harness.LogpulseTestCase):
    """LogpulseTestCase plus configs with patterns/rules and --once runs."""

    def rules_config(self, sources, rules, patterns=None, name=None, **top):
        doc = self.top_level(**top)
        if patterns:
            doc["patterns"] = patterns
        doc["sources"] = sources
        doc["rules"] = rules
        self._config_n += 1
        path = os.path.join(self.tmp, name or "rules%d.yaml" % self._config_n)
        with open(path, "w") as f:
            f.write(to_yaml(doc))
        return path

    def run_rules_daemon(self, sources, rules, patterns=None, wait="ready", **top):
        return self.start_daemon(self.rules_config(sources, rules, patterns, **top), wait=wait)

    def once(self, config_path, logs=(), explain=False, timeout=60, expect_code=0):
        """`logpulse -c CFG --once [--explain] LOG...` -> (stdout text, stderr text)."""
        args = ["-c", config_path, "--once"] + (["--explain"] if explain else []) + list(logs)
        r = harness.run_cli(args, timeout=timeout)
        out = r.stdout.decode("utf-8", "replace")
        err = r.stderr.decode("utf-8", "replace")
        if expect_code is not None:
            self.assertEqual(r.returncode, expect_code,
                             "logpulse %s -> exit %d\nstderr:\n%s\nstdout (head):\n%s"
                             % (" ".join(args), r.returncode, err[-3000:], out[:3000]))
        return out, err

    def once_metrics(self, config_path, logs=()):
        out, _ = self.once(config_path, logs)
        return harness.Metrics(harness.parse_metrics(out)), out

    def write_log(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return p


# ---------------------------------------------------------------- workload and scrapes

def generate(out, stats, lines, seed=7, bench_dir=WORKLOAD):
    """Write `lines` lines of the access-log workload to `out` and its totals to `stats`
    (`bench_dir`: tests/workload, or shared_bench_dir() for the cross-check)."""
    subprocess.run([sys.executable, os.path.join(bench_dir, "gen_access_log.py"),
                    "--lines", str(lines), "--seed", str(seed),
                    "--out", out, "--stats", stats], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)


def check_counts(stats, metrics_path, bench_dir=WORKLOAD):
    """Run check_counts.py; returns (exit code, output)."""
    r = subprocess.run([sys.executable, os.path.join(bench_dir, "check_counts.py"), stats,
                        metrics_path], capture_output=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def raw_scrape(daemon, gzip_ok=False):
    """(status, headers, body bytes) of GET /metrics, optionally with Accept-Encoding: gzip."""
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    return daemon.get("/metrics", headers=headers)


def wait_metric(daemon, predicate, timeout=harness.WAIT, message="metric condition"):
    """Wait until predicate(Metrics) is truthy; return the Metrics that satisfied it."""
    box = {}

    def ok():
        daemon._check_alive()
        m = daemon.metrics()
        box["m"] = m
        return m if predicate(m) else None
    return harness.wait_for(ok, timeout, message=message, on_timeout=daemon.stderr_tail)


def total(metrics, name, **labels):
    """Sum of all series of `name` whose labels include `labels`."""
    return sum(metrics.find(name, **labels).values())


def now():
    return time.monotonic()
