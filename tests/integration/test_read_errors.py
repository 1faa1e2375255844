#!/usr/bin/env python3
"""A read that fails on a followed file is a counted, logged (once a minute), retried error,
never a truncation, and the other files go on being read.

The failure is real: the kernel refuses the daemon's reads of one file. The test holds a
fanotify group of class FAN_CLASS_CONTENT with a FAN_ACCESS_PERM mark on the file and
answers FAN_DENY to every read the daemon makes of it, so each read() or pread() fails with
EPERM; it counts its answers, and the daemon's counter must equal that count. This needs
CAP_SYS_ADMIN (root) and a kernel with fanotify permission events; elsewhere it is skipped.
"""
import ctypes
import os
import select
import struct
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
ERRORS = "logpulse_read_errors_total"

FAN_CLOEXEC, FAN_NONBLOCK, FAN_CLASS_CONTENT = 0x1, 0x2, 0x4
FAN_MARK_ADD = 0x1
FAN_ACCESS_PERM = 0x20000
FAN_ALLOW, FAN_DENY = 1, 2
AT_FDCWD = -100
EVENT = struct.Struct("IBBHQii")  # struct fanotify_event_metadata
RESPONSE = struct.Struct("iI")    # struct fanotify_response

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int,
                                ctypes.c_char_p]


class ReadDenier:
    """Denies the reads of `path` by the process deny(pid) names, until allow() (allows
    everything else); counts the reads it denied. The mark must exist before the process
    opens the file: recent kernels send no permission events for files opened earlier."""

    def __init__(self, path):
        self.pid = None
        self.deny = False
        self.denied = 0
        self._lock = threading.Lock()
        self._stop = False
        self.fd = _libc.fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, os.O_RDONLY)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "fanotify_init: " + os.strerror(ctypes.get_errno()))
        if _libc.fanotify_mark(self.fd, FAN_MARK_ADD, FAN_ACCESS_PERM, AT_FDCWD, path.encode()) != 0:
            err = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(err, "fanotify_mark: " + os.strerror(err))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if not ready:
                continue
            try:
                buf = os.read(self.fd, 4096)
            except BlockingIOError:
                continue
            at = 0
            while at < len(buf):
                length, _, _, _, _, event_fd, pid = EVENT.unpack_from(buf, at)
                with self._lock:
                    deny = self.deny and pid == self.pid
                    if deny:
                        self.denied += 1
                os.write(self.fd, RESPONSE.pack(event_fd, FAN_DENY if deny else FAN_ALLOW))
                os.close(event_fd)
                at += length

    def deny_reads_of(self, pid):
        with self._lock:
            self.pid = pid
            self.deny = True

    def allow(self):
        """From now on every read is allowed; returns how many were denied."""
        with self._lock:
            self.deny = False
            return self.denied

    def count(self):
        with self._lock:
            return self.denied

    def close(self):
        self._stop = True
        self._thread.join()
        os.close(self.fd)  # reads still waiting for an answer are allowed


def fanotify_unavailable():
    fd = _libc.fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, os.O_RDONLY)
    if fd < 0:
        return "fanotify_init(FAN_CLASS_CONTENT): " + os.strerror(ctypes.get_errno())
    os.close(fd)
    return None


class ReadErrors(harness.LogpulseTestCase):
    def test_denied_reads_are_counted_logged_once_and_retried(self):
        why = fanotify_unavailable()
        if why:
            self.skipTest("fanotify permission events unavailable (needs root): " + why)
        bad, good = self.path("bad.log"), self.path("good.log")
        self.append(bad, "b1\n")
        self.append(good, "g1\n")
        denier = ReadDenier(bad)
        self.addCleanup(denier.close)
        d = self.run_daemon([self.source([bad, good])])
        d.settle(LINES, 2, source="app")
        denier.deny_reads_of(d.proc.pid)

        # New data in the refused file: every look at it is a failed read.
        self.append(bad, "b2\n")
        harness.wait_for(lambda: denier.count() >= 3, message="fewer than 3 reads of bad.log refused",
                         on_timeout=d.stderr_tail)
        # The other file of the source is read all the while.
        self.append(good, "g2\n")
        d.wait_value(LINES, 3, source="app")
        harness.wait_for(lambda: denier.count() >= 4, message="no read of bad.log after g2",
                         on_timeout=d.stderr_tail)

        denied = denier.allow()
        d.wait_value(ERRORS, denied, source="app")
        # b2 once: the refused reads were errors, not a truncation that reads b1 again.
        d.wait_value(LINES, 4, source="app")
        harness.wait_looks(d, 1)
        self.assertEqual(d.value(ERRORS, source="app"), denied)
        self.assertEqual(d.value(LINES, source="app"), 4)
        self.assertEqual(d.value("logpulse_truncations_total", source="app"), 0)
        logged = [line for line in d.stderr_text_since_start().splitlines()
                  if "reading %s failed" % bad in line]
        self.assertEqual(len(logged), 1, "one log line a minute for %d failed reads:\n%s"
                         % (denied, "\n".join(logged)))
        self.assertIn("Operation not permitted", logged[0])


if __name__ == "__main__":
    harness.main()
