#!/usr/bin/env python3
"""A corrupt, half-written or empty checkpoint file is logged and ignored: the daemon
starts, follows (start_at applies again), and writes a good checkpoint next time.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_follow_checkpoint import Checkpoint, state_files  # noqa: E402

LINES = "logpulse_lines_read_total"


class Corrupt:
    restart_settles = Checkpoint.restart_settles

    def _corrupt_restart(self, corrupt):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(LINES, 10, source="app")
        d.stop()
        files = state_files(self.state)
        self.assertTrue(files, "no checkpoint file in state_dir after SIGTERM")
        for f in files:
            corrupt(f)
        d2 = self.start_daemon(cfg)
        # The checkpoint is ignored: start_at beginning reads the 10 lines again, no crash.
        d2.settle(LINES, 10, source="app")
        self.append(log, self.lines("b", 3))
        d2.settle(LINES, 13, source="app")
        self.assertRegex(d2.stderr_text().split("===== start:")[-1].lower(),
                         r"(warn|error|ignor|corrupt|invalid|malformed|bad|fail|discard)"
                         r"[^\n]*checkpoint|checkpoint[^\n]*(warn|error|ignor|corrupt|"
                         r"invalid|malformed|bad|fail|discard)",
                         "the ignored checkpoint should be logged")
        d2.stop()
        d3 = self.start_daemon(cfg)       # and the next checkpoint is good again
        self.restart_settles(d3, 0, 13, source="app")

    def test_corrupt_checkpoint_garbage(self):
        def garbage(path):
            with open(path, "wb") as f:
                f.write(bytes(range(256)) * 7 + b"\x00\xff{[\"garbage")
        self._corrupt_restart(garbage)

    def test_corrupt_checkpoint_half_written(self):
        def half(path):
            size = os.path.getsize(path)
            os.truncate(path, size // 2)
        self._corrupt_restart(half)

    def test_corrupt_checkpoint_empty(self):
        self._corrupt_restart(lambda p: os.truncate(p, 0))



class CorruptAuto(Corrupt, harness.LogpulseTestCase):
    WATCHER = "auto"


class CorruptPoll(Corrupt, harness.LogpulseTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
