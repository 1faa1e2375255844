#!/usr/bin/env python3
"""Checkpoints and restarts: SIGTERM (exact), kill -9 (nothing lost), a file that shrank
below its checkpoint, corrupt or half-written checkpoint files, a partial line across a
restart, rotation while the daemon was down.

Exactness is read on a rule counter (every line matches it): rule metric state is written
with the offsets and restored at start, so it counts every line once across restarts.
Self-metrics (logpulse_lines_read_total) start from 0 in each process: they say what the
new process read, which pins what was NOT read again.
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402

LINES = "logpulse_lines_read_total"
BYTES = "logpulse_bytes_read_total"
COUNTED = "app_lines_total"
RULES = [{"name": "every_line", "source": "app", "match": "^", "metrics": [
    {"name": COUNTED, "type": "counter", "help": "Every line of source app."}]}]
CHECKPOINT = "checkpoint.v1"


def state_files(state_dir):
    out = []
    for root, _, files in os.walk(state_dir):
        out.extend(os.path.join(root, f) for f in files)
    return out


class Checkpoint:
    def checkpoint_config(self, sources):
        return self.rules_config(sources, RULES)

    def restart_settles(self, d, expected):
        """The rule counter reaches exactly `expected` lines and stays there."""
        d.settle(COUNTED, expected)

    def test_sigterm_restart_is_exact(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.checkpoint_config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(COUNTED, 10)
        d.stop(signal.SIGTERM)
        self.assertIn(os.path.join(self.state, CHECKPOINT), state_files(self.state),
                      "no checkpoint file in state_dir after SIGTERM")
        self.append(log, self.lines("b", 5))      # written while stopped
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 15)
        d2.settle(LINES, 5, source="app")         # only the new lines were read
        self.append(log, self.lines("c", 3))
        self.restart_settles(d2, 18)
        d2.stop(signal.SIGTERM)

    def test_sigint_writes_checkpoint_and_exits_zero(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 4))
        cfg = self.checkpoint_config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(COUNTED, 4)
        d.stop(signal.SIGINT)
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 4)
        d2.settle(LINES, 0, source="app")

    def test_kill9_after_checkpoint_interval_loses_nothing(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.checkpoint_config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(COUNTED, 10)
        self.wait_checkpoint_after_now()          # offset 10 and count 10 are saved
        age = d.value("logpulse_checkpoint_age_seconds", default=None)
        self.assertIsNotNone(age, "logpulse_checkpoint_age_seconds missing")
        self.assertLess(age, 2.5, "checkpoint_interval is 1s")
        d.kill()
        self.append(log, self.lines("b", 5))
        d2 = self.start_daemon(cfg)
        self.append(log, self.lines("c", 3))
        # The checkpoint held everything processed: nothing is lost and nothing re-read.
        self.restart_settles(d2, 18)
        d2.settle(LINES, 8, source="app")

    def test_kill9_while_writing_loses_nothing(self):
        log = self.path("app.log")
        cfg = self.checkpoint_config([self.source([log])])
        self.append(log, "")
        d = self.start_daemon(cfg)
        for i in range(20):
            self.append(log, self.lines("w%d" % i, 50))
            # Scenario pacing, not a wait: the writes span two checkpoint intervals, so
            # kill -9 lands between checkpoints with processed-but-unsaved lines.
            time.sleep(0.1)
        d.kill()
        self.append(log, self.lines("after", 7))
        d2 = self.start_daemon(cfg)
        # Lines after the last checkpoint are read again, and the rule metrics restart from
        # that same checkpoint: every line counts exactly once.
        self.restart_settles(d2, 1007)
        d2.wait_value("logpulse_file_lag_bytes", 0, source="app", path=log)
        d2.stop()

    def test_file_shrunk_below_checkpoint_is_read_from_zero(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.checkpoint_config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(COUNTED, 10)
        d.stop()
        ino = os.stat(log).st_ino
        with open(log, "r+b") as f:   # same inode, same first bytes, shorter
            f.truncate(0)
        self.append(log, self.lines("a", 3))
        self.assertEqual(os.stat(log).st_ino, ino)
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 13)
        d2.settle(LINES, 3, source="app")

    def test_partial_line_across_restart(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 2) + "abc")
        cfg = self.checkpoint_config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(COUNTED, 2)
        d.stop()
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 2)
        d2.assert_stays(BYTES, 0, source="app")   # the held "abc" is not delivered yet
        self.append(log, "def\n")
        d2.settle(COUNTED, 3)
        self.assertEqual(d2.value(BYTES, source="app"), 7,
                         "the completed line is 'abcdef\\n', 7 bytes")
        d2.stop()

    def test_rotation_while_stopped(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.checkpoint_config([self.source([self.path("app.log*")])])
        d = self.start_daemon(cfg)
        d.settle(COUNTED, 10)
        d.stop()
        self.append(log, self.lines("b", 2))          # unread tail of the old file
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("c", 3))           # new file
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 15)
        d2.settle(LINES, 5, source="app")

    def test_start_at_end_resumes_from_checkpoint(self):
        # With a checkpoint, start_at does not apply: lines written while stopped are read.
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.checkpoint_config([self.source([log], start_at="end")])
        d = self.start_daemon(cfg)
        # "Stays" is the claim here: start_at end reads none of the 10 existing lines.
        d.assert_stays(COUNTED, 0, duration=0.3)
        self.append(log, self.lines("b", 2))
        d.settle(COUNTED, 2)
        d.stop()
        self.append(log, self.lines("c", 4))
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 6)
        d2.settle(LINES, 4, source="app")


class CheckpointAuto(Checkpoint, rs.RulesTestCase):
    WATCHER = "auto"


class CheckpointPoll(Checkpoint, rs.RulesTestCase):
    WATCHER = "poll"

    # The cases whose timing differs under polling; the rest only repeat the auto ones.
    test_sigint_writes_checkpoint_and_exits_zero = None
    test_kill9_while_writing_loses_nothing = None
    test_file_shrunk_below_checkpoint_is_read_from_zero = None
    test_start_at_end_resumes_from_checkpoint = None


if __name__ == "__main__":
    harness.main()
