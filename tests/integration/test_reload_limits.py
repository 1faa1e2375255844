#!/usr/bin/env python3
"""SIGHUP with a configuration found by fuzzing (issue 7): a reference chain that overflowed
the stack, a summary window that spun forever. The reload is refused with FILE:LINE:COL and
the running configuration goes on."""

import os
import signal

import harness

RULE_WORDS = """rules:
  - name: words
    source: app
    match: '^(?P<word>[a-z]+)-'
    metrics:
      - {name: words_total, type: counter, labels: [word]}
"""


def chain_patterns(length):
    lines = ["patterns:"]
    lines += ["  P%d: '%%{P%d}'" % (i, i + 1) for i in range(length)]
    lines.append("  P%d: '[a-z]+'" % length)
    return "\n".join(lines) + "\n"


class ReloadLimits(harness.LogpulseTestCase):
    def write_config(self, path, rules, patterns=""):
        with open(path, "w") as f:
            f.write(patterns + harness.yaml_config(
                {"listen": ["127.0.0.1:0"], "state_dir": self.state,
                 "checkpoint_interval": "1s"},
                [self.source([self.path("*.log")])]) + rules)

    def test_reloads_that_cannot_work_are_refused_and_the_daemon_goes_on(self):
        cfg = os.path.join(self.tmp, "reload.yaml")
        self.write_config(cfg, RULE_WORDS)
        log = self.path("a.log")
        self.append(log, self.lines("alpha", 3))
        d = self.start_daemon(cfg)
        d.settle("words_total", 3, word="alpha")

        self.write_config(cfg, RULE_WORDS.replace("'^(?P<word>[a-z]+)-'", "'^%{P0:word}-'"),
                          chain_patterns(8000))
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "nest more than 100 levels deep" in d.stderr_text(),
                         message="the deep chain was not refused",
                         on_timeout=lambda: d.stderr_text()[-2000:])
        self.assertIn(cfg + ":", d.stderr_text())
        self.append(log, self.lines("beta", 2))
        d.settle("words_total", 2, word="beta")

        self.write_config(cfg, RULE_WORDS + "      - {name: word_length, type: summary, "
                                            "value: word, max_age: 0s}\n")
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "max_age: 0s is out of range" in d.stderr_text(),
                         message="max_age: 0s was not refused",
                         on_timeout=lambda: d.stderr_text()[-2000:])
        self.append(log, self.lines("gamma", 4))
        d.settle("words_total", 4, word="gamma")
        self.assertEqual(d.value("words_total", word="alpha"), 3)
        d.stop()


if __name__ == "__main__":
    harness.main()
