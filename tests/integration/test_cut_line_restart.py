"""A line cut at max_line_bytes is delivered once, even when logpulse restarts before the
rest of that line (and its newline) arrives."""

import signal

import harness

LINES = "logpulse_lines_read_total"
CUT = "logpulse_lines_truncated_total"


class CutLineRestart(harness.LogpulseTestCase):
    def test_cut_line_is_not_delivered_again_after_sigterm(self):
        log = self.path("a.log")
        self.append(log, "first\n" + "x" * 300)
        cfg = self.config([self.source([log], max_line_bytes=100)])
        d = self.start_daemon(cfg)
        d.settle(LINES, 2, source="app")   # "first" and the cut line
        self.assertEqual(d.value(CUT, source="app"), 1)
        d.stop(signal.SIGTERM)
        self.append(log, "y" * 200 + "\nnext\n")
        d = self.start_daemon(cfg)
        d.settle(LINES, 1, source="app")   # only "next": the cut line's rest is skipped
        self.assertEqual(d.value(CUT, source="app"), 0)
        d.stop()


if __name__ == "__main__":
    harness.main()
