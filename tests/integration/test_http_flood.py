#!/usr/bin/env python3
"""HTTP under abuse (SPEC.md "HTTP": connections beyond a cap are refused without harming
other clients): while one process holds 1,000 idle or slow-dripping connections open and
re-opens each one the daemon closes, scrapes from another connection are answered 200
within one second, every time. Also: at the file-descriptor limit the accept loop neither
spins nor stays stuck.

The flood runs in a child process (so its churn does not hold this process's GIL while a
scrape is timed) for a bounded time, and is stopped and joined by cleanup."""

import http.client
import multiprocessing
import os
import resource
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FLOOD_CONNECTIONS = 1000
FLOOD_MAX_SECONDS = 60
SCRAPES = 20
SCRAPE_DEADLINE = 1.0
DRIP_PERIOD = 0.2


def _flood(port, mode, sources, ready, stop, reopened):
    """Hold FLOOD_CONNECTIONS connections, spread over `sources` addresses; re-open each one
    the server closes. mode "idle" sends nothing; "drip" starts a request and then sends one
    more header byte per connection every DRIP_PERIOD, never finishing."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    selector = selectors.DefaultSelector()
    live = {}

    def open_one(i):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2,
                                         source_address=(sources[i % len(sources)], 0))
            if mode == "drip":
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: flood\r\nX-Drip: ")
            s.setblocking(False)
        except OSError:
            return False
        selector.register(s, selectors.EVENT_READ, i)
        live[i] = s
        return True

    missing = [i for i in range(FLOOD_CONNECTIONS) if not open_one(i)]
    ready.set()
    deadline = time.monotonic() + FLOOD_MAX_SECONDS
    next_drip = time.monotonic()
    count = 0
    while time.monotonic() < deadline and not stop.is_set():
        for key, _ in selector.select(timeout=0.05):
            selector.unregister(key.fileobj)
            key.fileobj.close()
            del live[key.data]
            missing.append(key.data)
            count += 1
        missing = [i for i in missing if not open_one(i)]
        if mode == "drip" and time.monotonic() >= next_drip:
            next_drip += DRIP_PERIOD
            for s in list(live.values()):
                try:
                    s.send(b"x")
                except OSError:
                    pass  # closed by the server; the selector reports it
    for s in live.values():
        s.close()
    reopened.value = count


def _timed_get(port, path):
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        conn.close()


def _cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


class HttpFlood(harness.LogpulseTestCase):
    def setUp(self):
        super().setUp()
        self.append(self.path("a.log"), self.lines("x", 3))
        self.d = self.run_daemon([self.source([self.path("a.log")])])

    def start_flood(self, mode, sources=("127.0.0.1",)):
        context = multiprocessing.get_context("fork")
        ready, stop = context.Event(), context.Event()
        reopened = context.Value("q", 0)
        process = context.Process(target=_flood, args=(self.port, mode, list(sources), ready, stop, reopened),
                                  daemon=True)
        process.start()

        def end():
            stop.set()
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
        self.addCleanup(end)
        self.assertTrue(ready.wait(30), "the flood did not open its connections")
        return end, reopened

    def scrape_during(self, mode, sources=("127.0.0.1",)):
        pid = self.d.proc.pid
        baseline_fds = len(os.listdir("/proc/%d/fd" % pid))
        end, reopened = self.start_flood(mode, sources)
        cpu_before, started = _cpu_ticks(pid), time.monotonic()
        latencies = []
        most_fds = 0
        for i in range(SCRAPES):
            most_fds = max(most_fds, len(os.listdir("/proc/%d/fd" % pid)))
            path = "/metrics" if i % 2 == 0 else "/-/healthy"
            status, elapsed = _timed_get(self.port, path)
            latencies.append(elapsed)
            self.assertEqual(status, 200, path)
            self.assertLess(elapsed, SCRAPE_DEADLINE, "scrape %d of %s took %.3f s" % (i, path, elapsed))
        cpu = (_cpu_ticks(pid) - cpu_before) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - started)
        end()
        self.assertGreater(reopened.value, 0, "the daemon never closed a flood connection")
        # The connection cap (256) holds: descriptors stay bounded whatever the flood.
        self.assertLessEqual(most_fds, baseline_fds + 256 + 2)
        latencies.sort()
        sys.stderr.write("\n  %s flood from %d address(es), %d re-opened: scrape latency median %.1f ms, "
                         "max %.1f ms; daemon CPU %.0f%%, at most %d descriptors\n"
                         % (mode, len(sources), reopened.value, 1000 * latencies[len(latencies) // 2],
                            1000 * latencies[-1], 100 * cpu, most_fds))
        self.assertEqual(self.d.get("/-/healthy")[0], 200)

    def test_idle_flood_from_the_scrapers_address(self):
        self.scrape_during("idle")

    def test_idle_flood_from_many_addresses(self):
        self.scrape_during("idle", ["127.0.0.%d" % i for i in range(1, 17)])

    def test_slow_drip_flood_from_many_addresses(self):
        self.scrape_during("drip", ["127.0.0.%d" % i for i in range(1, 17)])

    def test_slow_drip_flood_from_the_scrapers_address(self):
        self.scrape_during("drip")

    def test_idle_flood_at_the_descriptor_limit(self):
        # 100 descriptors left: accept() fails with EMFILE before the connection bounds.
        pid = self.d.proc.pid
        limit = len(os.listdir("/proc/%d/fd" % pid)) + 100
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
        self.scrape_during("idle")
        self.assertIn("http accept failed: Too many open files", self.d.stderr_text())

    def test_the_last_descriptor_serves_its_connection(self):
        # accept() fails with EMFILE after taking the last descriptor even when no client
        # waits; that must not close the connection just accepted.
        pid = self.d.proc.pid
        steady = min(len(os.listdir("/proc/%d/fd" % pid)) for _ in range(5))
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (steady + 1, hard))
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertIn(b" 200 ", s.recv(4096))

    def test_no_descriptor_left_backs_off_without_spinning_then_recovers(self):
        pid = self.d.proc.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        # One under what is open now (which may count a checkpoint file being written):
        # once that closes, no descriptor is left for accept().
        open_now = len(os.listdir("/proc/%d/fd" % pid))
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (open_now - 1, hard))
        waiting = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        waiting.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        # accept() now fails with EMFILE and there is no connection to close for one.
        harness.wait_for(lambda: "http accept failed" in self.d.stderr_text(),
                         message="no accept failure logged", on_timeout=self.d.stderr_tail)
        before, started = _cpu_ticks(pid), time.monotonic()
        harness.wait_for(lambda: time.monotonic() - started >= 1.0)
        ticks = _cpu_ticks(pid) - before
        self.assertLess(ticks, 0.2 * os.sysconf("SC_CLK_TCK"), "the accept loop spins at EMFILE")
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        self.assertIn(b" 200 ", waiting.recv(4096))
        waiting.close()


if __name__ == "__main__":
    harness.main()
