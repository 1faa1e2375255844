#!/usr/bin/env python3
"""HTTP surface of the daemon: /-/healthy, /-/ready, /metrics, 404, 405, build_info."""
import gzip
import os
import re
import signal
import socket
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

    def head_request(self, sock, path, extra=b""):
        """Send HEAD on a raw socket; return (status line, {header: value}) once the
        headers have arrived, and the bytes received after them."""
        sock.sendall(b"HEAD " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            self.assertTrue(chunk, "connection closed before the end of the headers: %r" % data)
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return lines[0], headers, rest

    def test_head_metrics_keep_alive_sends_no_body(self):
        self.d.settle("logpulse_lines_read_total", 3, source="app", duration=0.2)
        get_length = len(self.d.get("/metrics")[2])
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            status, headers, rest = self.head_request(s, b"/metrics")
            self.assertEqual(status, "HTTP/1.1 200 OK")
            # Content-Length is what a GET would send (the same, idle, metrics).
            self.assertEqual(int(headers["content-length"]), get_length, headers)
            self.assertEqual(rest, b"", "body bytes arrived with the HEAD headers")
            # A body sent late would arrive within this short read; the wait is the claim
            # ("nothing comes"), not a wait for something to happen.
            s.settimeout(0.3)
            with self.assertRaises(socket.timeout, msg="bytes after a HEAD response"):
                s.recv(4096)
            # The connection stays usable, and the next response starts at its status line.
            s.settimeout(5)
            s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200 "))

    def test_head_metrics_closed_connection_sends_no_body(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            status, headers, rest = self.head_request(s, b"/metrics", b"Connection: close\r\n")
            self.assertEqual(status, "HTTP/1.1 200 OK")
            self.assertGreater(int(headers["content-length"]), 0, headers)
            self.assertEqual(rest, b"")
            tail = b""
            while True:   # until the server closes: everything after the headers
                chunk = s.recv(4096)
                if not chunk:
                    break
                tail += chunk
            self.assertEqual(tail, b"", "body bytes after a HEAD response")

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
                     "logpulse_checkpoint_errors_total", "logpulse_build_info"):
            self.assertIn(name, names, "self-metric %s missing from /metrics" % name)
        text = body.decode()
        for counter in ("logpulse_lines_read_total", "logpulse_bytes_read_total",
                        "logpulse_rotations_total", "logpulse_truncations_total",
                        "logpulse_lines_truncated_total", "logpulse_checkpoint_errors_total"):
            self.assertRegex(text, r"(?m)^# TYPE %s counter$" % counter)
        for gauge in ("logpulse_files_followed", "logpulse_file_lag_bytes"):
            self.assertRegex(text, r"(?m)^# TYPE %s gauge$" % gauge)
        self.assertEqual(m.get_value("logpulse_lines_truncated_total", default=None,
                                     source="app"), 0,
                         "a source's counters are exported from the start, at 0")
        self.assertEqual(m.get_value("logpulse_files_followed", source="app"), 1)
        self.assertEqual(m.get_value("logpulse_checkpoint_errors_total", default=None), 0)

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
        d = self.run_daemon([self.source([self.path("x.log")])],
                            listen=[harness.ANY_PORT, harness.ANY_PORT])
        # The listen file names both bound addresses, one a line, in the configured order.
        self.assertEqual(len(d.listen), 2, d.listen)
        self.assertEqual([h for h, _ in d.listen], ["127.0.0.1", "127.0.0.1"])
        self.assertNotEqual(d.ports[0], d.ports[1])
        for port in d.ports:
            self.assertEqual(harness._http(port, "GET", "/-/healthy")[0], 200)
        self.assertIn("listening on http://127.0.0.1:%d" % d.ports[1], d.stderr_text())

    def test_listen_file_is_rewritten_at_each_start(self):
        d = self.run_daemon([self.source([self.path("x.log")])])
        first = d.port
        d.stop()
        with open(os.path.join(self.state, harness.LISTEN_FILE)) as f:
            self.assertEqual(f.read(), "127.0.0.1:%d\n" % first)
        d.start()
        self.assertEqual(d.get("/-/healthy")[0], 200)
        with open(os.path.join(self.state, harness.LISTEN_FILE)) as f:
            self.assertEqual(f.read(), "127.0.0.1:%d\n" % d.port)


if __name__ == "__main__":
    harness.main()
