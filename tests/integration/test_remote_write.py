#!/usr/bin/env python3
"""Remote write to a real Prometheus (SPEC.md `remote_write`; self-metrics
logpulse_remote_write_samples_total{url,outcome}, logpulse_remote_write_queue_samples{url},
logpulse_remote_write_last_success_timestamp_seconds{url}).

Needs Debian's prometheus (/usr/bin/prometheus, or LOGPULSE_PROMETHEUS_BIN) started as a
remote-write receiver (--web.enable-remote-write-receiver) on a loopback port chosen by
binding 0, with its TSDB in the test's temp dir and an empty scrape configuration; it is
read through its HTTP API (/api/v1/query) and stopped by PID in cleanup. Without the
binary the Prometheus tests are skipped (exit 77).
"""
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import server_process  # noqa: E402
import windows_support as ws  # noqa: E402
from windows_support import req  # noqa: E402

PROMETHEUS = os.environ.get("LOGPULSE_PROMETHEUS_BIN") or "/usr/bin/prometheus"
SAMPLES = "logpulse_remote_write_samples_total"
QUEUE = "logpulse_remote_write_queue_samples"
HOST_ENV = "LOGPULSE_RW_TEST_HOST"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus(server_process.ServerProcess):
    """One Prometheus on 127.0.0.1:`port`, a remote-write receiver, TSDB in `directory`."""

    def __init__(self, tc, directory):
        super().__init__(tc, "prometheus", directory)
        os.makedirs(os.path.join(self.dir, "tsdb"), exist_ok=True)
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("scrape_configs: []\n")
        self.fixed_port = free_port()  # restarts reuse it: the URL logpulse sends to

    @property
    def write_url(self):
        return "http://127.0.0.1:%d/api/v1/write" % self.fixed_port

    def start(self):
        if not os.access(PROMETHEUS, os.X_OK):
            self.tc.skipTest("%s not found: install Debian's prometheus "
                             "(scripts/install-deps.sh --test)" % PROMETHEUS)
        return self.start_process([PROMETHEUS, "--config.file=" + self.config,
                                   "--storage.tsdb.path=" + os.path.join(self.dir, "tsdb"),
                                   "--web.listen-address=127.0.0.1:%d" % self.fixed_port,
                                   "--web.enable-remote-write-receiver", "--log.level=info"],
                                  self.fixed_port)

    def query(self, expr, at=None):
        """The instant vector of `expr` (at Unix time `at`): [(labels, value)]."""
        params = {"query": expr}
        if at is not None:
            params["time"] = "%.3f" % at
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (self.port, urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        return [(s["metric"], float(s["value"][1])) for s in body["data"]["result"]]


class Refuser(http.server.BaseHTTPRequestHandler):
    """Answers every POST 400, as a receiver refusing a batch for good does."""
    posts = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Refuser.posts.append((time.time(), len(body), dict(self.headers)))
        self.send_response(400)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, *args):
        pass


