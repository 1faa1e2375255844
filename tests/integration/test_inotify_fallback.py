"""inotify unavailable or exhausted: logpulse falls back to polling without losing lines.

The limits are real kernel limits, lowered only inside a user namespace of the daemon's
own (unshare -U -r), so the rest of the machine is untouched: max_inotify_instances = 0
makes inotify_init fail; max_inotify_watches = 1 makes the second directory watch fail
with ENOSPC."""

import os
import shutil
import subprocess
import unittest

import harness

LINES = "logpulse_lines_read_total"


def limited(sysctl, value):
    """A command prefix that runs the daemon in a user namespace with `sysctl` = value."""
    script = 'echo %d > /proc/sys/user/%s && exec "$0" "$@"' % (value, sysctl)
    return ["unshare", "-U", "-r", "sh", "-c", script]


def user_namespace_probe():
    """None when a user namespace with a lowered inotify limit can be made here (tried
    with `true`), else the error. The kernel refuses one to a process in a chroot, and
    some containers (seccomp, user.max_user_namespaces = 0) refuse it too."""
    if shutil.which("unshare") is None:  # util-linux, which scripts/install-deps.sh installs
        raise AssertionError("unshare not found: install util-linux")
    cmd = limited("max_inotify_watches", 1) + ["true"]
    probe = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=30)
    if probe.returncode == 0:
        return None
    return "%s: exit %d: %s" % (" ".join(cmd), probe.returncode, probe.stderr.strip())


class InotifyFallback(harness.LogpulseTestCase):
    WATCHER = "auto"
    EXPECT_WATCHER = "poll"   # the limit is hit while the sources are discovered
    POLL_INTERVAL = "250ms"

    def setUp(self):
        super().setUp()
        refused = user_namespace_probe()
        if refused is not None:
            self.skipTest("the kernel refuses a user namespace here: " + refused)

    def run_limited(self, sysctl, value, dirs):
        sources = [self.source([os.path.join(self.logs, d, "*.log")], name=d) for d in dirs]
        for d in dirs:
            os.makedirs(os.path.join(self.logs, d), exist_ok=True)
        cfg = self.config(sources, poll_interval="250ms")
        return self.start_daemon(cfg, prefix=limited(sysctl, value))

    def test_no_inotify_instance_polls(self):
        d = self.run_limited("max_inotify_instances", 0, ["one"])
        log = os.path.join(self.logs, "one", "a.log")
        self.append(log, self.lines("x", 5))
        d.settle(LINES, 5, source="one")
        self.append(log, self.lines("x", 5, start=5))
        d.settle(LINES, 10, source="one")
        self.assertIn("inotify unavailable", d.stderr_text())
        d.assert_watcher("poll")

    def test_watch_limit_reached_polls_and_loses_nothing(self):
        # Source "many" needs several directory watches: the second one hits the limit.
        dirs = ["d1", "d2", "d3"]
        for sub in dirs:
            os.makedirs(os.path.join(self.logs, "many", sub))
        src = self.source([os.path.join(self.logs, "many", "*", "*.log")], name="many")
        for sub in dirs:
            self.append(os.path.join(self.logs, "many", sub, "a.log"), self.lines(sub, 3))
        cfg = self.config([src], poll_interval="250ms")
        d = self.start_daemon(cfg, prefix=limited("max_inotify_watches", 1))
        d.settle(LINES, 9, source="many")
        for sub in dirs:
            self.append(os.path.join(self.logs, "many", sub, "a.log"), self.lines(sub, 4, start=3))
        os.makedirs(os.path.join(self.logs, "many", "d4"))
        self.append(os.path.join(self.logs, "many", "d4", "a.log"), self.lines("d4", 2))
        d.settle(LINES, 9 + 12 + 2, source="many")
        self.assertIn("watch limit reached", d.stderr_text())
        d.assert_watcher("poll")


if __name__ == "__main__":
    harness.main()
