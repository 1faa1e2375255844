#!/usr/bin/env python3
"""watcher: auto falls back to polling when inotify is unavailable, without losing lines.

inotify instances are a per-user resource: a helper process running as `nobody` takes
every instance that user may have (fs.inotify.max_user_instances), then the daemon is
started as `nobody` too, so its inotify_init fails (EMFILE) and it must poll. Nothing
outside the uid `nobody` is affected. Needs root (to switch uid); skipped otherwise.
"""
import ctypes
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
NOBODY = 65534


def hog_inotify_instances_as_nobody():
    """Fork a child (uid nobody) holding all its inotify instances. Returns (pid, count,
    the errno that stopped it)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            libc = ctypes.CDLL(None, use_errno=True)
            fds = []
            err = 0
            while len(fds) < 100000:
                fd = libc.inotify_init1(0)
                if fd < 0:
                    err = ctypes.get_errno()
                    break
                fds.append(fd)
            os.write(w, ("%d %d\n" % (len(fds), err)).encode())
            signal.pause()
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        count, err = (f.readline() or "-1 0").split()
    return pid, int(count), int(err)


class InotifyUnavailable(harness.LogpulseTestCase):
    WATCHER = "auto"
    EXPECT_WATCHER = "poll"   # inotify_init fails before the sources are discovered

    def setUp(self):
        super().setUp()
        self.prefix, why = harness.setpriv_probe()
        if self.prefix is None:
            self.skipTest("needs to run the daemon as nobody: " + why)
        os.chmod(self.tmp, 0o755)
        os.chown(self.state, NOBODY, NOBODY)
        pid, count, err = hog_inotify_instances_as_nobody()
        self.addCleanup(self._reap, pid)
        if count <= 0:
            self.skipTest("could not take nobody's inotify instances: inotify_init1 as nobody: %s"
                          % (os.strerror(err) if err else "the helper died"))

    @staticmethod
    def _reap(pid):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    def test_auto_falls_back_to_polling(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 5))
        cfg = self.config([self.source([self.path("*.log")], rotate_wait="2s")])
        d = self.start_daemon(cfg, prefix=self.prefix)
        d.settle(LINES, 5, source="app")
        self.append(log, "par")
        d.assert_stays(LINES, 5, duration=0.5, source="app")
        self.append(log, "tial\n" + self.lines("b", 3))
        d.settle(LINES, 9, source="app")
        self.append(self.path("new.log"), self.lines("n", 2))      # discovery by rescan
        d.settle(LINES, 11, source="app")
        with open(log, "ab", buffering=0) as old:                   # rename rotation
            os.rename(log, self.path("app.old"))
            old.write(self.lines("late", 2).encode())
            self.append(log, self.lines("c", 4))
        d.settle(LINES, 17, source="app")
        os.truncate(self.path("new.log"), 0)                        # truncation
        self.append(self.path("new.log"), self.lines("t", 1))
        d.settle(LINES, 18, source="app")
        d.assert_watcher("poll")
        self.assertIn("inotify unavailable", d.stderr_text(),
                      "the fallback to polling should be logged")


if __name__ == "__main__":
    harness.main()
