#!/usr/bin/env python3
"""Rule and metric semantics (SPEC.md `patterns`, `rules`, self-metrics, HTTP /metrics):
every matching rule fires, counters with and without `value`, gauges, histogram `le`
buckets, summaries, constant labels, value errors, max_series, expire_after, invalid
UTF-8, %{PATTERN} expansion, gzip, `--check` errors and `--explain`.

Most cases use `--once` (deterministic, fast); the daemon is used where time or HTTP
matters (expire_after, gzip, a live scrape of repaired labels).
"""
import gzip
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402

MATCHED = "logpulse_lines_matched_total"
UNMATCHED = "logpulse_lines_unmatched_total"
VALUE_ERRORS = "logpulse_value_errors_total"
DROPPED = "logpulse_series_dropped_total"


def counter(name, **kw):
    d = {"name": name, "type": "counter"}
    d.update(kw)
    return d


class Semantics(rs.RulesTestCase):
    WATCHER = "auto"

    def src(self, name="app", **kw):
        return self.source([self.path(name + ".log")], name=name, **kw)

    def once_lines(self, rules, text, patterns=None, sources=None):
        cfg = self.rules_config(sources or [self.src()], rules, patterns)
        log = self.write_log("input.log", text)
        return self.once_metrics(cfg, [log])

    # ------------------------------------------------------------ matching

    def test_every_matching_rule_fires(self):
        # Three rules over one source (one RE2::Set): a line can feed any subset of them.
        rules = [
            {"name": "errors", "source": "app", "match": r"level=error",
             "metrics": [counter("errors_total")]},
            {"name": "db", "source": "app", "match": r"component=db",
             "metrics": [counter("db_lines_total")]},
            {"name": "user", "source": "app", "match": r"user=(?P<user>\w+)",
             "metrics": [counter("user_lines_total", labels=["user"])]},
        ]
        text = ("level=error component=db user=ann\n"     # all three
                "level=error component=web user=bob\n"    # errors + user
                "level=info component=db\n"               # db
                "level=info component=web\n"              # none
                "level=error component=db\n")             # errors + db
        m, out = self.once_lines(rules, text)
        self.assertEqual(m.get_value("errors_total"), 3, out)
        self.assertEqual(m.get_value("db_lines_total"), 3, out)
        self.assertEqual(m.get_value("user_lines_total", user="ann"), 1, out)
        self.assertEqual(m.get_value("user_lines_total", user="bob"), 1, out)
        self.assertEqual(m.get_value(MATCHED, rule="errors"), 3)
        self.assertEqual(m.get_value(MATCHED, rule="db"), 3)
        self.assertEqual(m.get_value(MATCHED, rule="user"), 2)
        self.assertEqual(m.get_value(UNMATCHED, source="app"), 1)
        self.assertEqual(m.get_value("logpulse_lines_read_total", source="app"), 5)

    def test_unmatched_rule_fires_only_when_no_other_rule_matched(self):
        rules = [
            {"name": "a", "source": "app", "match": r"^a", "metrics": [counter("a_total")]},
            {"name": "b", "source": "app", "match": r"b$", "metrics": [counter("b_total")]},
            {"name": "rest", "source": "app", "unmatched": True,
             "metrics": [counter("rest_total")]},
        ]
        m, out = self.once_lines(rules, "ab\nax\nxb\nxx\nyy\n")
        self.assertEqual(m.get_value("a_total"), 2, out)
        self.assertEqual(m.get_value("b_total"), 2, out)
        self.assertEqual(m.get_value("rest_total"), 2, out)
        self.assertEqual(m.get_value(UNMATCHED, source="app"), 2, out)

    def test_bundled_and_user_patterns(self):
        patterns = {"USERNAME": "[a-z][a-z0-9_]*", "DURATION": r"%{NUMBER}(?:ms|s)"}
        rules = [{"name": "login", "source": "app",
                  "match": r"^%{IP:client} login user=%{USERNAME:user} in %{DURATION:took}$",
                  "metrics": [counter("logins_total", labels=["client", "user"])]},
                 {"name": "req", "source": "app",
                  "match": r'^%{WORD:verb} %{URIPATH:path} %{INT:status}$',
                  "metrics": [counter("reqs_total", labels=["verb", "path", "status"])]}]
        text = ("10.1.2.3 login user=ann in 12ms\n"
                "2001:db8::1 login user=bob_2 in 1.5s\n"
                "10.1.2.3 login user=ann in 3s\n"
                "10.1.2.3 login user=Ann in 3s\n"         # USERNAME is lower case only
                "999.1 login user=x in 1s\n"              # not an IP
                "GET /api/v1/items 200\n")
        m, out = self.once_lines(rules, text, patterns=patterns)
        self.assertEqual(m.get_value("logins_total", client="10.1.2.3", user="ann"), 2, out)
        self.assertEqual(m.get_value("logins_total", client="2001:db8::1", user="bob_2"), 1, out)
        self.assertEqual(sum(m.series("logins_total").values()), 3, out)
        self.assertEqual(m.get_value("reqs_total", verb="GET", path="/api/v1/items",
                                     status="200"), 1, out)
        self.assertEqual(m.get_value(UNMATCHED, source="app"), 2, out)

    def test_bundled_combined_apache_pattern(self):
        rules = [{"name": "web", "source": "app", "match": r"^%{COMBINEDAPACHELOG}",
                  "metrics": [counter("web_total")]}]
        line = ('66.157.101.64 - - [25/Nov/2024:00:00:00 +0000] "GET /static/a.jpg HTTP/1.1" '
                '200 18120 "https://www.reddit.com/" "Mozilla/5.0 (X11; Linux x86_64)"\n')
        m, out = self.once_lines(rules, line + "garbage\n")
        self.assertEqual(m.get_value("web_total"), 1, out)

    # ------------------------------------------------------------ metric types

    def test_counter_with_and_without_value_and_gauge(self):
        rules = [{"name": "x", "source": "app",
                  "match": r"^(?P<kind>\w+) bytes=(?P<bytes>\S+) temp=(?P<temp>\S+)$",
                  "metrics": [counter("x_lines_total", labels=["kind"]),
                              counter("x_bytes_total", value="bytes", labels=["kind"]),
                              {"name": "x_temp", "type": "gauge", "value": "temp",
                               "labels": ["kind"]}]}]
        text = ("a bytes=100 temp=20.5\n"
                "a bytes=23 temp=-3\n"
                "b bytes=1.5 temp=1e3\n"
                "b bytes=- temp=-\n"          # not numbers: both updates skipped
                "c bytes=- temp=nope\n")      # no series may be created for c's values
        m, out = self.once_lines(rules, text)
        self.assertEqual(m.get_value("x_lines_total", kind="a"), 2, out)
        self.assertEqual(m.get_value("x_lines_total", kind="b"), 2, out)
        self.assertEqual(m.get_value("x_lines_total", kind="c"), 1, out)
        self.assertEqual(m.get_value("x_bytes_total", kind="a"), 123, out)
        self.assertEqual(m.get_value("x_bytes_total", kind="b"), 1.5, out)
        self.assertEqual(m.get_value("x_temp", kind="a"), -3, out)      # last value wins
        self.assertEqual(m.get_value("x_temp", kind="b"), 1000, out)
        self.assertNotIn(frozenset({("kind", "c")}), m.series("x_bytes_total"), out)
        self.assertNotIn(frozenset({("kind", "c")}), m.series("x_temp"), out)
        self.assertEqual(m.get_value(VALUE_ERRORS, rule="x", metric="x_bytes_total"), 2, out)
        self.assertEqual(m.get_value(VALUE_ERRORS, rule="x", metric="x_temp"), 2, out)
        self.assertEqual(m.get_value(VALUE_ERRORS, rule="x", metric="x_lines_total"), 0, out)
        # A value error does not make the line unmatched.
        self.assertEqual(m.get_value(MATCHED, rule="x"), 5, out)

    def test_counter_rejects_negative_and_non_finite_values(self):
        rules = [{"name": "v", "source": "app", "match": r"^v=(?P<v>\S+)$",
                  "metrics": [counter("v_total", value="v"),
                              {"name": "v_hist", "type": "histogram", "value": "v",
                               "buckets": [1]}]}]
        m, out = self.once_lines(rules, "v=1\nv=-5\nv=NaN\nv=inf\nv=0x10\nv=1e2\nv=+3\n")
        # A counter never goes down and never becomes NaN/Inf.
        self.assertEqual(m.get_value("v_total"), 104, out)
        self.assertEqual(m.get_value(VALUE_ERRORS, rule="v", metric="v_total"), 4, out)
        # A histogram observes any finite number, negative ones included.
        self.assertEqual(m.get_value("v_hist_count"), 4, out)
        self.assertEqual(m.get_value("v_hist_sum"), 99, out)

    def test_two_rules_feed_one_metric(self):
        rules = [{"name": "a", "source": "app", "match": r"^a (?P<k>\w+)$",
                  "metrics": [counter("shared_total", labels=["k"])]},
                 {"name": "b", "source": "app", "match": r"^b (?P<k>\w+)$",
                  "metrics": [counter("shared_total", labels=["k"])]}]
        m, out = self.once_lines(rules, "a x\nb x\nb y\n")
        self.assertEqual(m.get_value("shared_total", k="x"), 2, out)
        self.assertEqual(m.get_value("shared_total", k="y"), 1, out)
        self.assertEqual(out.count("# TYPE shared_total counter"), 1, out)

    def test_crlf_line_end_is_not_part_of_the_line(self):
        rules = [{"name": "c", "source": "app", "match": r"^crlf (?P<k>\w+)$",
                  "metrics": [counter("crlf_total", labels=["k"])]}]
        m, out = self.once_lines(rules, "crlf y\r\ncrlf z\n")
        self.assertEqual(m.get_value("crlf_total", k="y"), 1, out)
        self.assertEqual(m.get_value("crlf_total", k="z"), 1, out)

    def test_histogram_bucket_boundaries(self):
        rules = [{"name": "h", "source": "app", "match": r"^t=(?P<t>\S+)$",
                  "metrics": [{"name": "lat_seconds", "type": "histogram", "value": "t",
                               "buckets": [0.005, 0.1, 1, 10]}]}]
        values = ["0", "0.000", "0.005", "0.0051", "0.1", "0.5", "1", "10", "10.001", "60"]
        m, out = self.once_lines(rules, "".join("t=%s\n" % v for v in values))
        b = lambda le: m.get_value("lat_seconds_bucket", None, le=le)  # noqa: E731
        self.assertEqual(b("0.005"), 3, out)   # 0, 0.000 and the bound itself
        self.assertEqual(b("0.1"), 5, out)
        self.assertEqual(b("1"), 7, out)
        self.assertEqual(b("10"), 8, out)
        self.assertEqual(b("+Inf"), 10, out)   # 10.001 and 60 only here
        self.assertEqual(m.get_value("lat_seconds_count"), 10, out)
        self.assertAlmostEqual(m.get_value("lat_seconds_sum"),
                               sum(float(v) for v in values), places=9)
        self.assertEqual(len(m.series("lat_seconds_bucket")), 5, out)

    def test_histogram_with_labels_has_count_equal_to_inf(self):
        rules = [{"name": "h", "source": "app", "match": r"^(?P<m>\w+) t=(?P<t>\S+)$",
                  "metrics": [{"name": "lat_seconds", "type": "histogram", "value": "t",
                               "labels": ["m"], "buckets": [1, 2]}]}]
        m, out = self.once_lines(rules, "GET t=0\nGET t=2\nPUT t=3\nGET t=-\n")
        self.assertEqual(m.get_value("lat_seconds_bucket", m="GET", le="1"), 1, out)
        self.assertEqual(m.get_value("lat_seconds_bucket", m="GET", le="2"), 2, out)
        self.assertEqual(m.get_value("lat_seconds_bucket", m="GET", le="+Inf"), 2, out)
        self.assertEqual(m.get_value("lat_seconds_count", m="GET"), 2, out)
        self.assertEqual(m.get_value("lat_seconds_bucket", m="PUT", le="2"), 0, out)
        self.assertEqual(m.get_value("lat_seconds_bucket", m="PUT", le="+Inf"), 1, out)
        self.assertEqual(m.get_value("lat_seconds_count", m="PUT"), 1, out)
        self.assertEqual(m.get_value(VALUE_ERRORS, rule="h", metric="lat_seconds"), 1, out)

    def test_summary_exports_quantiles(self):
        rules = [{"name": "s", "source": "app", "match": r"^v=(?P<v>\d+)$",
                  "metrics": [{"name": "size_bytes", "type": "summary", "value": "v",
                               "quantiles": [0.5, 0.9, 0.99]}]}]
        m, out = self.once_lines(rules, "".join("v=%d\n" % i for i in range(1, 1001)))
        self.assertEqual(m.get_value("size_bytes_count"), 1000, out)
        self.assertEqual(m.get_value("size_bytes_sum"), 500500, out)
        qs = {dict(k)["quantile"]: v for k, v in m.series("size_bytes").items()}
        self.assertEqual(sorted(qs, key=float), ["0.5", "0.9", "0.99"], out)
        # prometheus-cpp's summary is approximate: allow a few percent of rank error.
        self.assertTrue(450 <= qs["0.5"] <= 550, qs)
        self.assertTrue(850 <= qs["0.9"] <= 950, qs)
        self.assertTrue(950 <= qs["0.99"] <= 1000, qs)

    def test_constant_and_renamed_labels(self):
        rules = [{"name": "c", "source": "app",
                  "match": r"^(?P<method>[A-Z]+) (?P<code>\d+)$",
                  "metrics": [counter("a_total", labels={"env": "prod", "team": "web"}),
                              counter("b_total", labels=["method", {"env": "prod"},
                                                         {"status": "$code"}])]}]
        m, out = self.once_lines(rules, "GET 200\nGET 200\nPOST 500\n")
        self.assertEqual(m.get_value("a_total", env="prod", team="web"), 3, out)
        self.assertEqual(m.get_value("b_total", method="GET", env="prod", status="200"), 2, out)
        self.assertEqual(m.get_value("b_total", method="POST", env="prod", status="500"), 1,
                         out)

    def test_help_text_is_exported_and_escaped(self):
        # Text format 0.0.4: in HELP, a backslash is written \\ and a line feed \n.
        rules = [{"name": "c", "source": "app", "match": r"x",
                  "metrics": [counter("h_total", help='Says "hi" \\ back\nsecond line')]}]
        cfg = self.rules_config([self.src()], rules)
        out, _ = self.once(cfg, [self.write_log("input.log", "x\n")])
        i = out.find("# HELP h_total")
        got = out[i:out.find("# TYPE h_total", i)] if i >= 0 else out
        self.assertEqual(got, '# HELP h_total Says "hi" \\\\ back\\nsecond line\n',
                         "HELP line not escaped (text format 0.0.4)")
        harness.parse_metrics(out)  # a raw line feed in HELP breaks the exposition

    # ------------------------------------------------------------ cardinality

    def test_max_series_caps_new_label_sets_and_counts_drops(self):
        rules = [{"name": "u", "source": "app", "match": r"^user=(?P<user>\S+)$",
                  "max_series": 3,
                  "metrics": [counter("u_total", labels=["user"]),
                              counter("all_total")]}]
        users = ["u%02d" % i for i in range(10)]
        text = "".join("user=%s\n" % u for u in users) + "user=u00\nuser=u09\n"
        m, out = self.once_lines(rules, text)
        series = m.series("u_total")
        self.assertEqual(len(series), 3, out)
        self.assertEqual(sum(series.values()), 4, out)    # 3 first users + u00 again
        self.assertEqual(m.get_value("u_total", user="u00"), 2, out)
        # u03..u09 dropped (7 label sets), then u09 once more.
        self.assertEqual(m.get_value(DROPPED, metric="u_total"), 8, out)
        self.assertEqual(m.get_value(DROPPED, metric="all_total"), 0, out)
        self.assertEqual(m.get_value("all_total"), 12, out)
        self.assertEqual(m.get_value(MATCHED, rule="u"), 12, out)

    def test_expire_after_removes_idle_label_sets(self):
        log = self.path("app.log")
        self.append(log, b"")
        rules = [{"name": "u", "source": "app", "match": r"^user=(?P<user>\S+)$",
                  "expire_after": "2s",
                  "metrics": [counter("u_total", labels=["user"])]}]
        d = self.run_rules_daemon([self.src()], rules)
        self.append(log, "user=idle\nuser=busy\n")
        d.wait_value("u_total", 1, user="idle")
        # Keep "busy" updated every 0.3 s; "idle" must go within expire_after + ~1 s check.
        t0 = time.monotonic()
        gone_at = None
        n_busy = 1
        while time.monotonic() - t0 < 8:
            self.append(log, "user=busy\n")
            n_busy += 1
            time.sleep(0.3)   # scenario pacing: "busy" is updated well within expire_after
            m = d.metrics()
            if frozenset({("user", "idle")}) not in m.series("u_total"):
                gone_at = time.monotonic() - t0
                break
        self.assertIsNotNone(gone_at, "idle label set still exported after 8 s\n%s"
                             % d.stderr_tail())
        self.assertGreaterEqual(gone_at, 1.5, "idle label set removed too early")
        d.wait_value("u_total", n_busy, user="busy")
        # An expired label set starts over when it is seen again.
        self.append(log, "user=idle\n")
        d.wait_value("u_total", 1, user="idle")

    # ------------------------------------------------------------ invalid UTF-8

    def test_invalid_utf8_line_matches_and_label_is_repaired(self):
        rules = [{"name": "ua", "source": "app",
                  "match": r'^(?P<user>\S+) "(?P<agent>[^"]*)" (?P<rest>.+)$',
                  "metrics": [counter("ua_total", labels=["user", "agent", "rest"])]}]
        data = (b'caf\xe9 "Mozilla \xff\xfe bot" tail\x80end\n'
                b'ok "plain" fine\n')
        cfg = self.rules_config([self.src()], rules)
        out, _ = self.once(cfg, [self.write_log("input.log", data)])
        m = harness.Metrics(harness.parse_metrics(out))
        self.assertEqual(m.get_value("ua_total", user="caf\ufffd",
                                     agent="Mozilla \ufffd\ufffd bot",
                                     rest="tail\ufffdend"), 1, out)
        self.assertEqual(m.get_value("ua_total", user="ok", agent="plain", rest="fine"), 1, out)
        self.assertEqual(m.get_value(UNMATCHED, source="app"), 0, out)

    def test_invalid_utf8_in_live_scrape(self):
        log = self.path("app.log")
        self.append(log, b"")
        rules = [{"name": "u", "source": "app", "match": r"^user=(?P<user>\S+)",
                  "metrics": [counter("u_total", labels=["user"])]}]
        d = self.run_rules_daemon([self.src()], rules)
        self.append(log, b"user=j\xc3\xbcrgen\nuser=j\xfcrgen\nuser=\xc3\n")
        # d.metrics() decodes the body strictly as UTF-8 and parses the exposition.
        d.wait_value("u_total", 1, user="j\u00fcrgen")
        d.wait_value("u_total", 1, user="j\ufffdrgen")
        d.wait_value("u_total", 1, user="\ufffd")

    # ------------------------------------------------------------ HTTP

    def test_gzip_metrics_decode_to_the_same_exposition(self):
        log = self.path("app.log")
        self.append(log, "".join("user=u%d\n" % (i % 50) for i in range(500)))
        rules = [{"name": "u", "source": "app", "match": r"^user=(?P<user>\S+)$",
                  "metrics": [counter("u_total", labels=["user"])]}]
        d = self.run_rules_daemon([self.src()], rules)
        d.settle("logpulse_lines_read_total", 500, source="app")
        status, headers, body = rs.raw_scrape(d, gzip_ok=True)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-encoding"), "gzip", headers)
        self.assertTrue(headers.get("content-type", "").startswith("text/plain"), headers)
        self.assertIn("version=0.0.4", headers.get("content-type", ""))
        zipped = gzip.decompress(body).decode("utf-8")
        status, headers, plain = rs.raw_scrape(d)
        self.assertNotIn("content-encoding", headers)
        plain = plain.decode("utf-8")
        # Self-metrics such as checkpoint age move between two scrapes; rule metrics don't.
        strip = lambda t: [l for l in t.splitlines()  # noqa: E731,E741
                           if not re.match(r"^(# \w+ )?logpulse_", l)]
        self.assertEqual(strip(zipped), strip(plain))
        self.assertEqual(len(harness.parse_metrics(zipped)), len(harness.parse_metrics(plain)))
        self.assertEqual(harness.Metrics(harness.parse_metrics(zipped))
                         .get_value("u_total", user="u7"), 10)

    # ------------------------------------------------------------ --check and --explain

    def check(self, rules, patterns=None):
        cfg = self.rules_config([self.src()], rules, patterns)
        r = harness.run_cli(["-c", cfg, "--check"])
        return cfg, r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")

    def assert_check_error(self, rules, what, patterns=None):
        cfg, code, out = self.check(rules, patterns)
        self.assertEqual(code, 2, "--check must fail with exit 2\n" + out)
        self.assertRegex(out, re.escape(cfg) + r":\d+:\d+: ", out)
        self.assertRegex(out.lower(), what, out)
        return cfg, out

    def test_check_accepts_good_rules(self):
        cfg, code, out = self.check(rs.access_rules("app"))
        self.assertEqual(code, 0, out)
        self.assertEqual(out.strip(), "ok")

    def test_check_bad_regex(self):
        rules = [{"name": "bad", "source": "app", "match": r"^(?P<a>\d+",
                  "metrics": [counter("bad_total")]}]
        cfg, out = self.assert_check_error(rules, r"missing \)|regex|pattern")
        # The error points at the rule ("- name: bad") or at its `match:`; nowhere else.
        with open(cfg) as f:
            text = f.read().splitlines()
        allowed = [i + 1 for i, l in enumerate(text)
                   if l.strip() in ('- name: "bad"', 'match: "^(?P<a>\\\\d+"')]
        self.assertEqual(len(allowed), 2, text)
        line = int(re.search(re.escape(cfg) + r":(\d+):", out).group(1))
        self.assertIn(line, allowed, out)

    def test_check_label_naming_missing_capture(self):
        rules = [{"name": "r", "source": "app", "match": r"^(?P<a>\d+) (?P<b>\w+)$",
                  "metrics": [counter("r_total", labels=["a", "nope"])]}]
        self.assert_check_error(rules, r"nope")

    def test_check_value_naming_missing_capture(self):
        rules = [{"name": "r", "source": "app", "match": r"^(?P<a>\d+)$",
                  "metrics": [counter("r_total", value="missing")]}]
        self.assert_check_error(rules, r"missing")

    def test_check_unknown_pattern_name(self):
        rules = [{"name": "r", "source": "app", "match": r"^%{NO_SUCH_PATTERN:x}$",
                  "metrics": [counter("r_total")]}]
        self.assert_check_error(rules, r"no_such_pattern")

    def test_check_rule_with_unknown_source(self):
        rules = [{"name": "r", "source": "nowhere", "match": r"x",
                  "metrics": [counter("r_total")]}]
        self.assert_check_error(rules, r"nowhere")

    def test_explain_matching_and_non_matching_lines(self):
        rules = [{"name": "login", "source": "app",
                  "match": r"^%{IP:client} login user=(?P<user>\w+)$",
                  "metrics": [counter("logins_total", labels=["user"])]},
                 {"name": "any_user", "source": "app", "match": r"user=(?P<u>\w+)",
                  "metrics": [counter("users_total")]}]
        cfg = self.rules_config([self.src()], rules)
        log = self.write_log("input.log", "10.0.0.1 login user=ann\nhello world\n")
        out, _ = self.once(cfg, [log], explain=True)
        lines = out.splitlines()
        self.assertIn("%s:1: 10.0.0.1 login user=ann" % log, lines, out)
        self.assertIn('  rule login: matched client="10.0.0.1" user="ann"', lines, out)
        self.assertIn('  rule any_user: matched u="ann"', lines, out)
        i = lines.index("%s:2: hello world" % log)
        block = lines[i + 1:]
        self.assertIn("  rule login: no match", block, out)
        self.assertIn("  rule any_user: no match", block, out)
        self.assertIn("  no rule matched", block, out)
        # Line 1 is not reported as unmatched.
        self.assertNotIn("  no rule matched", lines[:i], out)

    # ------------------------------------------------------------ timestamps

    def test_unparsable_timestamps_are_counted_and_lines_still_count(self):
        rules = [{"name": "t", "source": "app", "match": r"^\[(?P<time>[^\]]+)\] ok$",
                  "timestamp": {"field": "time", "layout": "%d/%b/%Y:%H:%M:%S %z"},
                  "metrics": [counter("t_total")]},
                 {"name": "u", "source": "app", "match": r"^(?P<ts>\S+) unix$",
                  "timestamp": {"field": "ts", "layout": "unix"},
                  "metrics": [counter("u_total")]}]
        text = ("[25/Nov/2024:00:00:00 +0000] ok\n"
                "[yesterday at noon] ok\n"
                "1732492800 unix\n"
                "1732492800.5 unix\n"
                "soon unix\n")
        m, out = self.once_lines(rules, text)
        self.assertEqual(m.get_value("t_total"), 2, out)
        self.assertEqual(m.get_value("u_total"), 3, out)
        self.assertEqual(m.get_value("logpulse_timestamp_errors_total", rule="t"), 1, out)
        self.assertEqual(m.get_value("logpulse_timestamp_errors_total", rule="u"), 1, out)


if __name__ == "__main__":
    harness.main()
