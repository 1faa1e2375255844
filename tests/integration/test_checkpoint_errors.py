#!/usr/bin/env python3
"""A checkpoint that cannot be written is counted in logpulse_checkpoint_errors_total and
logged at most once a minute, not at every checkpoint_interval; the daemon goes on, and
writes checkpoints again once the cause is gone.

The cause is real and needs no privileges: the checkpoint's temporary path
(state_dir/checkpoint.v1.tmp) is a directory, so opening it for writing fails (EISDIR).
"""
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ERRORS = "logpulse_checkpoint_errors_total"
LOGGED = "writing the checkpoint failed"


class CheckpointErrors(harness.LogpulseTestCase):
    WATCHER = "auto"
    CHECKPOINT_INTERVAL = "100ms"

    def test_unwritable_checkpoint_is_counted_and_logged_rate_limited(self):
        blocker = os.path.join(self.state, "checkpoint.v1.tmp")
        os.mkdir(blocker)
        log = self.path("app.log")
        self.append(log, self.lines("a", 3))
        d = self.run_daemon([self.source([log])])
        self.assertIsNotNone(d.value(ERRORS, default=None), "%s is not exported" % ERRORS)
        # Ten failed intervals (a second at 100 ms) ...
        harness.wait_for(lambda: d.value(ERRORS) >= 10, message="%s does not rise" % ERRORS,
                         on_timeout=d.stderr_tail)
        # ... and one log line for all of them (the next is allowed after a minute).
        text = d.stderr_text_since_start()
        self.assertEqual(text.count(LOGGED), 1, d.stderr_tail())
        self.assertIn("Is a directory", text)
        self.assertFalse(os.path.exists(os.path.join(self.state, "checkpoint.v1")))
        # Ingestion goes on meanwhile.
        self.append(log, self.lines("b", 2))
        d.settle("logpulse_lines_read_total", 5, source="app")

        os.rmdir(blocker)
        self.wait_checkpoint_after_now()
        harness.wait_for(lambda: "the checkpoint is written again" in d.stderr_text_since_start(),
                         message="recovery not logged", on_timeout=d.stderr_tail)
        # No failure after the recovery: the counter stays where it ended.
        failed = d.value(ERRORS)
        d.assert_stays(ERRORS, failed)
        self.assertEqual(d.stderr_text_since_start().count(LOGGED), 1)
        d.stop(signal.SIGTERM)


if __name__ == "__main__":
    harness.main()
