#!/usr/bin/env python3
"""Exactness on the project's access-log workload (tests/workload/): the access rules of
examples/access.yaml must reproduce the generator's totals exactly (requests per method and
status, bytes per status, every `le` bucket, _sum, _count, unparsed lines), both in
`--once` replay and while following a file that grows in chunks which split lines.

When the shared benchmark (../shared/bench) stands beside the checkout, `--once` is also
checked against its workload and its check_counts.py, as a cross-check of our generator.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402

LINES = 50000
SEED = 7
CHUNK = 64 * 1024


class Exactness(rs.RulesTestCase):
    WATCHER = "auto"

    def setUp(self):
        super().setUp()
        self.work = os.path.join(self.tmp, "work")
        os.mkdir(self.work)
        self.log = os.path.join(self.work, "access_50k.log")
        self.stats = os.path.join(self.work, "access_50k.stats.json")
        rs.generate(self.log, self.stats, LINES, SEED)

    def assert_counts(self, text, what, stats=None, bench_dir=rs.WORKLOAD):
        out = os.path.join(self.work, what + ".prom")
        with open(out, "w") as f:
            f.write(text)
        code, report = rs.check_counts(stats or self.stats, out, bench_dir)
        self.assertEqual(code, 0, "%s: check_counts.py failed\n%s" % (what, report))
        self.assertIn("RESULT: all counts match", report, report)

    def test_once_matches_generator_totals(self):
        cfg = self.rules_config([self.source([self.path("unused.log")], name="access")],
                                rs.access_rules())
        out, _ = self.once(cfg, [self.log])
        self.assert_counts(out, "once")
        m = harness.Metrics(harness.parse_metrics(out))
        self.assertEqual(m.get_value("logpulse_lines_read_total", source="access"), LINES)
        # Every line went to exactly one of the two rules.
        matched = m.get_value("logpulse_lines_matched_total", rule="access")
        unparsed = m.get_value("access_log_unparsed_lines_total")
        self.assertEqual(matched + unparsed, LINES)
        # +Inf == _count (the mtail rc50 zero-observation bug must not be reproduced).
        inf = m.get_value("http_request_duration_seconds_bucket", le="+Inf")
        self.assertEqual(inf, m.get_value("http_request_duration_seconds_count"))
        self.assertEqual(inf, matched)
        # The workload has request times of 0 and on bucket bounds, and "-" sizes.
        with open(self.stats) as f:
            stats = json.load(f)
        self.assertGreater(stats["request_time_zero_count"], 0)
        self.assertGreater(stats["valid_lines_with_dash_bytes"], 0)
        self.assertEqual(m.get_value("logpulse_value_errors_total", rule="access",
                                     metric="http_response_bytes_total"),
                         stats["valid_lines_with_dash_bytes"])

        shared = rs.shared_bench_dir()
        if shared is None:
            sys.stderr.write("note: no ../shared/bench beside the checkout: cross-check not run\n")
            return
        log = os.path.join(self.work, "shared.log")
        stats = os.path.join(self.work, "shared.stats.json")
        rs.generate(log, stats, LINES, SEED, bench_dir=shared)
        out, _ = self.once(cfg, [log])
        self.assert_counts(out, "once_shared", stats=stats, bench_dir=shared)

    def test_once_over_two_files_merges_exactly(self):
        with open(self.log, "rb") as f:
            data = f.read()
        cut = data.index(b"\n", len(data) // 2) + 1
        a, b = os.path.join(self.work, "part1.log"), os.path.join(self.work, "part2.log")
        with open(a, "wb") as f:
            f.write(data[:cut])
        with open(b, "wb") as f:
            f.write(data[cut:])
        cfg = self.rules_config([self.source([self.path("unused.log")], name="access")],
                                rs.access_rules())
        out, _ = self.once(cfg, [a, b])
        self.assert_counts(out, "once_two_files")

    def test_follow_chunked_appends_match_generator_totals(self):
        live = self.path("access.log")
        self.append(live, b"")
        d = self.run_rules_daemon([self.source([live], name="access")], rs.access_rules())
        with open(self.log, "rb") as f:
            data = f.read()
        # 64 KiB writes: almost every write ends in the middle of a line.
        for off in range(0, len(data), CHUNK):
            self.append(live, data[off:off + CHUNK])
        d.wait_value("logpulse_lines_read_total", LINES, timeout=30, source="access")
        # Rules are applied to the lines read; wait until the last line is accounted for.
        rs.wait_metric(d, lambda m: m.get_value("logpulse_lines_matched_total", rule="access")
                       + m.get_value("access_log_unparsed_lines_total") == LINES,
                       message="matched + unparsed == %d" % LINES)
        status, _, body = rs.raw_scrape(d)
        self.assertEqual(status, 200)
        self.assert_counts(body.decode("utf-8"), "follow")
        d.assert_stays("logpulse_lines_read_total", LINES, source="access")


if __name__ == "__main__":
    harness.main()
