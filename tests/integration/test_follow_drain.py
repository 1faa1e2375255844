#!/usr/bin/env python3
"""rotate_wait: a renamed or deleted file is drained for a grace period, then closed;
the daemon keeps following the new file at the original name afterwards.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
FOLLOWED = "logpulse_files_followed"


class Drain:
    def test_old_file_closed_after_rotate_wait_new_file_still_followed(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 5))
        d = self.run_daemon([self.source([log], rotate_wait="500ms")])
        d.settle(LINES, 5, source="app", duration=0.2)
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("b", 3))
        d.settle(LINES, 8, source="app", duration=0.2)
        # Well past rotate_wait: the drained file has been closed.
        harness.wait_for(lambda: "app.log.1" not in str(
            d.metrics().find("logpulse_file_lag_bytes", source="app")) and
            d.value(FOLLOWED, source="app") == 1, timeout=10,
            message="the renamed file should be released after rotate_wait",
            on_timeout=d.stderr_tail)
        # The scenario: the new file is not closed with the old one (two rotate_waits).
        d.assert_stays(FOLLOWED, 1, duration=1.0, source="app")
        self.append(log, self.lines("c", 4))
        d.settle(LINES, 12, source="app")
        self.assertEqual(d.value(FOLLOWED, source="app"), 1)

    def test_several_rotations_each_drained_and_closed(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 2))
        d = self.run_daemon([self.source([log], rotate_wait="300ms")])
        d.settle(LINES, 2, source="app", duration=0.2)
        total = 2
        for gen in range(1, 6):
            os.rename(log, self.path("app.log.%d" % gen))
            self.append(log, self.lines("g%d" % gen, gen))
            total += gen
            d.wait_value(LINES, total, source="app")
            d.wait_value(FOLLOWED, 1, source="app")   # the previous file is closed
        d.settle(LINES, total, source="app")
        self.assertEqual(d.value(FOLLOWED, source="app"), 1)
        self.assertEqual(d.value("logpulse_rotations_total", source="app"), 5)

    def test_deleted_file_closed_after_rotate_wait_with_other_files(self):
        a, b = self.path("a.log"), self.path("b.log")
        self.append(a, self.lines("a", 3))
        self.append(b, self.lines("b", 3))
        d = self.run_daemon([self.source([self.path("*.log")], rotate_wait="300ms")])
        d.settle(LINES, 6, source="app", duration=0.2)
        os.unlink(a)
        d.wait_value(FOLLOWED, 1, source="app")
        # The scenario: the other file stays open past the deleted one's rotate_wait.
        d.assert_stays(FOLLOWED, 1, duration=0.8, source="app")
        self.append(b, self.lines("b2", 2))
        d.settle(LINES, 8, source="app")


class DrainAuto(Drain, harness.LogpulseTestCase):
    WATCHER = "auto"


class DrainPoll(Drain, harness.LogpulseTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
