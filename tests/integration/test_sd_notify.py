"""systemd integration: sd_notify READY=1 once sources are discovered, WATCHDOG=1 while
WatchdogSec is set, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM. systemd is
stood in for by a datagram socket named in NOTIFY_SOCKET, as systemd itself does it."""

import os
import signal
import socket
import time

import harness


class SdNotify(harness.LogpulseTestCase):
    def setUp(self):
        super().setUp()
        self.sock_path = os.path.join(self.tmp, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(0.1)
        self.addCleanup(self.sock.close)
        self.messages = []

    def receive_until(self, wanted, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.messages.extend(self.sock.recv(4096).decode().split("\n"))
            except socket.timeout:
                pass
            if wanted in self.messages:
                return
        self.fail("no %s from logpulse; got %r" % (wanted, self.messages))

    def test_ready_watchdog_reloading_stopping(self):
        self.append(self.path("a.log"), self.lines("x", 2))
        saved = dict(os.environ)
        os.environ.update(NOTIFY_SOCKET=self.sock_path, WATCHDOG_USEC="400000")
        try:
            d = self.run_daemon([self.source([self.path("a.log")])], wait="healthy")
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.receive_until("READY=1")
        self.receive_until("WATCHDOG=1")
        self.messages.clear()
        d.send_signal(signal.SIGHUP)
        self.receive_until("RELOADING=1")
        self.receive_until("READY=1")
        d.stop(signal.SIGTERM)
        self.receive_until("STOPPING=1")

    def test_plain_log_lines_without_colours(self):
        """Logs go to stderr without colours when it is not a terminal, and without
        timestamps under systemd (journald adds its own)."""
        import re
        self.append(self.path("a.log"), self.lines("x", 1))
        saved = dict(os.environ)
        os.environ["JOURNAL_STREAM"] = "8:12345"
        try:
            d = self.run_daemon([self.source([self.path("a.log")])])
        finally:
            os.environ.clear()
            os.environ.update(saved)
        d.stop()
        journal = [l for l in d.stderr_text().splitlines() if l and not l.startswith("=====")]
        self.assertTrue(journal)
        for line in journal:
            self.assertRegex(line, r"^(trace|debug|info|warning|error|critical) ")
        self.assertNotIn("\x1b[", d.stderr_text())
        d = self.run_daemon([self.source([self.path("a.log")])])
        d.stop()
        second_run = d.stderr_text().rsplit("===== start", 1)[1].splitlines()[1:]
        plain = [l for l in second_run if l]
        self.assertTrue(plain)
        for line in plain:
            self.assertTrue(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} (trace|debug|info|warning|error|critical) ", line),
                            line)
        self.assertNotIn("\x1b[", d.stderr_text())


if __name__ == "__main__":
    harness.main()
