"""Shared helpers for logpulse's integration tests.

The tests start the real `logpulse` binary (env LOGPULSE_BIN, default build/logpulse in
this checkout) on real files in a temporary directory and observe it only from the
outside: its HTTP /metrics endpoint, its exit code, and its stderr (kept in the temp dir
and printed when a test fails).

Every daemon listens on 127.0.0.1:0 and the harness reads the port the OS chose from
`state_dir/listen` (one `host:port` a line, written by the daemon after binding), again at
each start, so parallel test runs (`ctest -j`) never race for a port.

Python 3 standard library only. Every daemon a test starts is killed in cleanup, even
when the test fails.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Timing knobs. Waits are generous (a slow CI box must not flake); "stays the same"
# checks are short but cover several poll periods.
WAIT = float(os.environ.get("LOGPULSE_TEST_WAIT", "10"))
STAY = float(os.environ.get("LOGPULSE_TEST_STAY", "0.6"))
POLL_STEP = 0.05


def binary():
    path = os.environ.get("LOGPULSE_BIN") or os.path.join(REPO, "build", "logpulse")
    return path


def require_binary(tc):
    path = binary()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        tc.fail("logpulse binary not found at %s (set LOGPULSE_BIN)" % path)
    return path


ANY_PORT = "127.0.0.1:0"   # the OS chooses; the daemon reports it in state_dir/listen
LISTEN_FILE = "listen"


def parse_listen_file(text):
    """`host:port` lines -> [(host, port)]; IPv6 hosts keep their brackets."""
    out = []
    for line in text.splitlines():
        host, _, port = line.strip().rpartition(":")
        out.append((host, int(port)))
    return out


def wait_for(predicate, timeout=WAIT, step=POLL_STEP, message=None, on_timeout=None):
    """Poll `predicate` every 50 ms until it returns a truthy value; return that value.

    Raises AssertionError after `timeout` seconds, with `message` (or a callable giving
    it) and whatever `on_timeout()` returns appended.
    """
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_exc = None
        except _Fatal:
            raise
        except Exception as e:  # noqa: BLE001 - the predicate may race a starting daemon
            last_exc = e
        if time.monotonic() >= deadline:
            msg = message() if callable(message) else (message or "condition not met")
            msg = "timed out after %.1fs: %s" % (timeout, msg)
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            if on_timeout is not None:
                msg += "\n" + on_timeout()
            raise AssertionError(msg)
        time.sleep(step)


class _Fatal(AssertionError):
    """Raised when waiting is pointless (the daemon died)."""


# ---------------------------------------------------------------- Prometheus text format

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?\s*$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')


def _unescape(v):
    out = []
    i = 0
    while i < len(v):
        c = v[i]
        if c == "\\" and i + 1 < len(v):
            n = v[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _parse_labels(text):
    body = text[1:-1]
    labels = {}
    pos = 0
    body = body.strip()
    while pos < len(body):
        m = _LABEL.match(body, pos)
        if not m:
            raise ValueError("bad label set %r" % text)
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


def _parse_value(s):
    if s in ("+Inf", "Inf"):
        return float("inf")
    if s == "-Inf":
        return float("-inf")
    return float(s)  # NaN parses too


def parse_metrics(text):
    """Prometheus text format -> {(name, frozenset(labels.items())): value}.

    Raises ValueError on anything that is not valid exposition (so a test that scrapes
    also checks the format)."""
    out = {}
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            if not re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]*( .*)?$|^#", line):
                raise ValueError("line %d: bad comment %r" % (lineno, line))
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError("line %d: not a sample: %r" % (lineno, line))
        labels = _parse_labels(m.group(2)) if m.group(2) else {}
        key = (m.group(1), frozenset(labels.items()))
        if key in out:
            raise ValueError("line %d: duplicate series %r" % (lineno, line))
        out[key] = _parse_value(m.group(3))
    return out


class Metrics(dict):
    """Parsed scrape with small accessors."""

    def get_value(self, name, default=0.0, **labels):
        return self.get((name, frozenset(labels.items())), default)

    def series(self, name):
        return {k[1]: v for k, v in self.items() if k[0] == name}

    def find(self, name, **labels):
        """Series of `name` whose labels include `labels`: {frozenset: value}."""
        want = set(labels.items())
        return {k[1]: v for k, v in self.items() if k[0] == name and want <= k[1]}


# ---------------------------------------------------------------- YAML (the subset we need)

_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")


def _yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        if _PLAIN.match(v) and v not in ("true", "false", "null", "yes", "no", "on", "off", "~"):
            return v
        return json.dumps(v)  # JSON strings are YAML double-quoted strings
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(x) for x in v) + "]"
    raise TypeError(v)


def yaml_config(top, sources):
    """Render `top` (ordered dict of scalars/lists) and `sources` (list of dicts) as YAML."""
    lines = []
    for k, v in top.items():
        if v is None:
            continue
        lines.append("%s: %s" % (k, _yaml_scalar(v)))
    lines.append("sources:")
    for src in sources:
        first = True
        for k, v in src.items():
            if v is None:
                continue
            lines.append("%s%s: %s" % ("  - " if first else "    ", k, _yaml_scalar(v)))
            first = False
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the daemon

def _http(port, method, path, headers=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), body
    finally:
        conn.close()


def setpriv_prefix():
    """Command prefix that runs a child as nobody:nogroup, or None if impossible."""
    prefix, _ = setpriv_probe()
    return prefix


def setpriv_probe():
    """(prefix, None) when `prefix + [command]` runs command as nobody:nogroup, tried
    with `true`; (None, why not) when that is impossible here."""
    if os.geteuid() != 0:
        return None, "not root (euid %d): cannot switch to nobody" % os.geteuid()
    tool = shutil.which("setpriv")
    if not tool:  # util-linux, which scripts/install-deps.sh installs
        raise AssertionError("setpriv not found: install util-linux")
    import grp
    import pwd
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None, "no user 'nobody'"
    group = "nogroup"
    try:
        grp.getgrnam(group)
    except KeyError:
        group = "nobody"
        try:
            grp.getgrnam(group)
        except KeyError:
            return None, "no group 'nogroup' or 'nobody'"
    prefix = [tool, "--reuid=nobody", "--regid=" + group, "--clear-groups"]
    probe = subprocess.run(prefix + ["true"], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
    if probe.returncode != 0:
        return None, "%s true: exit %d: %s" % (" ".join(prefix), probe.returncode,
                                                probe.stderr.strip())
    return prefix, None


class Daemon:
    """One logpulse process. Use LogpulseTestCase.start_daemon() to get one."""

    def __init__(self, tc, config_path, log_path, state_dir, prefix=None,
                 extra_args=()):
        self.tc = tc
        self.config_path = config_path
        self.listen = None  # [(host, port)] this process bound, read at each start
        self.log_path = log_path
        self.state_dir = state_dir
        self.prefix = list(prefix or [])
        self.extra_args = list(extra_args)
        self.proc = None
        self._log = None
        self._log_start = 0

    # -- life cycle
    def start(self, wait="ready"):
        cmd = self.prefix + [require_binary(self.tc), "-c", self.config_path,
                             "--log-level", "debug"] + self.extra_args
        # A listen file left by a previous process names its ports, not this one's.
        try:
            os.unlink(os.path.join(self.state_dir, LISTEN_FILE))
        except FileNotFoundError:
            pass
        self.listen = None
        self._log = open(self.log_path, "ab")
        self._log.write(("\n===== start: %s\n" % " ".join(cmd)).encode())
        self._log.flush()
        self._log_start = self._log.tell()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log, start_new_session=True)
        if wait in ("ready", "healthy"):
            self.wait_listening()
        if wait == "ready":
            self.wait_ready()
        elif wait == "healthy":
            self.wait_status("/-/healthy", 200)
        return self

    def wait_listening(self, timeout=WAIT):
        """Wait until this process reported its bound addresses; return [(host, port)].

        They come from state_dir/listen. Only a daemon that says it cannot write that file
        (an unwritable state_dir) is read from its "listening on http://HOST:PORT" lines."""
        path = os.path.join(self.state_dir, LISTEN_FILE)

        def bound():
            self._check_alive()
            try:
                with open(path) as f:
                    return parse_listen_file(f.read()) or None
            except FileNotFoundError:
                pass
            text = self.stderr_text_since_start()
            if "cannot write the listen file" in text:
                found = re.findall(r"listening on http://(\S+):(\d+)", text)
                return [(h, int(p)) for h, p in found] or None
            return None
        self.listen = wait_for(bound, timeout, message="%s never appeared" % path,
                               on_timeout=self.stderr_tail)
        return self.listen

    @property
    def port(self):
        """The port of the first listen address of the running process."""
        if self.listen is None:
            self.wait_listening()
        return self.listen[0][1]

    @property
    def ports(self):
        if self.listen is None:
            self.wait_listening()
        return [p for _, p in self.listen]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise _Fatal("logpulse exited unexpectedly with code %s\n%s"
                         % (self.proc.returncode, self.stderr_tail()))

    def wait_status(self, path, status, timeout=WAIT):
        def ok():
            self._check_alive()
            return self.get(path)[0] == status
        wait_for(ok, timeout, message="GET %s never returned %d" % (path, status),
                 on_timeout=self.stderr_tail)

    def wait_ready(self, timeout=WAIT):
        self.wait_status("/-/ready", 200, timeout)

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=WAIT, expect_code=0):
        """Send `sig` (SIGTERM) and assert the exit code (0)."""
        assert self.proc is not None
        self.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.tc.fail("logpulse did not exit within %.0fs of signal %s\n%s"
                         % (timeout, sig, self.stderr_tail()))
        self._close_log()
        if expect_code is not None:
            self.tc.assertEqual(code, expect_code,
                                "exit code after signal %s\n%s" % (sig, self.stderr_tail()))
        return code

    def kill(self):
        """kill -9 (no checkpoint on the way out)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._close_log()

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- observation
    def get(self, path, method="GET", headers=None):
        return _http(self.port, method, path, headers)

    def metrics(self):
        self._check_alive()
        status, headers, body = self.get("/metrics")
        if status != 200:
            raise AssertionError("GET /metrics -> %d" % status)
        try:
            text = body.decode("utf-8")  # strict: the exposition must be valid UTF-8
        except UnicodeDecodeError as e:
            raise _Fatal("/metrics is not valid UTF-8: %s\n%r" % (e, body[:2000]))
        try:
            return Metrics(parse_metrics(text))
        except ValueError as e:
            raise _Fatal("/metrics is not valid exposition: %s" % e)

    def value(self, name, default=0.0, **labels):
        return self.metrics().get_value(name, default, **labels)

    def sources(self):
        """GET /api/v1/sources, parsed."""
        status, _, body = self.get("/api/v1/sources")
        if status != 200:
            raise AssertionError("GET /api/v1/sources -> %d" % status)
        return json.loads(body)

    def watchers(self):
        """{source name: "inotify" | "poll"} as /api/v1/sources reports it."""
        return {s["name"]: s["watcher"] for s in self.sources()["data"]["sources"]}

    def assert_watcher(self, expected):
        watchers = self.watchers()
        self.tc.assertTrue(watchers, "/api/v1/sources lists no source")
        for name, kind in watchers.items():
            self.tc.assertEqual(kind, expected, "source %r watches with %r, expected %r\n%s"
                                % (name, kind, expected, self.stderr_tail()))

    def stderr_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_text_since_start(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_start)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, n=80):
        lines = self.stderr_text().splitlines()
        return "--- logpulse stderr (last %d of %d lines, %s) ---\n%s\n--- end ---" % (
            min(n, len(lines)), len(lines), self.log_path, "\n".join(lines[-n:]))

    # -- assertions on a counter
    def wait_value(self, name, expected, timeout=WAIT, **labels):
        """Wait until metric `name{labels}` == expected."""
        seen = []

        def ok():
            self._check_alive()
            v = self.value(name, **labels)
            seen[:] = [v]
            return v == expected
        wait_for(ok, timeout,
                 message=lambda: "%s%s: expected %s, last value %s"
                 % (name, labels, expected, seen[0] if seen else "<none>"),
                 on_timeout=self.stderr_tail)

    def assert_stays(self, name, expected, duration=STAY, **labels):
        """Assert metric `name{labels}` == expected now and for `duration` seconds."""
        deadline = time.monotonic() + duration
        while True:
            self._check_alive()
            v = self.value(name, **labels)
            if v != expected:
                raise AssertionError("%s%s: expected to stay %s, got %s\n%s"
                                     % (name, labels, expected, v, self.stderr_tail()))
            if time.monotonic() >= deadline:
                return
            time.sleep(0.1)

    def looks(self, source="app"):
        """Directory looks `source` has completed (logpulse_rescans_total)."""
        return self.value("logpulse_rescans_total", source=source)

    def settle(self, name, expected, timeout=WAIT, duration=STAY, **labels):
        """Wait until the metric reaches `expected`, then assert it stays there."""
        self.wait_value(name, expected, timeout, **labels)
        self.assert_stays(name, expected, duration, **labels)


