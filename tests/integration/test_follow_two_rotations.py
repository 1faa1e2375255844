#!/usr/bin/env python3
"""Two rotations within one poll interval (poll mode, poll_interval 1s)."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"


class TwoRotationsInOnePollInterval(harness.LogpulseTestCase):
    """poll_interval 1s; two rotations happen between two polls."""
    WATCHER = "poll"
    POLL_INTERVAL = "1s"

    def test_two_rotations_within_one_poll_interval(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 3))
        d = self.run_daemon([self.source([self.path("app.log*")], rotate_wait="3s")])
        d.settle(LINES, 3, source="app")
        # Both rotations take a few ms, well inside one 1s poll period.
        self.append(log, self.lines("a-unread", 2))
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("b", 2))
        os.rename(self.path("app.log.1"), self.path("app.log.2"))
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("c", 4))
        d.settle(LINES, 3 + 2 + 2 + 4, source="app", duration=2.5)

    def test_two_rotations_within_one_poll_interval_exact_name(self):
        # With an exact path the middle file is never seen by its followed name: it is
        # found beside it (app.log.2, unknown at the previous look) and read whole.
        log = self.path("app.log")
        self.append(log, self.lines("a", 3))
        d = self.run_daemon([self.source([log], rotate_wait="3s")])
        d.settle(LINES, 3, source="app")
        self.append(log, self.lines("a-unread", 2))
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("b", 2))
        os.rename(self.path("app.log.1"), self.path("app.log.2"))
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("c", 4))
        # Stays for most of rotate_wait: no file is read twice while they are drained.
        d.settle(LINES, 3 + 2 + 2 + 4, source="app", duration=2.5)
        self.assertEqual(d.value("logpulse_rotations_total", source="app"), 2)


if __name__ == "__main__":
    harness.main()
