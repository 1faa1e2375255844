#!/usr/bin/env python3
"""Rotation: rename (writer keeps writing to the old file), create, copytruncate,
truncation below the offset, rotated names that still match the glob, two rotations
within one poll interval. Every line must be counted exactly once.
"""
import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
ROT = "logpulse_rotations_total"
TRUNC = "logpulse_truncations_total"


class Rotation:
    ROTATE_WAIT = "2s"

    def src(self, paths, **kw):
        kw.setdefault("rotate_wait", self.ROTATE_WAIT)
        return self.source(paths, **kw)

    def test_rename_rotation_writer_keeps_writing_old_file(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 5))
        d = self.run_daemon([self.src([log])])
        d.settle(LINES, 5, source="app")
        with open(log, "ab", buffering=0) as old:
            old.write(self.lines("b", 3).encode())
            os.rename(log, self.path("app.log.1"))
            # The writer has not reopened yet: it keeps appending to the renamed file.
            old.write(self.lines("c", 2).encode())
            d.wait_value(LINES, 5 + 3 + 2, source="app")
            old.write(self.lines("d", 2).encode())
            d.wait_value(LINES, 5 + 3 + 2 + 2, source="app")
            self.append(log, self.lines("e", 4))   # new file at the original name
            old.write(self.lines("f", 1).encode())  # a straggler, still inside rotate_wait
        total = 5 + 3 + 2 + 2 + 4 + 1
        d.settle(LINES, total, source="app")
        self.append(log, self.lines("g", 3))
        d.settle(LINES, total + 3, source="app")
        self.assertEqual(d.value(ROT, source="app"), 1,
                         "one rename rotation should count once")

    def test_create_rotation_new_file_already_has_data(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 4))
        d = self.run_daemon([self.src([log])])
        d.settle(LINES, 4, source="app")
        self.append(log, self.lines("b", 2))      # unread when the rotation happens
        tmp = self.path(".app.log.tmp")
        self.append(tmp, self.lines("c", 7))
        os.rename(log, self.path("app.log.old"))
        os.rename(tmp, log)                       # new file appears with 7 lines at once
        d.settle(LINES, 4 + 2 + 7, source="app")
        self.assertEqual(d.value(ROT, source="app"), 1)
        self.append(log, self.lines("d", 2))
        d.settle(LINES, 15, source="app")

    def test_copytruncate(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        d = self.run_daemon([self.src([log])])
        d.settle(LINES, 10, source="app")
        shutil.copyfile(log, self.path("app.log.1"))  # not matched by the path
        with open(log, "r+b") as f:
            f.truncate(0)
        self.append(log, self.lines("n", 3))     # smaller than the old offset
        d.settle(LINES, 13, source="app")
        d.wait_value(TRUNC, 1, source="app")
        self.append(log, self.lines("m", 20))    # grows past the old offset
        d.settle(LINES, 33, source="app")
        self.assertEqual(d.value(TRUNC, source="app"), 1)

    def test_truncate_below_offset_then_grow(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 10))
        d = self.run_daemon([self.src([log])])
        d.settle(LINES, 10, source="app")
        os.truncate(log, 0)
        d.wait_value(TRUNC, 1, source="app")
        d.assert_stays(LINES, 10, duration=0.3, source="app")
        self.append(log, self.lines("b", 2))
        d.settle(LINES, 12, source="app")
        self.append(log, self.lines("c", 30))
        d.settle(LINES, 42, source="app")
        self.assertEqual(d.value(TRUNC, source="app"), 1)

    def test_rotated_name_still_matches_glob(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 5))
        d = self.run_daemon([self.src([self.path("app.log*")])])
        d.settle(LINES, 5, source="app")
        os.rename(log, self.path("app.log.1"))
        self.append(log, self.lines("b", 3))
        d.settle(LINES, 8, source="app", duration=1.5)  # > rescan_interval: no re-read
        self.append(self.path("app.log.1"), self.lines("c", 2))  # still followed
        d.settle(LINES, 10, source="app")
        self.assertEqual(d.value("logpulse_files_followed", source="app"), 2)

    def test_logrotate_style_chain_rotation_matching_glob(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 5))
        d = self.run_daemon([self.src([self.path("app.log*")])])
        d.settle(LINES, 5, source="app")
        for gen in range(1, 4):
            # shift app.log.N -> app.log.N+1 ... then app.log -> app.log.1, new app.log
            for n in range(gen - 1, 0, -1):
                os.rename(self.path("app.log.%d" % n), self.path("app.log.%d" % (n + 1)))
            os.rename(log, self.path("app.log.1"))
            self.append(log, self.lines("g%d" % gen, gen))
            d.wait_value(LINES, 5 + sum(range(1, gen + 1)), source="app")
        d.settle(LINES, 5 + 1 + 2 + 3, source="app", duration=1.5)


class RotationAuto(Rotation, harness.LogpulseTestCase):
    WATCHER = "auto"


class RotationPoll(Rotation, harness.LogpulseTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