def wait_looks(daemon, n, source="app", timeout=WAIT):
    """Wait until `n` directory looks of `source` have begun and completed after this call,
    so what the file system held at the call has been seen `n` times. A look may be under
    way when the counter is read (it began before the call): one more is waited for."""
    start = daemon.looks(source)
    seen = [start]

    def ok():
        daemon._check_alive()
        seen[0] = daemon.looks(source)
        return seen[0] >= start + n + 1
    wait_for(ok, timeout,
             message=lambda: "logpulse_rescans_total{source=%r}: expected %d more looks after %d, at %d"
             % (source, n + 1, start, seen[0]),
             on_timeout=daemon.stderr_tail)


class LogpulseTestCase(unittest.TestCase):
    """Base: a fresh temp dir (self.tmp) with logs/ and state/, daemons killed at cleanup."""

    WATCHER = None           # "auto" | "poll" | None (leave out of the config)
    # The watcher every source must report in /api/v1/sources once the daemon is ready:
    # "inotify" unless the class polls, so a silent fallback to polling fails the test.
    # Classes that provoke the fallback themselves set None and check it on their own.
    EXPECT_WATCHER = "default"
    POLL_INTERVAL = "250ms"
    RESCAN_INTERVAL = "1s"
    CHECKPOINT_INTERVAL = "1s"

    def setUp(self):
        require_binary(self)
        self.tmp = tempfile.mkdtemp(prefix="logpulse-it-")
        self.logs = os.path.join(self.tmp, "logs")
        self.state = os.path.join(self.tmp, "state")
        os.mkdir(self.logs)
        os.mkdir(self.state)
        self.daemons = []
        self._config_n = 0
        self.addCleanup(self._cleanup)

    @property
    def port(self):
        """The port of the daemon started last (a restart binds a new one)."""
        if not self.daemons:
            raise AssertionError("no daemon started yet: its port is chosen by the OS")
        return self.daemons[-1].port

    def _failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return True
        if not getattr(outcome, "success", True):
            return True
        result = getattr(outcome, "result", None)
        for attr in ("failures", "errors"):
            for test, _ in getattr(result, attr, []) or []:
                if test is self or getattr(test, "test_case", None) is self:
                    return True
        return False

    def _cleanup(self):
        for d in self.daemons:
            d.kill()
        if self._failed():
            for d in self.daemons:
                sys.stderr.write("\n[%s] %s\n" % (self.id(), d.stderr_tail(200)))
                break  # all daemons share one log file
        if os.environ.get("LOGPULSE_TEST_KEEP"):
            sys.stderr.write("[%s] kept %s\n" % (self.id(), self.tmp))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- files
    def path(self, *parts):
        return os.path.join(self.logs, *parts)

    @staticmethod
    def append(path, data):
        if isinstance(data, str):
            data = data.encode()
        with open(path, "ab") as f:
            f.write(data)

    @staticmethod
    def lines(prefix, n, start=0):
        return "".join("%s-%04d some log text\n" % (prefix, i) for i in range(start, start + n))

    def wait_checkpoint_after_now(self, state_dir=None):
        """Wait until a checkpoint snapshot taken after this call is on disk: the second
        checkpoint file renamed into place from now on (the first may hold a snapshot taken
        just before). Polls its inode and mtime; needs a short checkpoint_interval."""
        path = os.path.join(state_dir or self.state, "checkpoint.v1")

        def version():
            try:
                st = os.stat(path)
                return (st.st_ino, st.st_mtime_ns)   # each checkpoint is a new file
            except FileNotFoundError:
                return None
        seen = [version()]
        for _ in range(2):
            wait_for(lambda: version() not in (seen[-1], None),
                     message="no new %s (checkpoint_interval %s)"
                     % (path, self.CHECKPOINT_INTERVAL))
            seen.append(version())

    # -- config and daemon
    def top_level(self, **top):
        """The top-level keys every test config has; `top` overrides them."""
        base = {
            "listen": [ANY_PORT],
            "state_dir": self.state,
            "checkpoint_interval": self.CHECKPOINT_INTERVAL,
            "watcher": self.WATCHER,
            "poll_interval": self.POLL_INTERVAL if self.WATCHER == "poll" else None,
            "rescan_interval": self.RESCAN_INTERVAL,
        }
        base.update(top)
        return base

    def config(self, sources, **top):
        """Write a config; `sources` is a list of dicts; top-level keys override defaults."""
        base = self.top_level(**top)
        self._config_n += 1
        path = os.path.join(self.tmp, "config%d.yaml" % self._config_n)
        with open(path, "w") as f:
            f.write(yaml_config(base, sources))
        return path

    def source(self, paths, name="app", start_at="beginning", **kw):
        src = {"name": name, "paths": list(paths) if isinstance(paths, (list, tuple)) else [paths],
               "start_at": start_at}
        src.update(kw)
        return src

    def start_daemon(self, config_path, wait="ready", prefix=None, extra_args=(),
                     state_dir=None):
        """Start logpulse on `config_path`; `state_dir` if the config names another one."""
        d = Daemon(self, config_path, os.path.join(self.tmp, "logpulse.stderr"),
                   state_dir or self.state, prefix=prefix, extra_args=extra_args)
        self.daemons.append(d)
        d.start(wait=wait)
        expected = self.expected_watcher()
        if wait == "ready" and expected is not None:
            d.assert_watcher(expected)
        return d

    def expected_watcher(self):
        if self.EXPECT_WATCHER != "default":
            return self.EXPECT_WATCHER
        return "poll" if self.WATCHER == "poll" else "inotify"

    def run_daemon(self, sources, wait="ready", **top):
        return self.start_daemon(self.config(sources, **top), wait=wait)


def run_cli(args, timeout=30, **kw):
    """Run logpulse with args; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([binary()] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout, **kw)


# Exit status of a test file none of whose tests failed but some of which were skipped:
# tests/CMakeLists.txt gives it to ctest as SKIP_RETURN_CODE, so ctest lists the file as
# skipped, not passed. scripts/test.sh collects the SKIP_MARK lines into its summary.
SKIP_EXIT = 77
SKIP_MARK = "logpulse-test-skipped:"


def main():
    prog = unittest.main(verbosity=2, exit=False)
    result = prog.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun == 0:
        print("no test ran", file=sys.stderr)
        sys.exit(1)
    if result.skipped:
        for test, reason in result.skipped:
            print("%s %s: %s" % (SKIP_MARK, test.id(), " ".join(reason.split())))
        sys.stdout.flush()
        sys.exit(SKIP_EXIT)
    sys.exit(0)
