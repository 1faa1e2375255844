#!/usr/bin/env python3
"""A real Prometheus server scrapes logpulse; `promtool check metrics` accepts real scrapes.

Needs the Debian package `prometheus` (/usr/bin/prometheus, /usr/bin/promtool), which
`scripts/install-deps.sh --test` installs. The Prometheus server listens on a free loopback
port, keeps its TSDB in the test's temp dir, scrapes logpulse every second, and is stopped
by PID in cleanup.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402
import server_process  # noqa: E402

PROMETHEUS = os.environ.get("PROMETHEUS_BIN") or shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = os.environ.get("PROMTOOL_BIN") or shutil.which("promtool") or "/usr/bin/promtool"

VALID = ('10.0.0.%d - - [25/Nov/2024:00:00:00 +0000] "%s /p HTTP/1.1" %d %s "-" "curl/8.0" %s\n')


def access_lines(n, start=0):
    methods = ["GET", "GET", "POST", "PUT"]
    statuses = [200, 200, 404, 500, 204]
    out = []
    for i in range(start, start + n):
        st = statuses[i % len(statuses)]
        size = "-" if st == 204 else str(100 + i)
        out.append(VALID % (i % 250, methods[i % 4], st, size, "%.3f" % ((i % 40) * 0.013)))
    return "".join(out)


class PrometheusServer(server_process.ServerProcess):
    """A Prometheus scraping `targets` every second; port chosen by the OS."""

    def __init__(self, tc, tmp, targets):
        super().__init__(tc, "prometheus", os.path.join(tmp, "prometheus"))
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: logpulse\n"
                    "    static_configs:\n      - targets: [%s]\n"
                    % ", ".join('"%s"' % t for t in targets))

    def start(self):
        return self.start_process([PROMETHEUS, "--config.file=" + self.config,
                                   "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                                   "--web.listen-address=127.0.0.1:0",
                                   "--log.level=info"])

    def query(self, expr):
        """Instant query -> list of (labels dict, float value)."""
        status, body = self.get("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise AssertionError("query %r -> %d %s" % (expr, status, body[:500]))
        return [(r["metric"], float(r["value"][1])) for r in doc["data"]["result"]]

    def scalar(self, expr):
        res = self.query(expr)
        return res[0][1] if len(res) == 1 else None

    def wait_scalar(self, expr, expected, timeout=30, extra=None):
        seen = []

        def ok():
            self.alive()
            v = self.scalar(expr)
            seen[:] = [v]
            return v == expected
        harness.wait_for(ok, timeout, step=0.25,
                         message=lambda: "prometheus: %s expected %s, last %s"
                         % (expr, expected, seen[0] if seen else "<none>"),
                         on_timeout=lambda: self.targets_text() + "\n" + self.log_tail()
                         + ("\n" + extra() if extra else ""))

    def targets_text(self):
        try:
            status, body = self.get("/api/v1/targets")
            doc = json.loads(body)
            return "targets: " + json.dumps([
                {k: t.get(k) for k in ("scrapeUrl", "health", "lastError")}
                for t in doc["data"]["activeTargets"]])
        except Exception as e:  # noqa: BLE001
            return "targets: <%r>" % e


def promtool_check(tc, text):
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                       capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def require_tools(tc):
    for tool in (PROMETHEUS, PROMTOOL):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            tc.fail("%s not found: install the Debian package `prometheus` "
                    "(scripts/install-deps.sh --test)" % tool)


EXTRA_RULES = [
    # Label values with quotes, backslashes, tabs and (repaired) invalid UTF-8.
    {"name": "weird", "source": "access", "match": r'^weird (?P<v>.*)$',
     "metrics": [{"name": "weird_lines_total", "type": "counter",
                  "help": "Lines with odd label values.", "labels": ["v"]}]},
    {"name": "sized", "source": "access", "match": r'^sized n=(?P<n>\d+)$',
     "metrics": [{"name": "sized_bytes", "type": "summary", "value": "n",
                  "help": "Summary of n.", "quantiles": [0.5, 0.9, 0.99]},
                 {"name": "sized_last_bytes", "type": "gauge", "value": "n",
                  "help": "The last n."}]},
]

WEIRD = (b'weird a"quoted"value\n'
         b'weird back\\slash\\\n'
         b'weird latin1 caf\xe9 \xff\xfe\n'
         b'weird mixed "\\\xc3\n'
         b'weird \xe2\x82\xac euro and tab\there\n')


class PrometheusScrape(rs.RulesTestCase):
    WATCHER = "auto"

    def setUp(self):
        super().setUp()
        require_tools(self)

    def rules(self):
        return rs.access_rules("access") + EXTRA_RULES

    def test_real_prometheus_scrapes_counters(self):
        log = self.path("access.log")
        self.append(log, access_lines(40) + "garbage line\n")
        d = self.run_rules_daemon([self.source([log], name="access")], self.rules())
        prom = PrometheusServer(self, self.tmp, ["127.0.0.1:%d" % self.port]).start()
        prom.wait_scalar("sum(http_requests_total)", 40, extra=d.stderr_tail)
        prom.wait_scalar('up{job="logpulse"}', 1)
        # Appended lines arrive in Prometheus within a few scrapes.
        self.append(log, access_lines(60, start=40) + "more garbage\n" + "x\n")
        prom.wait_scalar("sum(http_requests_total)", 100, extra=d.stderr_tail)
        prom.wait_scalar("sum(access_log_unparsed_lines_total)", 3)
        prom.wait_scalar('sum(http_requests_total{method="POST"})', 25)
        prom.wait_scalar('http_request_duration_seconds_count', 100)
        prom.wait_scalar('http_request_duration_seconds_bucket{le="+Inf"}', 100)
        # 204 responses have size "-": no http_response_bytes_total{status="204"} series.
        self.assertEqual(prom.query('http_response_bytes_total{status="204"}'), [])
        expected_bytes = sum(100 + i for i in range(100) if i % 5 != 4)
        prom.wait_scalar("sum(http_response_bytes_total)", expected_bytes)
        # Odd label values survive the trip through Prometheus' parser.
        self.append(log, WEIRD)
        prom.wait_scalar("count(weird_lines_total)", 5, extra=d.stderr_tail)
        values = {m["v"] for m, _ in prom.query("weird_lines_total")}
        self.assertIn('a"quoted"value', values)
        self.assertIn("back\\slash\\", values)
        self.assertIn("latin1 caf\ufffd \ufffd\ufffd", values)
        self.assertIn('mixed "\\\ufffd', values)
        self.assertIn("\u20ac euro and tab\there", values)
        status, body = prom.get("/api/v1/targets")
        targets = json.loads(body)["data"]["activeTargets"]
        self.assertEqual([t["health"] for t in targets], ["up"], prom.targets_text())
        self.assertEqual(targets[0]["lastError"], "", prom.targets_text())

    def scrape_for_promtool(self, extra_rules=()):
        log = self.path("access.log")
        self.append(log, access_lines(200) + "garbage\n")
        self.append(log, WEIRD)
        self.append(log, "".join("sized n=%d\n" % i for i in range(1, 101)))
        d = self.run_rules_daemon([self.source([log], name="access")],
                                  self.rules() + list(extra_rules))
        # Wait on the raw text: this test is about bodies the harness' parser may reject.
        want = b'logpulse_lines_read_total{source="access"} %d\n' % (201 + 5 + 100)
        last = b'sized_bytes_count 100\n'   # the last lines' rule has seen them all
        harness.wait_for(lambda: d.alive() and all(x in rs.raw_scrape(d)[2] for x in (want, last)),
                         message="scrape never showed %r and %r" % (want, last),
                         on_timeout=d.stderr_tail)
        status, headers, body = rs.raw_scrape(d)
        self.assertEqual(status, 200)
        return d, body

    def test_promtool_accepts_a_real_scrape(self):
        d, body = self.scrape_for_promtool()
        text = body.decode("utf-8")
        # The scrape holds every metric type this test is about.
        for needle in ("# TYPE http_request_duration_seconds histogram",
                       "# TYPE sized_bytes summary", 'sized_bytes{quantile="0.99"}',
                       "# TYPE sized_last_bytes gauge", 'a\\"quoted\\"value',
                       "back\\\\slash\\\\", "caf\ufffd"):
            self.assertIn(needle, text)
        code, out = promtool_check(self, body)
        self.assertEqual(code, 0, "promtool check metrics failed:\n%s" % out)

    def test_promtool_accepts_gzip_scrape_after_decoding(self):
        import gzip
        d, _ = self.scrape_for_promtool()
        status, headers, body = rs.raw_scrape(d, gzip_ok=True)
        self.assertEqual(headers.get("content-encoding"), "gzip")
        code, out = promtool_check(self, gzip.decompress(body))
        self.assertEqual(code, 0, "promtool check metrics failed:\n%s" % out)

    def test_promtool_accepts_help_text_with_backslash_and_newline(self):
        extra = [{"name": "helpful", "source": "access", "match": r"^sized",
                  "metrics": [{"name": "helpful_lines_total", "type": "counter",
                               "help": 'Windows path C:\\logs\\app and\na second line'}]}]
        d, body = self.scrape_for_promtool(extra)
        code, out = promtool_check(self, body)
        i = body.find(b"# HELP helpful_lines_total")
        self.assertEqual(code, 0, "promtool check metrics failed:\n%s\nHELP as served: %r"
                         % (out, body[i:i + 90]))


if __name__ == "__main__":
    harness.main()
