"""Helpers for the window and alert integration tests (test_windows_alerts.py,
test_alertmanager_delivery.py).

Builds on rules_support.py: one access-style rule whose captures feed `windows:`, configs
with `windows`, `alerts`, `alertmanager` and `evaluation_interval`, GET /api/v1/alerts read
and checked against Prometheus' shape, RFC 3339 times, and a real Alertmanager process
(Debian's prometheus-alertmanager) on a loopback port with clustering off and its storage
in the test's temp dir. Python 3 standard library only.
"""

import json
import math
import os
import re
import sys
import time
import urllib.request
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import server_process  # noqa: E402
import rules_support as rs  # noqa: E402

# "METHOD STATUS MS CLIENT", e.g. "GET 500 12.25 10.0.0.7".
ACCESS_MATCH = r'^(?P<method>[A-Z]+) (?P<status>\d{3}) (?P<ms>[0-9.]+) (?P<client>\S+)$'

EVALUATION_INTERVAL = "250ms"


def req(method, status, ms, client):
    """One log line the access rule matches."""
    return "%s %d %s %s\n" % (method, status, _num(ms), client)


def _num(v):
    if isinstance(v, float) and not v.is_integer():
        return repr(v)
    return "%d" % v


def access_rule(source="app", name="access"):
    """The rule windows are defined on, with a counter that shows lines were counted."""
    return {"name": name, "source": source, "match": ACCESS_MATCH,
            "metrics": [{"name": "requests_total", "type": "counter",
                         "help": "Requests by status.", "labels": ["status"]}]}


def series(**labels):
    """The key Metrics.series() uses for a label set."""
    return frozenset(labels.items())


