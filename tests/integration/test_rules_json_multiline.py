#!/usr/bin/env python3
"""JSON sources (`format: json`: fields, nested as a.b, are the captures; `field:` matches
one field; malformed JSON is counted) and multiline records (`multiline: {start,
timeout}`: continuation lines join the record before them, which is flushed by the next
start line or after `timeout` of silence) — in `--once` replay and in the daemon.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402

MATCHED = "logpulse_lines_matched_total"
UNMATCHED = "logpulse_lines_unmatched_total"
JSON_ERRORS = "logpulse_json_errors_total"


def jl(obj):
    return json.dumps(obj) + "\n"


JSON_RULES = [
    {"name": "req", "source": "api", "metrics": [
        {"name": "api_requests_total", "type": "counter",
         "labels": ["status", {"method": "$http.method"}, {"svc": "$meta.service.name"}]},
        {"name": "api_bytes_total", "type": "counter", "value": "http.bytes",
         "labels": [{"method": "$http.method"}]},
        {"name": "api_latency_seconds", "type": "histogram", "value": "http.latency",
         "buckets": [0.1, 1]},
    ]},
    {"name": "api_paths", "source": "api", "field": "path", "match": r"^/api/(?P<res>\w+)",
     "metrics": [{"name": "api_resources_total", "type": "counter", "labels": ["res"]}]},
]

JSON_LINES = (
    jl({"http": {"method": "GET", "bytes": 100, "latency": 0.1}, "status": 200,
        "path": "/api/users/1", "meta": {"service": {"name": "shop"}}})
    + jl({"http": {"method": "POST", "bytes": 50, "latency": 0.5}, "status": 201,
          "path": "/api/orders", "meta": {"service": {"name": "shop"}}})
    + jl({"status": 404, "http": {"method": "GET", "bytes": 7, "latency": 2},
          "path": "/static/x.css", "meta": {"service": {"name": "cdn"}}})
    + '{"http": {"method": "GET", "bytes": 1\n'          # truncated object
    + "not json at all\n"
    + jl({"http": {"method": "GET", "bytes": 3, "latency": 0.01}, "status": 200,
          "path": "/api/users/2", "meta": {"service": {"name": "shop"}},
          "msg": "caf\u00e9 \"quoted\" \\ back"})
)

JAVA_RULES = [
    # Matches only a joined record: an exception line followed by an indented "at" line.
    {"name": "exc", "source": "java", "match": r"(?s)Exception.*\n\s+at ",
     "metrics": [{"name": "java_exceptions_total", "type": "counter"}]},
    # Three frames in one record.
    {"name": "deep", "source": "java",
     "match": r"(?s)Exception[^\n]*\n\s+at [^\n]*\n\s+at [^\n]*\n\s+at ",
     "metrics": [{"name": "java_deep_traces_total", "type": "counter"}]},
    {"name": "rec", "source": "java", "match": r"^(?P<level>[A-Z]+) ",
     "metrics": [{"name": "java_records_total", "type": "counter", "labels": ["level"]}]},
]

JAVA_LOG = (
    "ERROR java.lang.IllegalStateException: boom\n"
    "    at com.example.Foo.bar(Foo.java:10)\n"
    "    at com.example.Main.main(Main.java:3)\n"
    "INFO started\n"
    "ERROR java.lang.NullPointerException: null\n"
    "\tat com.example.Baz.qux(Baz.java:42)\n"
    "\tat com.example.Baz.run(Baz.java:7)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
    "WARN java.lang.RuntimeException mentioned without a trace\n"
)


class JsonSources(rs.RulesTestCase):
    WATCHER = "auto"

    def json_source(self, **kw):
        return self.source([self.path("api.log")], name="api", format="json", **kw)

    def check_json_metrics(self, m, out):
        self.assertEqual(m.get_value("api_requests_total", status="200", method="GET",
                                     svc="shop"), 2, out)
        self.assertEqual(m.get_value("api_requests_total", status="201", method="POST",
                                     svc="shop"), 1, out)
        self.assertEqual(m.get_value("api_requests_total", status="404", method="GET",
                                     svc="cdn"), 1, out)
        self.assertEqual(m.get_value("api_bytes_total", method="GET"), 110, out)
        self.assertEqual(m.get_value("api_bytes_total", method="POST"), 50, out)
        self.assertEqual(m.get_value("api_latency_seconds_bucket", le="0.1"), 2, out)
        self.assertEqual(m.get_value("api_latency_seconds_bucket", le="1"), 3, out)
        self.assertEqual(m.get_value("api_latency_seconds_bucket", le="+Inf"), 4, out)
        self.assertEqual(m.get_value("api_resources_total", res="users"), 2, out)
        self.assertEqual(m.get_value("api_resources_total", res="orders"), 1, out)
        self.assertEqual(len(m.series("api_resources_total")), 2, out)   # not /static
        self.assertEqual(m.get_value(MATCHED, rule="req"), 4, out)
        self.assertEqual(m.get_value(MATCHED, rule="api_paths"), 3, out)
        self.assertEqual(m.get_value(JSON_ERRORS, source="api"), 2, out)
        self.assertEqual(m.get_value(UNMATCHED, source="api"), 2, out)
        self.assertEqual(m.get_value("logpulse_lines_read_total", source="api"), 6, out)

    def test_json_once(self):
        cfg = self.rules_config([self.json_source()], JSON_RULES)
        log = self.write_log("api.log", JSON_LINES)
        m, out = self.once_metrics(cfg, [log])
        self.check_json_metrics(m, out)

    def test_json_follow(self):
        log = self.path("api.log")
        self.append(log, b"")
        d = self.run_rules_daemon([self.json_source()], JSON_RULES)
        # Write in small pieces that split objects.
        data = JSON_LINES.encode()
        for i in range(0, len(data), 37):
            self.append(log, data[i:i + 37])
            time.sleep(0.01)   # scenario pacing: the pieces arrive as separate reads
        d.settle("logpulse_lines_read_total", 6, source="api")
        d.wait_value(JSON_ERRORS, 2, source="api")
        self.check_json_metrics(d.metrics(), "")

    def test_json_non_object_lines_are_errors_not_fatal(self):
        rules = [{"name": "all", "source": "api",
                  "metrics": [{"name": "objects_total", "type": "counter"}]}]
        cfg = self.rules_config([self.json_source()], rules)
        text = '{"a": 1}\n[1, 2]\n"text"\n{"a": \n\x00\xff binary\n{"b": {"c": [1, {"d": 2}]}}\n'
        m, out = self.once_metrics(cfg, [self.write_log("api.log", text.encode("latin-1"))])
        self.assertEqual(m.get_value("objects_total"), 2, out)
        self.assertEqual(m.get_value(JSON_ERRORS, source="api"), 4, out)
        self.assertEqual(m.get_value(UNMATCHED, source="api"), 4, out)

    def test_json_explain_shows_fields(self):
        cfg = self.rules_config([self.json_source()], JSON_RULES)
        log = self.write_log("api.log", JSON_LINES)
        out, _ = self.once(cfg, [log], explain=True)
        self.assertIn('  rule api_paths: matched res="users"', out, out)
        self.assertRegex(out, r'  rule req: matched .*http\.method="POST"', out)
        self.assertIn("%s:5: not json at all" % log, out)


class Multiline(rs.RulesTestCase):
    WATCHER = "auto"

    def java_source(self, timeout="1s"):
        return self.source([self.path("java.log")], name="java",
                           multiline={"start": r"^\S", "timeout": timeout})

    def test_multiline_once(self):
        cfg = self.rules_config([self.java_source()], JAVA_RULES)
        m, out = self.once_metrics(cfg, [self.write_log("java.log", JAVA_LOG)])
        self.assertEqual(m.get_value("java_exceptions_total"), 2, out)
        self.assertEqual(m.get_value("java_deep_traces_total"), 1, out)
        self.assertEqual(m.get_value("java_records_total", level="ERROR"), 2, out)
        self.assertEqual(m.get_value("java_records_total", level="INFO"), 1, out)
        self.assertEqual(m.get_value("java_records_total", level="WARN"), 1, out)
        # Continuation lines are part of their record, never records of their own.
        self.assertEqual(m.get_value(UNMATCHED, source="java"), 0, out)
        self.assertEqual(m.get_value(MATCHED, rule="rec"), 4, out)
        self.assertEqual(m.get_value("logpulse_lines_read_total", source="java"), 9, out)

    def test_multiline_explain_shows_joined_records(self):
        # --explain must show what the rules really see: the joined record.
        cfg = self.rules_config([self.java_source()], JAVA_RULES)
        log = self.write_log("java.log", JAVA_LOG)
        out, _ = self.once(cfg, [log], explain=True)
        self.assertEqual(out.count("  rule exc: matched"), 2, out)
        self.assertEqual(out.count("  rule deep: matched"), 1, out)
        self.assertEqual(out.count("  no rule matched"), 0, out)

    def test_record_flushed_by_next_start_line(self):
        log = self.path("java.log")
        self.append(log, b"")
        # A long timeout: only the next start line can flush the record.
        d = self.run_rules_daemon([self.java_source(timeout="30s")], JAVA_RULES)
        self.append(log, "ERROR java.lang.IllegalStateException: boom\n")
        d.wait_value("logpulse_lines_read_total", 1, source="java")
        self.append(log, "    at com.example.Foo.bar(Foo.java:10)\n")
        d.wait_value("logpulse_lines_read_total", 2, source="java")
        self.append(log, "    at com.example.Foo.baz(Foo.java:11)\n"
                         "    at com.example.Main.main(Main.java:3)\n")
        d.wait_value("logpulse_lines_read_total", 4, source="java")
        d.assert_stays("java_records_total", 0, duration=1.5, level="ERROR")
        self.append(log, "INFO next record\n")
        d.wait_value("java_exceptions_total", 1)
        d.wait_value("java_deep_traces_total", 1)
        d.wait_value("java_records_total", 1, level="ERROR")
        self.assertEqual(d.value(UNMATCHED, source="java"), 0)
        # The INFO record is still open (30 s timeout): not counted yet.
        self.assertEqual(d.value("java_records_total", level="INFO"), 0)

    def test_record_flushed_after_timeout_of_silence(self):
        log = self.path("java.log")
        self.append(log, b"")
        d = self.run_rules_daemon([self.java_source(timeout="1s")], JAVA_RULES)
        t0 = time.monotonic()
        self.append(log, "ERROR java.lang.NullPointerException: null\n"
                         "\tat com.example.Baz.qux(Baz.java:42)\n")
        # Continuation lines that come before the timeout still join the record. The
        # pauses are the scenario: together longer than the 1 s timeout, each one shorter.
        time.sleep(0.4)
        self.append(log, "\tat com.example.Baz.run(Baz.java:7)\n")
        time.sleep(0.4)
        self.append(log, "\tat java.base/java.lang.Thread.run(Thread.java:833)\n")
        last_write = time.monotonic()
        d.wait_value("java_exceptions_total", 1, timeout=5)
        flushed = time.monotonic()
        self.assertEqual(d.value("java_deep_traces_total"), 1,
                         "continuation lines written 0.4 s apart were not joined")
        self.assertGreaterEqual(flushed - last_write, 0.8,
                                "record flushed before the 1 s timeout (%.2fs after the last "
                                "line, %.2fs after the first)" % (flushed - last_write,
                                                                  flushed - t0))
        d.assert_stays("java_exceptions_total", 1)
        self.assertEqual(d.value("java_records_total", level="ERROR"), 1)
        self.assertEqual(d.value(MATCHED, rule="rec"), 1)
        self.assertEqual(d.value(UNMATCHED, source="java"), 0)
        # After the flush, a new start line begins a new record.
        self.append(log, "WARN later\n")
        d.wait_value("java_records_total", 1, timeout=5, level="WARN")


if __name__ == "__main__":
    harness.main()
