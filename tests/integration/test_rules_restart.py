#!/usr/bin/env python3
"""Rule metrics survive restarts exactly: checkpoints hold offsets and metric state
(counters, gauges, histograms) together, so after SIGTERM or kill -9 and a restart every
line is counted exactly once (SPEC.md, "Checkpoints").

The shared workload is split into parts at line boundaries; parts are appended before
start, while running, while the daemon is down, and after the restart. The final scrape
must match the generator's totals for the whole file (check_counts.py).
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402

LINES = 12000
SEED = 11
CHUNK = 64 * 1024

# A second rule on the same lines as "access" (so "unparsed" still gets exactly the rest).
GAUGE_RULE = {"name": "last", "source": "access", "match": rs.ACCESS_MATCH,
              "metrics": [{"name": "last_request_seconds", "type": "gauge",
                           "value": "request_time",
                           "help": "Request time of the last request."},
                          {"name": "last_request_seconds_by_status", "type": "gauge",
                           "value": "request_time", "labels": ["status"],
                           "help": "Request time of the last request per status."}]}


class Restart(rs.RulesTestCase):
    WATCHER = "auto"
    CHECKPOINT_INTERVAL = "1s"

    def setUp(self):
        super().setUp()
        self.work = os.path.join(self.tmp, "work")
        os.mkdir(self.work)
        src = os.path.join(self.work, "all.log")
        self.stats = os.path.join(self.work, "all.stats.json")
        rs.generate(src, self.stats, LINES, SEED)
        with open(src, "rb") as f:
            self.data = f.read()
        self.live = self.path("access.log")
        self.cfg = self.rules_config([self.source([self.live], name="access")],
                                     rs.access_rules() + [GAUGE_RULE])

    def parts(self, n):
        """The workload cut into n pieces at line boundaries."""
        cuts = [0]
        for i in range(1, n):
            cuts.append(self.data.index(b"\n", len(self.data) * i // n) + 1)
        cuts.append(len(self.data))
        return [self.data[cuts[i]:cuts[i + 1]] for i in range(n)]

    def append_chunked(self, data):
        for off in range(0, len(data), CHUNK):
            self.append(self.live, data[off:off + CHUNK])

    @staticmethod
    def counted(m):
        """Lines accounted for by the rule metrics (not by the self-metrics)."""
        return (rs.total(m, "http_requests_total")
                + m.get_value("access_log_unparsed_lines_total"))

    def wait_counted(self, d, lines):
        expected = lines.count(b"\n") if isinstance(lines, bytes) else lines
        seen = []

        def ok(m):
            seen[:] = [self.counted(m)]
            return seen[0] == expected
        try:
            rs.wait_metric(d, ok, timeout=20,
                           message="requests + unparsed == %d" % expected)
        except AssertionError as e:
            raise AssertionError("%s; last counted %s (%+d)" % (
                e, seen[0] if seen else None,
                (seen[0] - expected) if seen else 0)) from None
        # And it stays there: no line counted twice a moment later.
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            got = self.counted(d.metrics())
            self.assertEqual(got, expected, "lines counted changed after settling\n%s"
                             % d.stderr_tail())
            time.sleep(0.1)

    def assert_exact(self, d, what):
        status, _, body = rs.raw_scrape(d)
        self.assertEqual(status, 200)
        path = os.path.join(self.work, what + ".prom")
        with open(path, "wb") as f:
            f.write(body)
        code, report = rs.check_counts(self.stats, path)
        self.assertEqual(code, 0, "%s: check_counts.py failed\n%s\n%s"
                         % (what, report, d.stderr_tail(30)))

    def last_valid_request_time(self, upto):
        import re
        rx = re.compile(rs.ACCESS_MATCH.encode())
        for line in reversed(upto.split(b"\n")):
            mt = rx.match(line)
            if mt:
                return float(mt.group("request_time"))
        return None

    # ------------------------------------------------------------------ tests

    def run_cycle(self, stop):
        p = self.parts(4)
        self.append(self.live, p[0])                       # there before the first start
        d = self.start_daemon(self.cfg)
        self.append_chunked(p[1])                          # appended while running
        self.wait_counted(d, p[0] + p[1])
        stop(d)
        self.append_chunked(p[2])                          # appended while down
        d2 = self.start_daemon(self.cfg)
        self.wait_counted(d2, p[0] + p[1] + p[2])
        self.append_chunked(p[3])                          # appended after the restart
        self.wait_counted(d2, self.data)
        self.assert_exact(d2, "final")
        m = d2.metrics()
        self.assertEqual(m.get_value("last_request_seconds"),
                         self.last_valid_request_time(self.data))
        return d2

    def test_sigterm_and_restart_counts_every_line_once(self):
        self.run_cycle(lambda d: d.stop(signal.SIGTERM))

    def test_kill9_after_a_checkpoint_and_restart_counts_every_line_once(self):
        def stop(d):
            self.wait_checkpoint_after_now()   # taken after the last line was processed
            d.kill()
        self.run_cycle(stop)

    def test_kill9_right_after_processing_counts_every_line_once(self):
        # Offsets and metric state are written together, so even lines processed after
        # the last checkpoint are re-read from the checkpointed offset and counted once.
        self.run_cycle(lambda d: d.kill())

    def test_state_restored_without_new_lines(self):
        p = self.parts(2)
        self.append(self.live, p[0])
        d = self.start_daemon(self.cfg)
        self.wait_counted(d, p[0])
        before = d.metrics()
        d.stop(signal.SIGTERM)
        d2 = self.start_daemon(self.cfg)
        # The restarted daemon has caught up with the file, and read nothing again.
        d2.wait_value("logpulse_file_lag_bytes", 0, source="access", path=self.live)
        d2.assert_stays("logpulse_lines_read_total", 0, source="access")
        after = d2.metrics()
        for name in ("http_requests_total", "http_response_bytes_total",
                     "http_request_duration_seconds_bucket",
                     "http_request_duration_seconds_count", "http_request_duration_seconds_sum",
                     "access_log_unparsed_lines_total", "last_request_seconds",
                     "last_request_seconds_by_status"):
            self.assertEqual(after.series(name), before.series(name),
                             "%s differs after SIGTERM + restart" % name)
        self.assertEqual(after.get_value("last_request_seconds"),
                         self.last_valid_request_time(p[0]))
        self.append_chunked(p[1])
        self.wait_counted(d2, self.data)
        self.assert_exact(d2, "after_restore")

    def test_two_kill9_cycles_with_appends(self):
        p = self.parts(5)
        self.append(self.live, p[0])
        d = self.start_daemon(self.cfg)
        done = p[0]
        for part in p[1:4]:
            self.append_chunked(part)
            done += part
            self.wait_counted(d, done)
            self.wait_checkpoint_after_now()
            d.kill()
            d = self.start_daemon(self.cfg)
        self.append_chunked(p[4])
        self.wait_counted(d, self.data)
        self.assert_exact(d, "after_kills")



class RestartMultiline(rs.RulesTestCase):
    """A multiline record still open at shutdown is neither lost nor counted twice."""
    WATCHER = "auto"
    CHECKPOINT_INTERVAL = "1s"

    RULES = [{"name": "exc", "source": "java", "match": r"(?s)Exception.*\n\s+at ",
              "metrics": [{"name": "java_exceptions_total", "type": "counter"}]},
             {"name": "rec", "source": "java", "match": r"^(?P<level>[A-Z]+) ",
              "metrics": [{"name": "java_records_total", "type": "counter",
                           "labels": ["level"]}]}]

    def cycle(self, stop):
        log = self.path("java.log")
        self.append(log, "INFO first\n")
        cfg = self.rules_config([self.source([log], name="java",
                                             multiline={"start": r"^\S", "timeout": "30s"})],
                                self.RULES)
        d = self.start_daemon(cfg)
        self.append(log, "ERROR java.lang.IllegalStateException: boom\n"
                         "    at com.example.Foo.bar(Foo.java:10)\n")
        d.wait_value("java_records_total", 1, level="INFO")   # flushed by the ERROR line
        d.wait_value("logpulse_lines_read_total", 3, source="java")
        self.wait_checkpoint_after_now()   # a checkpoint while the ERROR record is still open
        stop(d)
        d2 = self.start_daemon(cfg)
        self.append(log, "    at com.example.Main.main(Main.java:3)\nWARN next\n")
        d2.wait_value("java_records_total", 1, level="ERROR")
        d2.assert_stays("java_records_total", 1, level="ERROR")
        m = d2.metrics()
        self.assertEqual(m.get_value("java_exceptions_total"), 1)
        self.assertEqual(m.get_value("java_records_total", level="INFO"), 1)
        self.assertEqual(m.get_value("logpulse_lines_unmatched_total", source="java"), 0)

    def test_open_record_across_sigterm(self):
        self.cycle(lambda d: d.stop(signal.SIGTERM))

    def test_open_record_across_kill9(self):
        self.cycle(lambda d: d.kill())


if __name__ == "__main__":
    harness.main()
