"""SIGHUP reloads the configuration without losing offsets or unchanged metrics; a bad new
configuration is refused and the old one keeps running (SPEC.md, "Semantics that must hold")."""

import os
import signal
import time

import harness

LINES = "logpulse_lines_read_total"

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


class Reload(harness.LogpulseTestCase):
    def write_config(self, path, rules):
        with open(path, "w") as f:
            f.write(harness.yaml_config(
                {"listen": [harness.ANY_PORT], "state_dir": self.state,
                 "checkpoint_interval": "1s"},
                [self.source([self.path("*.log")])]) + rules)

    def test_reload_keeps_offsets_and_unchanged_metrics(self):
        cfg = os.path.join(self.tmp, "reload.yaml")
        self.write_config(cfg, RULE_WORDS)
        log = self.path("a.log")
        self.append(log, self.lines("alpha", 5))
        d = self.start_daemon(cfg)
        d.settle("words_total", 5, word="alpha")

        # Add a rule and reload: words_total keeps its value, nothing is read twice.
        self.write_config(cfg, RULE_WORDS + RULE_EXTRA)
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "configuration reloaded" in d.stderr_text(), message="no reload")
        self.append(log, self.lines("beta", 3))
        d.settle("words_total", 3, word="beta")
        d.settle("beta_total", 3)
        self.assertEqual(d.value("words_total", word="alpha"), 5)
        self.assertEqual(d.value(LINES, source="app"), 8)

        # A broken configuration is refused; the running one goes on.
        with open(cfg, "w") as f:
            f.write("sources: [\n")
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "refused" in d.stderr_text(), message="bad config not refused")
        self.append(log, self.lines("beta", 2, start=3))
        d.settle("beta_total", 5)
        self.assertEqual(d.value(LINES, source="app"), 10)
        d.stop()

    def test_reload_with_new_source_and_metric_definition_change(self):
        cfg = os.path.join(self.tmp, "reload.yaml")
        self.write_config(cfg, RULE_WORDS)
        self.append(self.path("a.log"), self.lines("alpha", 2))
        d = self.start_daemon(cfg)
        d.settle("words_total", 2, word="alpha")
        # words_total gets another label: its old series cannot be carried over.
        changed = RULE_WORDS.replace("labels: [word]", "labels: [word, {env: prod}]")
        self.write_config(cfg, changed)
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "configuration reloaded" in d.stderr_text(), message="no reload")
        self.append(self.path("a.log"), self.lines("gamma", 4))
        d.settle("words_total", 4, word="gamma", env="prod")
        self.assertEqual(d.value(LINES, source="app"), 6)
        d.stop()

    def test_a_path_added_by_reload_follows_start_at(self):
        cfg = os.path.join(self.tmp, "reload.yaml")
        self.write_config(cfg, RULE_WORDS)
        self.append(self.path("a.log"), self.lines("alpha", 2))
        old = os.path.join(self.tmp, "old.txt")
        self.append(old, self.lines("beta", 7))   # exists before the reload: not read
        d = self.start_daemon(cfg)
        d.settle("words_total", 2, word="alpha")
        # The same source gets one more path, with start_at: end.
        with open(cfg, "w") as f:
            f.write(harness.yaml_config(
                {"listen": [harness.ANY_PORT], "state_dir": self.state, "checkpoint_interval": "1s"},
                [self.source([self.path("*.log"), old], start_at="end")]) + RULE_WORDS)
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "configuration reloaded" in d.stderr_text(), message="no reload")
        self.append(old, self.lines("gamma", 3))
        self.append(self.path("a.log"), self.lines("alpha", 1, start=2))
        d.settle("words_total", 3, word="gamma")
        self.assertEqual(d.value("words_total", word="beta"), 0)
        self.assertEqual(d.value("words_total", word="alpha"), 3)
        d.stop()

    def test_reload_keeps_the_listener_and_moves_the_listen_file(self):
        cfg = os.path.join(self.tmp, "reload.yaml")
        self.write_config(cfg, RULE_WORDS)
        self.append(self.path("a.log"), self.lines("alpha", 2))
        d = self.start_daemon(cfg)
        port = d.port
        d.settle("words_total", 2, word="alpha")
        moved = os.path.join(self.tmp, "state2")
        with open(cfg, "w") as f:
            f.write(harness.yaml_config(
                {"listen": [harness.ANY_PORT], "state_dir": moved, "checkpoint_interval": "1s"},
                [self.source([self.path("*.log")])]) + RULE_WORDS)
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "configuration reloaded" in d.stderr_text(), message="no reload",
                         on_timeout=d.stderr_tail)
        # "127.0.0.1:0" is unchanged: the socket (and its port) stays, now named in the new
        # state_dir as well.
        with open(os.path.join(moved, harness.LISTEN_FILE)) as f:
            self.assertEqual(f.read(), "127.0.0.1:%d\n" % port)
        self.append(self.path("a.log"), self.lines("alpha", 1, start=2))
        d.settle("words_total", 3, word="alpha")
        d.stop()


if __name__ == "__main__":
    harness.main()
