"""A real server process that a test starts and stops: Prometheus or Alertmanager (both Go
programs of the Prometheus project, which log where they listen the same way).

ServerProcess(tc, name, directory).start_process(cmd, port) runs `cmd` with its output in
directory/NAME.log; with port 0 the OS chooses and the port is read from the server's
`msg="Listening on" address=127.0.0.1:PORT` log line. The test's cleanup kills whatever is
still running. Python 3 standard library only.
"""

import os
import re
import signal
import subprocess
import urllib.error
import urllib.request

import harness

LISTENING = re.compile(rb'msg="Listening on" address=127\.0\.0\.1:(\d+)')


class ServerProcess:
    def __init__(self, tc, name, directory):
        self.tc = tc
        self.name = name
        self.dir = directory
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, name + ".log")
        self.port = None
        self.proc = None
        self._log = None
        self._log_start = 0
        tc.addCleanup(self.kill)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start_process(self, cmd, port=0):
        """Runs `cmd` (which listens on 127.0.0.1:`port`) until it answers /-/ready."""
        self._log = open(self.log_path, "ab")
        self._log.write(("\n===== start: %s\n" % " ".join(cmd)).encode())
        self._log.flush()
        self._log_start = self._log.tell()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log, start_new_session=True)
        self.port = port or None
        if not port:
            harness.wait_for(self._bound_port, timeout=30,
                             message="%s never said where it listens" % self.name,
                             on_timeout=self.log_tail)
        harness.wait_for(lambda: self.alive() and self.get("/-/ready")[0] == 200, timeout=60,
                         message="%s never became ready" % self.name, on_timeout=self.log_tail)
        return self

    def _bound_port(self):
        self.alive()
        with open(self.log_path, "rb") as f:
            f.seek(self._log_start)
            m = LISTENING.search(f.read())
        if m:
            self.port = int(m.group(1))
        return self.port

    def alive(self):
        if self.proc.poll() is not None:
            raise harness._Fatal("%s exited with %s\n%s" % (self.name, self.proc.returncode, self.log_tail()))
        return True

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM; asserts that it exits 0 within 30 s."""
        self.tc.assertTrue(self.running(), "%s is not running" % self.name)
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
            self.tc.fail("%s did not exit within 30s of SIGTERM\n%s" % (self.name, self.log_tail()))
        self._close_log()
        self.tc.assertEqual(code, 0, "%s exit code\n%s" % (self.name, self.log_tail()))

    def kill(self):
        if self.running():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            lines = []
        return "--- %s log (%s) ---\n%s\n--- end ---" % (self.name, self.log_path, "\n".join(lines[-n:]))

    def get(self, path):
        """GET path: (status, body bytes); an HTTP error status is returned, not raised."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
