#!/usr/bin/env python3
"""Alerts delivered to a real Alertmanager (SPEC.md `alertmanager`, HTTP: "POSTed to
/api/v2/alerts as soon as they fire (not while pending), re-sent every resend_interval
while firing, and sent with endsAt when resolved"; self-metric
logpulse_alert_notifications_total{outcome}).

Needs Debian's prometheus-alertmanager (/usr/bin/prometheus-alertmanager, or
LOGPULSE_ALERTMANAGER_BIN), which `scripts/install-deps.sh --test` installs. Each
Alertmanager listens on a loopback port with clustering off (`--cluster.listen-address=`),
keeps its storage in the test's temp dir, routes everything to a receiver that does
nothing, and is read through its own API (GET /api/v2/alerts, which lists active alerts
only: a resolved alert leaves it). Each is stopped by PID in cleanup. Without an
Alertmanager binary the tests are skipped (exit 77), like ctest's alertmanager.real.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import windows_support as ws  # noqa: E402
from windows_support import req  # noqa: E402

NOTIFICATIONS = "logpulse_alert_notifications_total"
LABELS_500 = {"alertname": "TooManyErrors", "severity": "page", "status": "500"}
ANNOTATIONS_3 = {"summary": "3 errors on 500"}


def errors_window(over):
    return {"name": "errors", "rule": "access", "where": {"status": "5.."}, "over": over,
            "agg": "count", "by": ["status"]}


TOO_MANY_ERRORS = {"name": "TooManyErrors", "expr": "errors > 2", "for": "0s",
                   "labels": {"severity": "page"},
                   "annotations": {"summary": "{{ $value }} errors on {{ $labels.status }}"}}


class Delivery(ws.WindowsTestCase):

    def setUp(self):
        super().setUp()
        ws.require_alertmanager(self)

    def alertmanager(self, name="am"):
        return ws.Alertmanager(self, os.path.join(self.tmp, name))

    def assert_delivered(self, am, d):
        """The one TooManyErrors alert in `am`: labels, rendered annotations, active."""
        got = am.wait_alerts(lambda a: a, "TooManyErrors in %s" % am.url,
                             alertname="TooManyErrors", extra=d.stderr_tail)
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["labels"], LABELS_500)
        self.assertEqual(got[0]["annotations"], ANNOTATIONS_3)
        self.assertEqual(got[0]["status"]["state"], "active", got[0])
        return got[0]

    def test_alertmanager_fixture_round_trip(self):
        """Pins the fixture itself: Alertmanager starts on a port the OS chose, lists a
        POSTed alert, drops it from GET /api/v2/alerts once it is sent resolved, exits 0
        on SIGTERM, and starts again on the same port."""
        am = self.alertmanager().start()
        port = am.port
        now = time.time()
        alert = {"labels": {"alertname": "FixtureCheck", "severity": "page"},
                 "annotations": {"summary": "hello"},
                 "startsAt": ws.rfc3339_millis(now - 10),
                 "endsAt": ws.rfc3339_millis(now + 3600)}
        self.assertEqual(am.post([alert]), 200)
        got = am.wait_alerts(lambda a: a, "FixtureCheck listed", alertname="FixtureCheck")
        self.assertEqual(got[0]["labels"], alert["labels"])
        self.assertEqual(got[0]["annotations"], alert["annotations"])
        self.assertEqual(got[0]["status"]["state"], "active")
        self.assertEqual(am.post([dict(alert, endsAt=ws.rfc3339_millis(now - 1))]), 200)
        am.wait_alerts(lambda a: a == [], "FixtureCheck gone once resolved",
                       alertname="FixtureCheck")
        am.stop()
        am.start(port)
        self.assertEqual(am.alerts(), [])
        am.stop()

    def test_firing_alert_delivered_then_resolved(self):
        """Pins delivery with for: 0s: the alert reaches Alertmanager with its labels
        (by labels + rule labels + alertname) and rendered annotations, startsAt = the
        activeAt of /api/v1/alerts (to the millisecond) and endsAt well ahead (Prometheus:
        4 x resend_interval, here 1m); once the 4s window has slid past the lines it is
        sent resolved and leaves Alertmanager's active list;
        logpulse_alert_notifications_total is {sent} 1 then 2 (one alert, one URL, no
        resend within resend_interval), {failed} 0."""
        am = self.alertmanager().start()
        log = self.path("app.log")
        self.append(log, "")
        cfg = self.wa_config(log, [errors_window("4s")], [TOO_MANY_ERRORS],
                             alertmanager={"url": am.url})
        d = self.start_daemon(cfg)
        self.append(log, req("GET", 500, 9, "a") * 3 + req("GET", 503, 9, "a"))
        firing = self.wait_api_alerts(d, lambda a: a and a[0]["state"] == "firing", "firing")
        self.assertEqual(len(firing), 1, firing)
        self.assertEqual(firing[0]["labels"], LABELS_500)

        got = self.assert_delivered(am, d)
        now = time.time()
        self.assertLess(abs(ws.parse_rfc3339(got["startsAt"])
                            - ws.parse_rfc3339(firing[0]["activeAt"])), 0.001,
                        "startsAt %s, activeAt %s" % (got["startsAt"], firing[0]["activeAt"]))
        self.assertGreater(ws.parse_rfc3339(got["endsAt"]), now + 30, got)
        d.wait_value(NOTIFICATIONS, 1, outcome="sent")

        # The lines slide out of the 4s window: resolved, sent with endsAt, gone from the
        # active list (long before the endsAt of the firing notification).
        am.wait_alerts(lambda a: a == [], "TooManyErrors resolved in alertmanager",
                       alertname="TooManyErrors", timeout=4 + harness.WAIT,
                       extra=d.stderr_tail)
        d.wait_value(NOTIFICATIONS, 2, outcome="sent")
        self.assertEqual(self.api_alerts(d), [])
        m = d.metrics()
        self.assertEqual(m.get_value(NOTIFICATIONS, outcome="failed"), 0)
        self.assertEqual(m.get_value("logpulse_alerts", state="firing"), 0)
        self.assertEqual(m.series("ALERTS"), {})

    def test_alertmanager_down_then_back(self):
        """Pins delivery across an Alertmanager outage (resend_interval: 1s): while it is
        down, lines are still counted as they are written and failed notifications are
        counted ({failed} > 0, {sent} 0); once it is back on the same port, the alert
        that fired meanwhile arrives there."""
        am = self.alertmanager().start()
        port = am.port
        log = self.path("app.log")
        self.append(log, req("GET", 200, 1, "a") * 20)
        cfg = self.wa_config(log, [errors_window("1m")], [TOO_MANY_ERRORS],
                             alertmanager={"url": am.url, "resend_interval": "1s"})
        d = self.start_daemon(cfg)
        d.wait_value("requests_total", 20, status="200")
        am.stop()

        self.append(log, req("GET", 500, 9, "a") * 3)
        self.wait_api_alerts(d, lambda a: a and a[0]["state"] == "firing", "firing")
        harness.wait_for(lambda: d.value(NOTIFICATIONS, outcome="failed") > 0,
                         message="no failed notification while alertmanager is down",
                         on_timeout=d.stderr_tail)
        written = 20
        for _ in range(3):
            self.append(log, req("GET", 200, 1, "a") * 50)
            written += 50
            d.wait_value("requests_total", written, status="200")
        m = d.metrics()
        self.assertEqual(m.get_value("requests_total", status="500"), 3)
        self.assertEqual(m.get_value(NOTIFICATIONS, outcome="sent"), 0)
        self.assertGreater(m.get_value(NOTIFICATIONS, outcome="failed"), 0)

        am.start(port)
        self.assert_delivered(am, d)
        harness.wait_for(lambda: d.value(NOTIFICATIONS, outcome="sent") >= 1,
                         message="{sent} never grew", on_timeout=d.stderr_tail)

    def test_every_url_gets_the_alert(self):
        """Pins `urls: [a, b]`: each Alertmanager receives the alert, with its labels and
        rendered annotations."""
        am1 = self.alertmanager("am1").start()
        am2 = self.alertmanager("am2").start()
        log = self.path("app.log")
        self.append(log, "")
        cfg = self.wa_config(log, [errors_window("1m")], [TOO_MANY_ERRORS],
                             alertmanager={"urls": [am1.url, am2.url]})
        d = self.start_daemon(cfg)
        self.append(log, req("GET", 500, 9, "a") * 3)
        self.assert_delivered(am1, d)
        self.assert_delivered(am2, d)
        self.assertEqual(d.value(NOTIFICATIONS, outcome="failed"), 0)


if __name__ == "__main__":
    harness.main()
