#!/usr/bin/env python3
"""Checkpoints and restarts: SIGTERM (exact), kill -9 (nothing lost), a file that shrank
below its checkpoint, corrupt or half-written checkpoint files, a partial line across a
restart, rotation while the daemon was down.

Counters may either start from zero in each process or be restored from the checkpoint
(SPEC: "offsets and metric state are written together"); both are accepted, and every
assertion says which totals each reading means.
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
BYTES = "logpulse_bytes_read_total"


def state_files(state_dir):
    out = []
    for root, _, files in os.walk(state_dir):
        out.extend(os.path.join(root, f) for f in files)
    return out


class Checkpoint:
    def restart_settles(self, d, fresh, cumulative, **labels):
        """After a restart the counter settles at `fresh` (counters restart from 0) or
        `cumulative` (counters restored from the checkpoint); return which."""
        seen = []

        def ok():
            v = d.value(LINES, **labels)
            seen[:] = [v]
            return v in (fresh, cumulative)
        harness.wait_for(ok, message=lambda: "%s: expected %s (fresh) or %s (restored), got %s"
                         % (LINES, fresh, cumulative, seen), on_timeout=d.stderr_tail)
        v = seen[0]
        d.assert_stays(LINES, v, **labels)
        return v

    def test_sigterm_restart_is_exact(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(LINES, 10, source="app")
        d.stop(signal.SIGTERM)
        self.assertTrue(state_files(self.state), "no checkpoint file in state_dir after SIGTERM")
        self.append(log, self.lines("b", 5))      # written while stopped
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 5, 15, source="app")
        self.append(log, self.lines("c", 3))
        self.restart_settles(d2, 8, 18, source="app")
        d2.stop(signal.SIGTERM)

    def test_sigint_writes_checkpoint_and_exits_zero(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 4))
        cfg = self.config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(LINES, 4, source="app")
        d.stop(signal.SIGINT)
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 0, 4, source="app")

    def test_kill9_after_checkpoint_interval_loses_nothing(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(LINES, 10, source="app")
        time.sleep(2.5)  # > 2 checkpoint intervals with nothing new: offset 10 is saved
        age = d.value("logpulse_checkpoint_age_seconds", default=None)
        self.assertIsNotNone(age, "logpulse_checkpoint_age_seconds missing")
        self.assertLess(age, 2.5, "checkpoint_interval is 1s")
        self.assertTrue(state_files(self.state), "no checkpoint file in state_dir")
        d.kill()
        self.append(log, self.lines("b", 5))
        d2 = self.start_daemon(cfg)
        self.append(log, self.lines("c", 3))
        # Nothing lost: at least the 8 new lines (fresh counters) are read. Only lines after
        # the last checkpoint may be re-read after kill -9, and there were none.
        harness.wait_for(lambda: d2.value(LINES, source="app") >= 8,
                         message="lines written around a kill -9 were lost",
                         on_timeout=d2.stderr_tail)
        time.sleep(harness.STAY)
        v = d2.value(LINES, source="app")
        self.assertIn(v, (8, 18), "exact is expected here: the checkpoint was fresh "
                      "(8 fresh counters / 18 restored), got %s" % v)

    def test_kill9_while_writing_loses_nothing(self):
        log = self.path("app.log")
        cfg = self.config([self.source([log])])
        self.append(log, "")
        d = self.start_daemon(cfg)
        for i in range(20):
            self.append(log, self.lines("w%d" % i, 50))
            time.sleep(0.1)
        d.kill()
        self.append(log, self.lines("after", 7))
        d2 = self.start_daemon(cfg)
        # Every line after the last checkpoint is re-read; nothing is lost. Fresh
        # counters: >= the 7 new lines; if counters are restored: >= 1007.
        harness.wait_for(lambda: d2.value(LINES, source="app") >= 7,
                         on_timeout=d2.stderr_tail)
        d2.wait_value("logpulse_file_lag_bytes", 0, source="app", path=log)
        v = d2.value(LINES, source="app")
        self.assertGreaterEqual(v, 7)
        d2.stop()

    def test_file_shrunk_below_checkpoint_is_read_from_zero(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(LINES, 10, source="app")
        d.stop()
        ino = os.stat(log).st_ino
        with open(log, "r+b") as f:   # same inode, same first bytes, shorter
            f.truncate(0)
        self.append(log, self.lines("a", 3))
        self.assertEqual(os.stat(log).st_ino, ino)
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 3, 13, source="app")

    def test_partial_line_across_restart(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 2) + "abc")
        cfg = self.config([self.source([log])])
        d = self.start_daemon(cfg)
        d.settle(LINES, 2, source="app")
        d.stop()
        d2 = self.start_daemon(cfg)
        v0 = self.restart_settles(d2, 0, 2, source="app")
        b0 = d2.value(BYTES, source="app")
        self.append(log, "def\n")
        d2.settle(LINES, v0 + 1, source="app")
        self.assertEqual(d2.value(BYTES, source="app") - b0, 7,
                         "the completed line is 'abcdef\\n', 7 bytes")
        d2.stop()

    def test_rotation_while_stopped(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.config([self.source([self.path("app.log*")])])
        d = self.start_daemon(cfg)
        d.settle(LINES, 10, source="app")
        d.stop()
        self.append(log, self.lines("b", 2))          # unread tail of the old file
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("c", 3))           # new file
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 5, 15, source="app")

    def test_start_at_end_resumes_from_checkpoint(self):
        # With a checkpoint, start_at does not apply: lines written while stopped are read.
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        cfg = self.config([self.source([log], start_at="end")])
        d = self.start_daemon(cfg)
        d.assert_stays(LINES, 0, duration=0.3, source="app")
        self.append(log, self.lines("b", 2))
        d.settle(LINES, 2, source="app")
        d.stop()
        self.append(log, self.lines("c", 4))
        d2 = self.start_daemon(cfg)
        self.restart_settles(d2, 4, 6, source="app")


class CheckpointAuto(Checkpoint, harness.LogpulseTestCase):
    WATCHER = "auto"


class CheckpointPoll(harness.LogpulseTestCase):
    WATCHER = "poll"

    test_sigterm_restart_is_exact = Checkpoint.test_sigterm_restart_is_exact
    test_kill9_after_checkpoint_interval_loses_nothing = \
        Checkpoint.test_kill9_after_checkpoint_interval_loses_nothing
    test_partial_line_across_restart = Checkpoint.test_partial_line_across_restart
    test_rotation_while_stopped = Checkpoint.test_rotation_while_stopped
    restart_settles = Checkpoint.restart_settles


if __name__ == "__main__":
    harness.main()
