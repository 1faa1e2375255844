"""POST /-/reload and POST /-/quit, off unless --web.enable-lifecycle, as in Prometheus:
when off, 403 "Lifecycle API is not enabled."; GET on them 405. Reload does what SIGHUP
does and answers 200 once the new configuration runs, or 500 with the error; quit does what
SIGTERM does (a final checkpoint, exit 0)."""

import os

import harness

RULE_WORDS = """rules:
  - name: words
    source: app
    match: '^(?P<word>[a-z]+)-'
    metrics:
      - {name: words_total, type: counter, labels: [word]}
"""
RULE_EXTRA = """  - name: extra
    source: app
    match: '^beta-'
    metrics:
      - {name: beta_total, type: counter}
"""
LIFECYCLE = ["--web.enable-lifecycle"]


class LifecycleApi(harness.LogpulseTestCase):
    def write_config(self, path, rules, checkpoint_interval="1s"):
        with open(path, "w") as f:
            f.write(harness.yaml_config(
                {"listen": [harness.ANY_PORT], "state_dir": self.state,
                 "checkpoint_interval": checkpoint_interval},
                [self.source([self.path("*.log")])]) + rules)

    def start(self, rules=RULE_WORDS, extra_args=(), checkpoint_interval="1s"):
        cfg = os.path.join(self.tmp, "lifecycle.yaml")
        self.write_config(cfg, rules, checkpoint_interval)
        return cfg, self.start_daemon(cfg, extra_args=extra_args)

    def assert_answer(self, d, method, path, status, body):
        got_status, headers, got_body = d.get(path, method=method)
        self.assertEqual((got_status, got_body.decode()), (status, body), "%s %s" % (method, path))
        return headers

    def test_off_by_default_403_and_the_daemon_goes_on(self):
        cfg, d = self.start()
        log = self.path("a.log")
        self.append(log, self.lines("alpha", 3))
        d.settle("words_total", 3, word="alpha")
        self.write_config(cfg, RULE_WORDS + RULE_EXTRA)
        for method in ("POST", "PUT"):
            for path in ("/-/reload", "/-/quit"):
                self.assert_answer(d, method, path, 403, "Lifecycle API is not enabled.\n")
        # Neither reloaded nor stopped: the old rules still count, the new one does not exist.
        self.append(log, self.lines("beta", 2))
        d.settle("words_total", 2, word="beta")
        self.assertEqual(d.metrics().series("beta_total"), {})
        self.assertNotIn("reloading", d.stderr_text())
        d.stop()

    def test_get_is_405_whether_on_or_off(self):
        for extra in ((), LIFECYCLE):
            _, d = self.start(extra_args=extra)
            for path in ("/-/reload", "/-/quit"):
                for method in ("GET", "HEAD", "DELETE"):
                    status, headers, _ = d.get(path, method=method)
                    self.assertEqual(status, 405, "%s %s with %s" % (method, path, extra))
                    self.assertEqual(headers.get("allow"), "POST, PUT")
            d.stop()

    def test_reload_answers_200_once_the_new_configuration_runs(self):
        cfg, d = self.start(extra_args=LIFECYCLE)
        log = self.path("a.log")
        self.append(log, self.lines("alpha", 5))
        d.settle("words_total", 5, word="alpha")

        self.write_config(cfg, RULE_WORDS + RULE_EXTRA)
        self.assert_answer(d, "POST", "/-/reload", 200, "configuration reloaded\n")
        # Already done when the answer came: no waiting for the log line.
        self.assertIn("POST /-/reload: configuration reloaded", d.stderr_text())
        self.append(log, self.lines("beta", 3))
        d.settle("beta_total", 3)
        d.settle("words_total", 3, word="beta")
        self.assertEqual(d.value("words_total", word="alpha"), 5)   # unchanged metric kept
        self.assertEqual(d.value("logpulse_lines_read_total", source="app"), 8)  # nothing re-read

    def test_reload_of_a_bad_configuration_is_500_and_the_old_one_runs_on(self):
        cfg, d = self.start(rules=RULE_WORDS + RULE_EXTRA, extra_args=LIFECYCLE)
        log = self.path("a.log")
        self.append(log, self.lines("beta", 2))
        d.settle("beta_total", 2)
        with open(cfg, "w") as f:
            f.write("sources: [\n")
        status, _, body = d.get("/-/reload", method="POST")
        body = body.decode()
        self.assertEqual(status, 500, body)
        self.assertTrue(body.startswith("failed to reload config: "), body)
        self.assertIn(cfg, body)   # the error names the file, as --check does
        self.append(log, self.lines("beta", 4, start=2))
        d.settle("beta_total", 6)
        self.assertEqual(d.value("logpulse_lines_read_total", source="app"), 6)

    def test_quit_writes_a_checkpoint_and_exits_0(self):
        # No periodic checkpoint within the test: only the one written on the way out.
        _, d = self.start(extra_args=LIFECYCLE, checkpoint_interval="1h")
        log = self.path("a.log")
        self.append(log, self.lines("alpha", 4))
        d.settle("words_total", 4, word="alpha")
        checkpoint = os.path.join(self.state, "checkpoint.v1")
        self.assertFalse(os.path.exists(checkpoint))
        self.assert_answer(d, "POST", "/-/quit", 200, "Requesting termination... Goodbye!\n")
        self.assertEqual(d.proc.wait(harness.WAIT), 0, d.stderr_tail())
        self.assertTrue(os.path.exists(checkpoint))
        self.assertIn("POST /-/quit: writing a checkpoint and stopping", d.stderr_text())

        # The restart resumes from that checkpoint: the metric is restored, nothing re-read.
        d2 = self.start_daemon(d.config_path, extra_args=LIFECYCLE)
        self.append(log, self.lines("alpha", 1, start=4))
        d2.settle("words_total", 5, word="alpha")
        # Self-metrics count this process's reading: only the new line.
        self.assertEqual(d2.value("logpulse_lines_read_total", source="app"), 1)
        self.assert_answer(d2, "PUT", "/-/quit", 200, "Requesting termination... Goodbye!\n")
        self.assertEqual(d2.proc.wait(harness.WAIT), 0, d2.stderr_tail())


if __name__ == "__main__":
    harness.main()
