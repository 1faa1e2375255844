#!/usr/bin/env python3
"""A corrupt, half-written or empty checkpoint file is logged and ignored: the daemon
starts, follows (start_at applies again), and writes a good checkpoint next time.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402
from test_follow_checkpoint import COUNTED, RULES, state_files  # noqa: E402

LINES = "logpulse_lines_read_total"


class Corrupt:
    def _corrupt_restart(self, corrupt):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.rules_config([self.source([log])], RULES)
        d = self.start_daemon(cfg)
        d.settle(COUNTED, 10)
        d.stop()
        files = state_files(self.state)
        self.assertIn(os.path.join(self.state, "checkpoint.v1"), files,
                      "no checkpoint file in state_dir after SIGTERM")
        for f in files:
            if os.path.basename(f).startswith("checkpoint"):
                corrupt(f)
        d2 = self.start_daemon(cfg)
        # The checkpoint (offsets and metric state) is ignored: start_at beginning reads
        # the 10 lines again into fresh metrics; no crash.
        d2.settle(COUNTED, 10)
        d2.settle(LINES, 10, source="app")
        self.append(log, self.lines("b", 3))
        d2.settle(COUNTED, 13)
        self.assertIn("ignoring checkpoint file", d2.stderr_text_since_start(),
                      "the ignored checkpoint should be logged")
        d2.stop()
        d3 = self.start_daemon(cfg)       # and the next checkpoint is good again
        d3.settle(COUNTED, 13)
        d3.settle(LINES, 0, source="app")

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



class CorruptAuto(Corrupt, rs.RulesTestCase):
    WATCHER = "auto"


class CorruptPoll(Corrupt, rs.RulesTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