def parse_rfc3339(text):
    """RFC 3339 (any number of fraction digits, Z or +hh:mm) -> seconds since the epoch."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if not m:
        raise AssertionError("not an RFC 3339 time: %r" % (text,))
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    whole = datetime.fromisoformat(m.group(1) + zone).timestamp()
    return whole + (float("0." + m.group(2)) if m.group(2) else 0.0)


# ---------------------------------------------------------------- test case base

class WindowsTestCase(rs.RulesTestCase):
    """RulesTestCase plus configs with windows, alerts and alertmanager."""

    WATCHER = "auto"

    def wa_config(self, log, windows, alerts=(), alertmanager=None,
                  evaluation_interval=EVALUATION_INTERVAL, rules=None, path=None, **top):
        """A config following `log` (source "app", from the beginning) with the access
        rule, `windows`, `alerts` and `alertmanager`, in SPEC.md's order; written to
        `path` (a reload's new version) or to a new file."""
        doc = self.top_level(**top)
        doc["evaluation_interval"] = evaluation_interval
        if alertmanager is not None:
            doc["alertmanager"] = alertmanager
        doc["sources"] = [self.source([log], name="app")]
        doc["rules"] = rules if rules is not None else [access_rule()]
        doc["windows"] = list(windows)
        if alerts:
            doc["alerts"] = list(alerts)
        if path is None:
            self._config_n += 1
            path = os.path.join(self.tmp, "windows%d.yaml" % self._config_n)
        with open(path, "w") as f:
            f.write(rs.to_yaml(doc))
        return path

    def wait_expect(self, d, check, timeout=harness.WAIT):
        """Poll /metrics until check(Metrics) returns no problems (a list of strings);
        return that scrape. On timeout, the last problems are in the message."""
        last = {"problems": ["no scrape yet"]}

        def ok():
            d._check_alive()
            m = d.metrics()
            last["problems"] = check(m)
            return m if not last["problems"] else None
        return harness.wait_for(ok, timeout,
                                message=lambda: "; ".join(last["problems"]),
                                on_timeout=d.stderr_tail)

    def assert_expect_stays(self, d, check, duration=harness.STAY):
        """check(Metrics) has no problems now and for `duration` seconds."""
        deadline = time.monotonic() + duration
        while True:
            problems = check(d.metrics())
            self.assertEqual(problems, [], "changed after settling\n%s" % d.stderr_tail())
            if time.monotonic() >= deadline:
                return
            time.sleep(0.1)

    # -- GET /api/v1/alerts
    def api_alerts(self, d):
        """GET /api/v1/alerts, checked against Prometheus' shape; returns the alert list."""
        d._check_alive()
        status, headers, body = d.get("/api/v1/alerts")
        self.assertEqual(status, 200, "GET /api/v1/alerts -> %d %r" % (status, body[:300]))
        self.assertTrue(headers.get("content-type", "").startswith("application/json"),
                        "content-type %r" % headers.get("content-type"))
        doc = json.loads(body)
        self.assertEqual(doc.get("status"), "success", body)
        self.assertEqual(set(doc), {"status", "data"}, body)
        self.assertEqual(set(doc["data"]), {"alerts"}, body)
        alerts = doc["data"]["alerts"]
        self.assertIsInstance(alerts, list, body)
        for a in alerts:
            keys = set(a)
            required = {"labels", "annotations", "state", "activeAt", "value"}
            self.assertTrue(required <= keys <= required | {"keepFiringSince"},
                            "alert keys %s (Prometheus: %s)" % (sorted(keys), sorted(required)))
            self.assertIn(a["state"], ("pending", "firing"), a)
            self.assertIsInstance(a["value"], str, a)
            self.assertIsInstance(a["labels"], dict, a)
            self.assertIsInstance(a["annotations"], dict, a)
            parse_rfc3339(a["activeAt"])
        return alerts

    def wait_api_alerts(self, d, predicate, message, timeout=harness.WAIT):
        """Poll /api/v1/alerts until predicate(alerts) holds; return those alerts."""
        seen = {"alerts": None}

        def ok():
            d._check_alive()
            seen["alerts"] = self.api_alerts(d)
            return predicate(seen["alerts"])
        harness.wait_for(ok, timeout,
                         message=lambda: "%s; last /api/v1/alerts: %s"
                         % (message, json.dumps(seen["alerts"])),
                         on_timeout=d.stderr_tail)
        return seen["alerts"]


# ---------------------------------------------------------------- a real Alertmanager

ALERTMANAGER = (os.environ.get("LOGPULSE_ALERTMANAGER_BIN")
                or "/usr/bin/prometheus-alertmanager")

# Every alert goes to a receiver that does nothing: the tests read Alertmanager's API.
ALERTMANAGER_YML = 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n'


def require_alertmanager(tc):
    """Skips the test when there is no Alertmanager to run (as alertmanager.real does)."""
    if not (os.path.isfile(ALERTMANAGER) and os.access(ALERTMANAGER, os.X_OK)):
        tc.skipTest("%s not found: install the Debian package prometheus-alertmanager "
                    "(scripts/install-deps.sh --test) or set LOGPULSE_ALERTMANAGER_BIN"
                    % ALERTMANAGER)


class Alertmanager(server_process.ServerProcess):
    """One Alertmanager on 127.0.0.1, clustering off, storage in `directory`.

    start() with port 0 lets the OS choose (read from its "Listening on" log line);
    start(port) binds that port (a restart on the same address). stop() sends SIGTERM and
    asserts a clean exit; the test's cleanup kills whatever is still running."""

    def __init__(self, tc, directory):
        super().__init__(tc, "alertmanager", directory)
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        self.config = os.path.join(self.dir, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write(ALERTMANAGER_YML)

    def start(self, port=0):
        require_alertmanager(self.tc)
        return self.start_process([ALERTMANAGER, "--config.file=" + self.config,
                                   "--storage.path=" + os.path.join(self.dir, "data"),
                                   "--web.listen-address=127.0.0.1:%d" % port,
                                   "--cluster.listen-address=",
                                   "--log.level=info"], port)

    def alerts(self, alertname=None):
        """GET /api/v2/alerts (the active ones), optionally only those named `alertname`."""
        self.alive()
        status, body = self.get("/api/v2/alerts")
        if status != 200:
            raise AssertionError("alertmanager GET /api/v2/alerts -> %d %r" % (status, body))
        alerts = json.loads(body)
        if alertname is not None:
            alerts = [a for a in alerts if a["labels"].get("alertname") == alertname]
        return alerts

    def post(self, alerts):
        """POST /api/v2/alerts (for checking this fixture itself)."""
        data = json.dumps(alerts).encode()
        request = urllib.request.Request(self.url + "/api/v2/alerts", data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status

    def wait_alerts(self, predicate, message, timeout=harness.WAIT, alertname=None,
                    extra=None):
        """Poll /api/v2/alerts until predicate(alerts) holds; return those alerts."""
        seen = {"alerts": None}

        def ok():
            seen["alerts"] = self.alerts(alertname)
            return predicate(seen["alerts"])
        harness.wait_for(ok, timeout,
                         message=lambda: "%s; last alertmanager /api/v2/alerts: %s"
                         % (message, json.dumps(seen["alerts"])),
                         on_timeout=lambda: self.log_tail() + ("\n" + extra() if extra else ""))
        return seen["alerts"]


def rfc3339_millis(t):
    """Seconds since the epoch -> "2026-01-01T00:00:00.000Z" (the v2 API's format)."""
    dt = datetime.fromtimestamp(t, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def _labels_text(key):
    return "{%s}" % ",".join('%s="%s"' % kv for kv in sorted(key))


def family_problems(m, name, expected, rel=None):
    """Differences between the series of `name` in scrape `m` and `expected`
    ({label-set key: value}): missing or extra label sets, and values that differ
    (exactly, or by more than `rel` relative error). An empty list when they agree."""
    got = m.series(name)
    if set(got) != set(expected):
        return ["%s: label sets %s, expected %s" % (
            name, sorted(_labels_text(k) for k in got),
            sorted(_labels_text(k) for k in expected))]
    problems = []
    for key, want in expected.items():
        v = got[key]
        ok = v == want if rel is None else math.isclose(v, want, rel_tol=rel, abs_tol=0.0)
        if not ok:
            problems.append("%s%s = %r, expected %r%s" % (
                name, _labels_text(key), v, want,
                "" if rel is None else " within %g relative" % rel))
    return problems
