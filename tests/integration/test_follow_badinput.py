#!/usr/bin/env python3
"""Bad input never stops the daemon: permission denied (retried, delivered after chmod),
NUL bytes and invalid UTF-8 (in lines and in file names), a directory where a file is
expected, the watched directory removed and re-created.
"""
import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
BYTES = "logpulse_bytes_read_total"
READ_ERRORS = "logpulse_read_errors_total"
NOBODY = 65534


class BadInput:
    def test_permission_denied_is_retried_until_chmod(self):
        prefix, why = harness.setpriv_probe()
        if prefix is None and os.geteuid() == 0:
            self.skipTest("root reads a chmod 000 file, and running as nobody fails: " + why)
        if prefix is not None:
            # The unprivileged daemon must reach its config and write its state.
            os.chmod(self.tmp, 0o755)
            os.chown(self.state, NOBODY, NOBODY)
        good, locked = self.path("good.log"), self.path("locked.log")
        self.append(good, self.lines("good", 2))
        self.append(locked, self.lines("locked", 3))
        os.chmod(locked, 0)
        cfg = self.config([self.source([self.path("*.log")])])
        # Readiness may reasonably wait for every file to open; health must not.
        d = self.start_daemon(cfg, wait="healthy", prefix=prefix)
        d.settle(LINES, 2, source="app", duration=1.5)
        self.assertTrue(d.alive())
        os.chmod(locked, 0o644)
        d.settle(LINES, 5, source="app")
        self.append(locked, self.lines("more", 1))
        d.settle(LINES, 6, source="app")
        d.wait_ready()

    def test_permission_denied_exact_path_then_chmod(self):
        prefix, why = harness.setpriv_probe()
        if prefix is None and os.geteuid() == 0:
            self.skipTest("root reads a chmod 000 file, and running as nobody fails: " + why)
        if prefix is not None:
            os.chmod(self.tmp, 0o755)
            os.chown(self.state, NOBODY, NOBODY)
        locked = self.path("locked.log")
        self.append(locked, self.lines("locked", 3))
        os.chmod(locked, 0)
        cfg = self.config([self.source([locked])])
        d = self.start_daemon(cfg, wait="healthy", prefix=prefix)
        d.assert_stays(LINES, 0, duration=1.5, source="app")
        # Each refused open is a read error of the source (retried at each look).
        self.assertGreater(d.value(READ_ERRORS, source="app"), 0)
        os.chmod(locked, 0o644)
        d.settle(LINES, 3, source="app")
        # Opened now: the count stops.
        errors = d.value(READ_ERRORS, source="app")
        d.assert_stays(READ_ERRORS, errors, duration=1.0, source="app")

    def test_nul_bytes_and_invalid_utf8_are_lines(self):
        log = self.path("app.log")
        data = (b"a\x00b\n" + b"\xff\xfe\xfd\n" + b"\xc3\x28 broken two-byte\n" +
                b"\x00\x00\x00\n" + b"\xed\xa0\x80 surrogate\n" + b"ok\n" + b"\x80\r\n")
        self.append(log, data)
        d = self.run_daemon([self.source([log])])
        d.settle(LINES, 7, source="app")
        self.assertEqual(d.value(BYTES, source="app"), len(data))
        self.append(log, b"\x00" * 5000 + b"\n")
        d.settle(LINES, 8, source="app")

    def test_invalid_utf8_file_name_keeps_exposition_valid(self):
        name = os.path.join(os.fsencode(self.logs), b"bad\xff\xfename.log")
        with open(name, "wb") as f:
            f.write(b"one\ntwo\n")
        quote = self.path('quo"te\\back.log')
        self.append(quote, "three\n")
        d = self.run_daemon([self.source([self.path("*.log")])])
        d.settle(LINES, 3, source="app")   # metrics() also checks UTF-8 and the format
        self.assertEqual(d.value("logpulse_files_followed", source="app"), 2)
        lags = d.metrics().find("logpulse_file_lag_bytes", source="app")
        self.assertIn(quote, {dict(k)["path"] for k in lags},
                      "a path with quote and backslash must round-trip through escaping")

    def test_directory_where_file_expected(self):
        bad, good = self.path("app.log"), self.path("good.log")
        os.mkdir(bad)
        self.append(good, self.lines("g", 2))
        d = self.run_daemon([self.source([bad], name="bad"), self.source([good], name="good")])
        d.settle(LINES, 2, source="good")
        self.assertEqual(d.value(LINES, source="bad"), 0)
        self.assertEqual(d.value("logpulse_files_followed", source="bad"), 0)
        # The directory is replaced by a real file: it is followed from 0.
        os.rmdir(bad)
        self.append(bad, self.lines("b", 4))
        d.settle(LINES, 4, source="bad")
        self.append(good, self.lines("g2", 1))
        d.settle(LINES, 3, source="good")

    def test_watched_directory_removed_and_recreated(self):
        self.append(self.path("a.log"), self.lines("a", 3))
        d = self.run_daemon([self.source([self.path("*.log")])])
        d.settle(LINES, 3, source="app")
        shutil.rmtree(self.logs)

        def noticed():   # the deleted file is drained (or already closed), not followed
            files = [f for src in d.sources()["data"]["sources"] for f in src["files"]]
            return all(f["state"] == "draining" for f in files)
        harness.wait_for(noticed, message="the removal of the directory was not noticed",
                         on_timeout=d.stderr_tail)
        self.assertTrue(d.alive())
        os.mkdir(self.logs)
        self.append(self.path("a.log"), self.lines("new-a", 2))
        d.settle(LINES, 5, source="app")
        self.append(self.path("b.log"), self.lines("b", 4))
        d.settle(LINES, 9, source="app")
        d.wait_value("logpulse_files_followed", 2, source="app")

    def test_watched_directory_removed_and_recreated_quickly(self):
        self.append(self.path("a.log"), self.lines("a", 3))
        d = self.run_daemon([self.source([self.path("*.log")])])
        d.settle(LINES, 3, source="app")
        shutil.rmtree(self.logs)
        os.mkdir(self.logs)                 # no pause: the daemon may never see it missing
        self.append(self.path("a.log"), self.lines("new-a", 2))
        d.settle(LINES, 5, source="app")


class BadInputAuto(BadInput, harness.LogpulseTestCase):
    WATCHER = "auto"


class BadInputPoll(BadInput, harness.LogpulseTestCase):
    WATCHER = "poll"


if __name__ == "__main__":
    harness.main()