class RemoteWrite(ws.WindowsTestCase):

    def setUp(self):
        super().setUp()
        os.environ[HOST_ENV] = "rw-host"

    def rw_config(self, log, url, **rw):
        receiver = {"url": url, "write_interval": "1s",
                    "external_labels": {"host": "${%s}" % HOST_ENV, "env": "it"}}
        receiver.update(rw)
        return self.wa_config(log, [], remote_write=[receiver])

    def requests(self, prom, at=None):
        got = prom.query('requests_total{status="200",host="rw-host",env="it"}', at)
        return got[0][1] if got else None

    def test_counter_and_external_labels_arrive(self):
        """Pins the protocol against Prometheus' own receiver: a rule counter arrives with
        its labels and the ${ENV}-expanded external labels, and the self-metrics say so."""
        prom = Prometheus(self, self.path("prom")).start()
        log = self.path("app.log")
        self.append(log, req("GET", 200, 5, "a") * 3)
        d = self.start_daemon(self.rw_config(log, prom.write_url))
        harness.wait_for(lambda: self.requests(prom) == 3, timeout=20,
                         message="requests_total 3 in prometheus", on_timeout=d.stderr_tail)
        got = prom.query('requests_total{status="200"}')
        self.assertEqual(got[0][0]["__name__"], "requests_total")
        self.assertEqual(got[0][0]["host"], "rw-host")
        # Self-metrics are sent too, and count what was sent.
        harness.wait_for(lambda: prom.query('logpulse_lines_read_total{source="app"}'), timeout=10)
        self.assertGreater(d.value(SAMPLES, url=prom.write_url, outcome="sent"), 0)
        self.assertGreater(d.value("logpulse_remote_write_last_success_timestamp_seconds", url=prom.write_url),
                           time.time() - 60)
        self.assertEqual(d.value(SAMPLES, url=prom.write_url, outcome="failed"), 0)

    def test_samples_taken_while_receiver_down_arrive_after_kill_9(self):
        """Pins delivery at least once through an outage and a crash: Prometheus stops,
        lines are appended, logpulse is killed with -9 and restarted while Prometheus is
        still down; once Prometheus is back on the same port and TSDB, the samples taken
        during the outage (from the on-disk queue) are there at their own timestamps."""
        prom = Prometheus(self, self.path("prom")).start()
        log = self.path("app.log")
        self.append(log, req("GET", 200, 5, "a") * 3)
        cfg = self.rw_config(log, prom.write_url)
        d = self.start_daemon(cfg)
        harness.wait_for(lambda: self.requests(prom) == 3, timeout=20, on_timeout=d.stderr_tail)

        prom.stop()
        t_down = time.time()
        self.append(log, req("GET", 200, 5, "a") * 2)
        d.wait_value("requests_total", 5, status="200")
        harness.wait_for(lambda: d.value(QUEUE, url=prom.write_url) > 0, timeout=10)
        queued = d.value(QUEUE, url=prom.write_url)
        # Two more snapshots queued after the counter read 5, then a checkpoint.
        harness.wait_for(lambda: d.value(QUEUE, url=prom.write_url) >= 3 * queued, timeout=15,
                         on_timeout=d.stderr_tail)
        self.wait_checkpoint_after_now()
        d.kill()
        t_kill = time.time()
        segments = os.listdir(os.path.join(self.state, "remote_write"))
        self.assertEqual(len(segments), 1, segments)
        self.assertTrue(os.listdir(os.path.join(self.state, "remote_write", segments[0])))

        d = self.start_daemon(cfg)
        prom.start()
        window = "%dms" % int((t_kill - t_down) * 1000)
        expr = 'max_over_time(requests_total{status="200",host="rw-host"}[%s])' % window

        def outage_samples():
            got = prom.query(expr, at=t_kill)
            return got and got[0][1] == 5

        harness.wait_for(outage_samples, timeout=30, message="the outage's samples in prometheus",
                         on_timeout=lambda: d.stderr_tail() + prom.log_tail())
        count = prom.query('count_over_time(requests_total{status="200",host="rw-host"}[%s])' % window,
                           at=t_kill)
        self.assertGreaterEqual(count[0][1], 3, count)
        harness.wait_for(lambda: d.value(QUEUE, url=prom.write_url) == 0, timeout=20)
        harness.wait_for(lambda: self.requests(prom) == 5, timeout=20)

    def test_a_400_is_not_retried(self):
        """A receiver that answers 400 is not retried forever: each batch is POSTed once,
        counted failed, and the queue empties."""
        Refuser.posts = []
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuser)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = "http://127.0.0.1:%d/api/v1/write" % server.server_address[1]
        log = self.path("app.log")
        self.append(log, req("GET", 200, 5, "a"))
        d = self.start_daemon(self.rw_config(log, url))
        harness.wait_for(lambda: len(Refuser.posts) >= 3, timeout=15, on_timeout=d.stderr_tail)
        headers = Refuser.posts[0][2]
        self.assertEqual(headers.get("Content-Encoding"), "snappy")
        self.assertEqual(headers.get("Content-Type"), "application/x-protobuf")
        self.assertEqual(headers.get("X-Prometheus-Remote-Write-Version"), "0.1.0")
        failed = d.value(SAMPLES, url=url, outcome="failed")
        self.assertGreater(failed, 0)
        self.assertEqual(d.value(SAMPLES, url=url, outcome="retried"), 0)
        # A snapshot is enqueued every write_interval and refused a moment later, so the
        # queue is empty between two snapshots, not at every instant: poll for an empty one.
        harness.wait_for(lambda: d.value(QUEUE, url=url) == 0, timeout=10,
                         on_timeout=d.stderr_tail)
        # One POST per snapshot (write_interval 1s), not a retry loop.
        first, n = Refuser.posts[0][0], len(Refuser.posts)
        time.sleep(2)
        more = [p for p in Refuser.posts if p[0] > first]
        self.assertLessEqual(len(more), n + 3, "POSTs: %d in %.1fs" % (len(more), time.time() - first))
        self.assertGreater(d.value(SAMPLES, url=url, outcome="failed"), failed)


if __name__ == "__main__":
    harness.main()
