#!/usr/bin/env python3
"""Follower basics: start_at end/beginning, partial lines, CRLF, max_line_bytes.

Every scenario runs with the inotify watcher (`watcher: auto`) and forced polling.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
BYTES = "logpulse_bytes_read_total"
CUT = "logpulse_lines_truncated_total"


class Basic:
    def test_start_at_end_skips_existing_content(self):
        log = self.path("app.log")
        self.append(log, self.lines("old", 10))
        d = self.run_daemon([self.source([log], start_at="end")])
        d.assert_stays(LINES, 0, source="app")
        new = self.lines("new", 3)
        self.append(log, new)
        d.settle(LINES, 3, source="app")
        self.assertEqual(d.value(BYTES, source="app"), len(new))
        self.assertEqual(d.value("logpulse_files_followed", source="app"), 1)
        self.assertEqual(d.value("logpulse_file_lag_bytes", source="app", path=log), 0)

    def test_start_at_beginning_reads_existing_content(self):
        log = self.path("app.log")
        old = self.lines("old", 10)
        self.append(log, old)
        d = self.run_daemon([self.source([log], start_at="beginning")])
        d.settle(LINES, 10, source="app")
        self.assertEqual(d.value(BYTES, source="app"), len(old))
        self.append(log, self.lines("new", 5))
        d.settle(LINES, 15, source="app")
        d.wait_value("logpulse_file_lag_bytes", 0, source="app", path=log)

    def test_start_at_end_does_not_apply_to_files_that_appear_later(self):
        d = self.run_daemon([self.source([self.path("*.log")], start_at="end")])
        log = self.path("late.log")
        self.append(log, self.lines("late", 4))
        d.settle(LINES, 4, source="app")

    def test_partial_line_is_held_until_newline(self):
        log = self.path("app.log")
        self.append(log, "")
        d = self.run_daemon([self.source([log])])
        self.append(log, "abc")
        d.assert_stays(LINES, 0, source="app")
        self.assertEqual(d.value(BYTES, source="app"), 0)
        self.append(log, "def\n")
        d.settle(LINES, 1, source="app")
        self.assertEqual(d.value(BYTES, source="app"), 7)

    def test_partial_line_in_many_small_writes(self):
        log = self.path("app.log")
        self.append(log, "")
        d = self.run_daemon([self.source([log])])
        for ch in "hello world":
            self.append(log, ch)
            time.sleep(0.03)   # scenario pacing: the pieces arrive as separate reads
        d.assert_stays(LINES, 0, duration=0.5, source="app")
        self.append(log, "\nsecond\nthi")
        d.settle(LINES, 2, source="app")
        self.append(log, "rd\n")
        d.settle(LINES, 3, source="app")
        self.assertEqual(d.value(BYTES, source="app"), len("hello world\nsecond\nthird\n"))

    def test_crlf_is_one_line_end(self):
        log = self.path("app.log")
        data = "one\r\ntwo\r\nthree\n"
        self.append(log, data)
        d = self.run_daemon([self.source([log])])
        d.settle(LINES, 3, source="app")
        # A CRLF split across two writes is still one line end.
        self.append(log, "four\r")
        d.assert_stays(LINES, 3, duration=0.5, source="app")
        self.append(log, "\nfive\r\n")
        d.settle(LINES, 5, source="app")

    def test_crlf_bytes_count_the_whole_line_end(self):
        log = self.path("app.log")
        data = "one\r\ntwo\r\n"
        self.append(log, data)
        d = self.run_daemon([self.source([log])])
        d.settle(LINES, 2, source="app")
        # bytes_read_total: bytes of delivered lines including their line end (\r\n).
        self.assertEqual(d.value(BYTES, source="app"), len(data))

    def test_max_line_bytes_cuts_long_line_once(self):
        log = self.path("app.log")
        self.append(log, "")
        d = self.run_daemon([self.source([log], max_line_bytes=100)])
        self.append(log, "x" * 1000 + "\nshort\n")
        d.settle(LINES, 2, source="app")
        self.assertEqual(d.value(CUT, source="app"), 1)
        self.append(log, "after\n" + "y" * 99 + "\n")
        d.settle(LINES, 4, source="app")
        self.assertEqual(d.value(CUT, source="app"), 1)

    def test_max_line_bytes_huge_line_bigger_than_any_buffer(self):
        log = self.path("app.log")
        self.append(log, "")
        d = self.run_daemon([self.source([log], max_line_bytes=1024)])
        self.append(log, "first\n" + "z" * (3 * 1024 * 1024) + "\nlast\n")
        d.settle(LINES, 3, source="app")
        self.assertEqual(d.value(CUT, source="app"), 1)

    def test_max_line_bytes_long_line_arriving_in_pieces(self):
        log = self.path("app.log")
        self.append(log, "")
        d = self.run_daemon([self.source([log], max_line_bytes=100)])
        self.append(log, "a" * 150)
        # Past the limit the cut line is delivered before its newline arrives (memory stays
        # bounded); the rest of it, however long, adds nothing: it counts exactly once.
        d.settle(LINES, 1, source="app")
        self.assertEqual(d.value(CUT, source="app"), 1)
        self.append(log, "b" * 150)
        d.assert_stays(LINES, 1, source="app")
        self.append(log, "c" * 10 + "\nnext\n")
        d.settle(LINES, 2, source="app")
        self.assertEqual(d.value(CUT, source="app"), 1)

    def test_two_sources_are_counted_separately(self):
        a, b = self.path("a.log"), self.path("b.log")
        self.append(a, self.lines("a", 2))
        self.append(b, self.lines("b", 5))
        d = self.run_daemon([self.source([a], name="alpha"), self.source([b], name="beta")])
        d.settle(LINES, 2, source="alpha")
        d.settle(LINES, 5, source="beta")


class BasicAuto(Basic, harness.LogpulseTestCase):
    WATCHER = "auto"


class BasicPoll(Basic, harness.LogpulseTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
