#!/usr/bin/env python3
"""Exact counts under load: many lines in randomly split writes (lines straddle read
buffers and writes), and repeated rename rotations while a writer keeps writing.
Deterministic: the random generator is seeded.
"""
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
BYTES = "logpulse_bytes_read_total"


def make_lines(rng, n):
    out = []
    for i in range(n):
        k = rng.random()
        if k < 0.02:
            body = ""                                   # empty line: still a line
        elif k < 0.05:
            body = "x" * rng.randint(4000, 20000)       # spans read buffers
        else:
            body = "%06d " % i + "y" * rng.randint(0, 200)
        out.append(body + ("\r\n" if k > 0.98 else "\n"))
    return "".join(out).encode()


class Volume:
    def test_burst_with_random_write_boundaries(self):
        rng = random.Random(20261125)
        log = self.path("app.log")
        self.append(log, "")
        d = self.run_daemon([self.source([log])])
        n = 60000
        data = make_lines(rng, n)
        with open(log, "ab", buffering=0) as f:
            pos = 0
            while pos < len(data):
                step = rng.choice((1, 7, 100, 4095, 4096, 4097, 65536, 65537, 300000))
                f.write(data[pos:pos + step])
                pos += step
                if rng.random() < 0.01:
                    time.sleep(0.01)   # scenario pacing: the reader sometimes catches up
        d.settle(LINES, n, timeout=30, source="app")
        self.assertEqual(d.value(BYTES, source="app"), len(data))
        self.assertEqual(d.value("logpulse_lines_truncated_total", source="app"), 0)

    def test_rename_rotations_under_steady_writes(self):
        log = self.path("app.log")
        self.append(log, "")
        d = self.run_daemon([self.source([log], rotate_wait="2s")])
        written = 0
        f = open(log, "ab", buffering=0)
        try:
            for gen in range(1, 6):
                for _ in range(20):
                    f.write(self.lines("g%d" % gen, 25).encode())
                    written += 25
                    time.sleep(0.005)   # scenario pacing: a steady writer, not one burst
                os.rename(log, self.path("app.log.%d" % gen))
                for _ in range(5):                       # the writer has not reopened yet
                    f.write(self.lines("late%d" % gen, 4).encode())
                    written += 4
                    time.sleep(0.01)   # scenario pacing: late writes spread in rotate_wait
                f.close()
                f = open(log, "ab", buffering=0)
        finally:
            f.close()
        self.append(log, self.lines("end", 10))
        written += 10
        d.settle(LINES, written, timeout=20, source="app")
        rotations = d.value("logpulse_rotations_total", source="app")
        # In poll mode two rotations may fall inside one poll period: the file rotated away
        # unseen is found beside the path and counted too.
        self.assertEqual(rotations, 5)


class VolumeAuto(Volume, harness.LogpulseTestCase):
    WATCHER = "auto"


class VolumePoll(Volume, harness.LogpulseTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
