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


if __name__ == "__main__":
    harness.main()
