"""Scrapes racing ingestion, checkpoint writes and a SIGHUP reload.

Built for the sanitizer runs (scripts/test.sh runs it against the ThreadSanitizer and the
AddressSanitizer + UBSan daemons through LOGPULSE_BIN), and part of the ordinary suite too.
Two scraper threads fetch /metrics (plain and gzip), /api/v1/sources and / in a loop while
lines are appended to two files of a text source and to a multiline source, checkpoints are
written every 100 ms, and the configuration is reloaded half-way. At the end every count is
exact, every scrape was a 200 with valid exposition or JSON, the daemon exits 0 on SIGTERM,
and its stderr holds no sanitizer report. A restart from the final checkpoint reads nothing
again.
"""

import gzip
import json
import os
import re
import signal
import threading

import harness

BATCHES = 12
LINES_PER_BATCH = 100          # per file and batch
RECORDS_PER_BATCH = 20         # multiline records per batch, three lines each
RELOAD_AT = BATCHES // 2       # the batch appended first after the SIGHUP reload
WORDS = ("alpha", "beta", "gamma", "delta")
SANITIZER_REPORT = re.compile(
    r"WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")

# Sanitizer runtimes read these when the daemon is a sanitizer build; a plain build ignores
# them. A report makes the daemon exit with 66, which the test sees at once.
os.environ.setdefault("TSAN_OPTIONS", "halt_on_error=1:exitcode=66:second_deadlock_stack=1")
os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=66")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=66")

RULES = """rules:
  - name: words
    source: app
    match: '^(?P<word>[a-z]+)-(?P<n>\\d+) took (?P<ms>\\d+)ms'
    metrics:
      - {name: race_words_total, type: counter, labels: [word]}
      - {name: race_took_ms, type: histogram, value: ms, buckets: [10, 50, 100]}
      - {name: race_last_ms, type: gauge, value: ms}
      - {name: race_took_summary, type: summary, value: ms}
  - name: other
    source: app
    unmatched: true
    metrics:
      - {name: race_unmatched_total, type: counter}
  - name: records
    source: multi
    match: '(?s)^REC (?P<kind>[a-z]+)\\n'
    metrics:
      - {name: race_records_total, type: counter, labels: [kind]}
"""
# Windows and alerts: evaluated every 50 ms on the ingestion thread, read by scrapes.
ANALYTICS = """windows:
  - {name: race_words_1m, rule: words, over: 1m, agg: count, by: [word]}
  - {name: race_ms_1m, rule: words, over: 1m, agg: quantile, of: ms, quantiles: [0.5, 0.99]}
  - {name: race_top_1m, rule: words, over: 1m, agg: topk, k: 2, by: [word]}
  - {name: race_distinct_1m, rule: words, over: 1m, agg: distinct, of: n}
alerts:
  - name: RaceManyWords
    expr: race_words_1m > 10
    labels: {severity: none}
    annotations: {summary: "{{ $labels.word }}: {{ $value }}"}
evaluation_interval: 50ms
"""
RULE_ADDED = """  - name: added
    source: app
    match: '^alpha-'
    metrics:
      - {name: race_alpha_total, type: counter}
"""


