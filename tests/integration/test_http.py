#!/usr/bin/env python3
"""HTTP surface of the daemon: /-/healthy, /-/ready, /metrics, 404, 405, build_info."""
import gzip
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Http(harness.LogpulseTestCase):
    WATCHER = "auto"

    def setUp(self):
        super().setUp()
        self.log = self.path("app.log")
        self.append(self.log, self.lines("a", 3))
        self.d = self.run_daemon([self.source([self.log])])

    def test_healthy_and_ready(self):
        self.assertEqual(self.d.get("/-/healthy")[0], 200)
        self.assertEqual(self.d.get("/-/ready")[0], 200)

    def test_unknown_path_is_404(self):
        for path in ("/nope", "/metrics/extra", "/-/unknown", "/api/v1/nothing"):
            self.assertEqual(self.d.get(path)[0], 404, path)

    def test_other_methods_are_405(self):
        for method in ("POST", "PUT", "DELETE"):
            self.assertEqual(self.d.get("/metrics", method=method)[0], 405, method)

    def test_head_metrics(self):
        status, headers, body = self.d.get("/metrics", method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")

    def test_metrics_content_and_self_metrics(self):
        self.d.settle("logpulse_lines_read_total", 3, source="app", duration=0.2)
        status, headers, body = self.d.get("/metrics")
        self.assertEqual(status, 200)
        self.assertRegex(headers.get("content-type", ""), r"^text/plain")
        self.assertIn("version=0.0.4", headers.get("content-type", ""))
        m = self.d.metrics()
        names = {k[0] for k in m}
        for name in ("logpulse_lines_read_total", "logpulse_bytes_read_total",
                     "logpulse_lines_truncated_total", "logpulse_rotations_total",
                     "logpulse_truncations_total", "logpulse_files_followed",
                     "logpulse_file_lag_bytes", "logpulse_checkpoint_age_seconds",
                     "logpulse_build_info"):
            self.assertIn(name, names, "self-metric %s missing from /metrics" % name)
        text = body.decode()
        for counter in ("logpulse_lines_read_total", "logpulse_bytes_read_total",
                        "logpulse_rotations_total", "logpulse_truncations_total",
                        "logpulse_lines_truncated_total"):
            self.assertRegex(text, r"(?m)^# TYPE %s counter$" % counter)
        for gauge in ("logpulse_files_followed", "logpulse_file_lag_bytes"):
            self.assertRegex(text, r"(?m)^# TYPE %s gauge$" % gauge)
        self.assertEqual(m.get_value("logpulse_lines_truncated_total", default=None,
                                     source="app"), 0,
                         "a source's counters are exported from the start, at 0")
        self.assertEqual(m.get_value("logpulse_files_followed", source="app"), 1)

    def test_build_info_matches_version(self):
        r = harness.run_cli(["--version"])
        version = re.search(r"(\d+\.\d+\.\d+\S*)", r.stdout.decode()).group(1)
        info = self.d.metrics().series("logpulse_build_info")
        self.assertEqual(len(info), 1, info)
        labels, value = next(iter(info.items()))
        self.assertEqual(dict(labels).get("version"), version)
        self.assertEqual(value, 1)

    def test_metrics_gzip(self):
        status, headers, body = self.d.get("/metrics", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-encoding"), "gzip")
        text = gzip.decompress(body).decode()
        self.assertIn("logpulse_lines_read_total", text)

    def test_metrics_gzip_tokens_are_case_insensitive_and_q0_refuses(self):
        for value in ("GZIP", "deflate, Gzip;Q=0.5"):
            status, headers, body = self.d.get("/metrics", headers={"Accept-Encoding": value})
            self.assertEqual(headers.get("content-encoding"), "gzip", value)
            self.assertIn("logpulse_lines_read_total", gzip.decompress(body).decode())
        for value in ("gzip;q=0", "gzip;q=0, *"):
            status, headers, body = self.d.get("/metrics", headers={"Accept-Encoding": value})
            self.assertEqual(status, 200)
            self.assertNotIn("content-encoding", headers, value)
            self.assertIn("logpulse_lines_read_total", body.decode())

    def test_absolute_form_target(self):
        # RFC 9112 3.2.2: a server must accept the absolute form (what a client talking to a
        # proxy sends); it names the same resource as its path.
        for target in ("http://127.0.0.1:%d/metrics" % self.port, "http://example.org/-/healthy?x=1"):
            status, headers, body = self.d.get(target)
            self.assertEqual(status, 200, target)
        self.assertEqual(self.d.get("http://127.0.0.1:%d/nope" % self.port)[0], 404)

    def test_sigint_exits_zero(self):
        self.d.stop(signal.SIGINT)


class TwoListeners(harness.LogpulseTestCase):
    def test_two_listen_addresses(self):
        other = harness.free_port()
        d = self.run_daemon([self.source([self.path("x.log")])],
                            listen=["127.0.0.1:%d" % self.port, "127.0.0.1:%d" % other])
        self.assertEqual(harness._http(other, "GET", "/-/healthy")[0], 200)


if __name__ == "__main__":
    harness.main()
