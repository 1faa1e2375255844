#!/usr/bin/env python3
"""1000 files followed at once (inotify and polling)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
N = 1000


class Many:
    def test_thousand_files(self):
        for i in range(N):
            self.append(self.path("f%04d.log" % i), self.lines("f%d" % i, 3))
        d = self.run_daemon([self.source([self.path("*.log")])])
        d.wait_value("logpulse_files_followed", N, timeout=30, source="app")
        d.settle(LINES, 3 * N, timeout=30, source="app")
        for i in range(N):
            self.append(self.path("f%04d.log" % i), self.lines("g%d" % i, 2))
        d.settle(LINES, 5 * N, timeout=30, source="app")
        self.assertEqual(d.value("logpulse_files_followed", source="app"), N)
        lags = d.metrics().find("logpulse_file_lag_bytes", source="app")
        self.assertEqual(len(lags), N, "one lag series per followed file")
        self.assertEqual(sum(lags.values()), 0)

    def test_thousand_files_appear_after_start(self):
        d = self.run_daemon([self.source([self.path("*.log")], start_at="end")])
        for i in range(N):
            self.append(self.path("n%04d.log" % i), self.lines("n%d" % i, 2))
        d.wait_value("logpulse_files_followed", N, timeout=30, source="app")
        d.settle(LINES, 2 * N, timeout=30, source="app")


class ManyAuto(Many, harness.LogpulseTestCase):
    WATCHER = "auto"


class ManyPoll(Many, harness.LogpulseTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