class Race(harness.LogpulseTestCase):
    CHECKPOINT_INTERVAL = "100ms"

    def write_config(self, path, rules):
        text = harness.yaml_config(self.top_level(), [
            self.source([self.path("a.log"), self.path("b.log")], name="app"),
            self.source([self.path("multi.log")], name="multi")])
        # yaml_config renders flat keys only: the multiline map goes in by hand.
        text = text.replace("name: multi\n", "name: multi\n    multiline: {start: '^\\S', timeout: 200ms}\n")
        with open(path, "w") as f:
            f.write(text + rules + ANALYTICS)

    def scraper(self, daemon, stop, errors, scrapes):
        paths = [("/metrics", {}), ("/metrics", {"Accept-Encoding": "gzip"}),
                 ("/api/v1/sources", {}), ("/api/v1/alerts", {}), ("/", {})]
        i = 0
        while not stop.is_set() and not errors:
            path, headers = paths[i % len(paths)]
            i += 1
            try:
                status, got, body = daemon.get(path, headers=headers)
                if status != 200:
                    raise AssertionError("GET %s -> %d" % (path, status))
                if got.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                if path == "/metrics":
                    harness.parse_metrics(body.decode("utf-8"))
                elif path.startswith("/api/v1/"):
                    json.loads(body)
                scrapes[0] += 1
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                if not stop.is_set():
                    errors.append("%s%s: %r" % (path, headers, e))

    def append_batch(self, batch):
        for name in ("a.log", "b.log"):
            self.append(self.path(name), "".join(
                "%s-%d took %dms\n" % (WORDS[(batch + i) % len(WORDS)], i, (i * 7) % 120)
                if i % 10 else "unmatched line %d\n" % i
                for i in range(LINES_PER_BATCH)))
        self.append(self.path("multi.log"), "".join(
            "REC %s\n  detail %d\n  more\n" % ("even" if i % 2 == 0 else "odd", i)
            for i in range(RECORDS_PER_BATCH)))

    def expected_words(self, first, end):
        counts = dict.fromkeys(WORDS, 0)
        for batch in range(first, end):
            for i in range(LINES_PER_BATCH):
                if i % 10:
                    counts[WORDS[(batch + i) % len(WORDS)]] += 2  # two files
        return counts

    def assert_no_sanitizer_report(self, daemon):
        found = SANITIZER_REPORT.search(daemon.stderr_text())
        self.assertIsNone(found, "sanitizer report in stderr\n" + daemon.stderr_tail(200))

    def test_scrapes_race_ingestion_checkpoints_and_reload(self):
        cfg = os.path.join(self.tmp, "race.yaml")
        self.write_config(cfg, RULES)
        for name in ("a.log", "b.log", "multi.log"):
            self.append(self.path(name), "")
        d = self.start_daemon(cfg)

        stop, errors, scrapes = threading.Event(), [], [0]
        scrapers = [threading.Thread(target=self.scraper, args=(d, stop, errors, scrapes)) for _ in range(2)]
        for t in scrapers:
            t.start()
        try:
            for batch in range(BATCHES):
                if batch == RELOAD_AT:
                    self.write_config(cfg, RULES + RULE_ADDED)
                    d.send_signal(signal.SIGHUP)
                    harness.wait_for(lambda: "configuration reloaded" in d.stderr_text(),
                                     message="no reload", on_timeout=d.stderr_tail)
                self.append_batch(batch)
                # Let ingestion catch up before the next batch, so batches interleave with
                # scrapes and checkpoint writes instead of arriving as one read.
                d.wait_value("logpulse_lines_read_total", 2 * LINES_PER_BATCH * (batch + 1), source="app")
                self.assertFalse(errors, errors[:3])
        finally:
            stop.set()
            for t in scrapers:
                t.join(30)
        self.assertFalse(errors, errors[:3])
        self.assertGreater(scrapes[0], 0)

        total = 2 * LINES_PER_BATCH * BATCHES
        words = self.expected_words(0, BATCHES)
        d.settle("logpulse_lines_read_total", total, source="app")
        for word, n in words.items():
            d.settle("race_words_total", n, word=word)
        matched = sum(words.values())
        d.settle("race_took_ms_count", matched)
        d.settle("race_unmatched_total", total - matched)
        records = RECORDS_PER_BATCH * BATCHES // 2
        d.settle("race_records_total", records, kind="even")
        d.settle("race_records_total", records, kind="odd")
        # The rule added by the reload counts the lines appended after it, and only those.
        d.settle("race_alpha_total", self.expected_words(RELOAD_AT, BATCHES)["alpha"])
        d.stop()
        self.assert_no_sanitizer_report(d)

        # Everything was checkpointed on SIGTERM: a restart reads nothing again.
        d2 = self.start_daemon(cfg)
        d2.settle("logpulse_lines_read_total", 0, source="app")
        for word, n in words.items():
            d2.settle("race_words_total", n, word=word)
        d2.settle("race_records_total", records, kind="even")
        d2.stop()
        self.assert_no_sanitizer_report(d2)


if __name__ == "__main__":
    harness.main()
