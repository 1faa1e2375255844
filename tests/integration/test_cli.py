#!/usr/bin/env python3
"""Command line: --check (errors name FILE:LINE:COL, exit 2), --version, --once."""
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

GOOD = """\
listen: ["127.0.0.1:19273"]
state_dir: {tmp}/state
checkpoint_interval: 1s
watcher: auto
poll_interval: 250ms
rescan_interval: 1s
sources:
  - name: app
    paths: ["{tmp}/logs/*.log"]
    exclude: ["*.gz"]
    start_at: beginning
    max_line_bytes: 65536
    rotate_wait: 2s
"""


class Cli(unittest.TestCase):
    def setUp(self):
        harness.require_binary(self)
        self.tmp = tempfile.mkdtemp(prefix="logpulse-cli-")
        os.mkdir(os.path.join(self.tmp, "logs"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, text, name="config.yaml"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text.format(tmp=self.tmp))
        return path

    def check(self, text):
        path = self.write(text)
        r = harness.run_cli(["-c", path, "--check"])
        return path, r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def assert_config_error(self, text, line, what=None):
        path, code, out, err = self.check(text)
        self.assertEqual(code, 2, "exit code for a bad config\nstdout: %s\nstderr: %s" % (out, err))
        both = out + err
        self.assertRegex(both, re.escape(path) + r":%d:\d+" % line,
                         "error must name FILE:LINE:COL (line %d)\n%s" % (line, both))
        if what:
            self.assertRegex(both.lower(), what)

    def test_good_config_is_ok(self):
        path, code, out, err = self.check(GOOD)
        self.assertEqual(code, 0, err)
        self.assertEqual(out.strip(), "ok")

    def test_minimal_config_is_ok(self):
        path, code, out, err = self.check('listen: ["127.0.0.1:19273"]\nsources:\n'
                                          '  - name: a\n    paths: ["/var/log/x.log"]\n')
        self.assertEqual(code, 0, err)
        self.assertEqual(out.strip(), "ok")

    def test_unknown_top_level_key(self):
        self.assert_config_error(GOOD.replace("rescan_interval: 1s\n",
                                              "rescan_interval: 1s\nbogus_key: 3\n"), 7,
                                 "bogus_key")

    def test_unknown_source_key(self):
        self.assert_config_error(GOOD.replace("    rotate_wait: 2s\n",
                                              "    rotate_wait: 2s\n    colour: red\n"), 14,
                                 "colour")

    def test_wrong_type(self):
        self.assert_config_error(GOOD.replace("max_line_bytes: 65536", "max_line_bytes: lots"),
                                 12)

    def test_wrong_type_list_expected(self):
        self.assert_config_error(GOOD.replace('paths: ["{tmp}/logs/*.log"]',
                                              "paths: {{a: 1}}"), 9)

    def test_bad_duration(self):
        self.assert_config_error(GOOD.replace("checkpoint_interval: 1s",
                                              "checkpoint_interval: 5x"), 3)

    def test_bad_duration_in_source(self):
        self.assert_config_error(GOOD.replace("rotate_wait: 2s", "rotate_wait: soon"), 13)

    def test_bad_start_at(self):
        self.assert_config_error(GOOD.replace("start_at: beginning", "start_at: middle"), 11)

    def test_bad_watcher(self):
        self.assert_config_error(GOOD.replace("watcher: auto", "watcher: magic"), 4)

    def test_bad_glob(self):
        self.assert_config_error(GOOD.replace('paths: ["{tmp}/logs/*.log"]',
                                              'paths: ["{tmp}/logs/[a-.log"]'), 9)

    def test_duplicate_source_names(self):
        text = GOOD + '  - name: app\n    paths: ["/tmp/other.log"]\n'
        # The second definition (line 14) is the error; accept the name's line.
        path, code, out, err = self.check(text)
        self.assertEqual(code, 2, err)
        self.assertRegex(out + err, re.escape(path) + r":14:\d+", out + err)

    def test_yaml_syntax_error(self):
        # Where a parser notices an unclosed flow sequence varies: any line/col will do.
        path, code, out, err = self.check(GOOD.replace("checkpoint_interval: 1s",
                                                       "checkpoint_interval: [1s"))
        self.assertEqual(code, 2, err)
        self.assertRegex(out + err, re.escape(path) + r":\d+:\d+", out + err)

    def test_missing_config_file(self):
        r = harness.run_cli(["-c", os.path.join(self.tmp, "nope.yaml"), "--check"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"nope.yaml", r.stdout + r.stderr)

    def test_unknown_flag_is_usage_error(self):
        r = harness.run_cli(["--no-such-flag"])
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_version(self):
        r = harness.run_cli(["--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode().strip(), r"^logpulse \d+\.\d+\.\d+")

    def test_help(self):
        r = harness.run_cli(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"--check", r.stdout)

    def test_once_reads_sources_and_prints_exposition(self):
        logs = os.path.join(self.tmp, "logs")
        with open(os.path.join(logs, "a.log"), "w") as f:
            f.write("one\ntwo\nthree\n")
        with open(os.path.join(logs, "b.log"), "w") as f:
            f.write("four\r\n")
        path = self.write(GOOD.replace("19273", "0"))
        r = harness.run_cli(["-c", path, "--once"])
        self.assertEqual(r.returncode, 0, r.stderr)
        m = harness.Metrics(harness.parse_metrics(r.stdout.decode("utf-8")))
        self.assertEqual(m.get_value("logpulse_lines_read_total", source="app"), 4)
        self.assertNotIn("\x1b", r.stderr.decode(errors="replace"),
                         "no progress bar / colours when stderr is not a terminal")

    def test_once_with_explicit_logs(self):
        other = os.path.join(self.tmp, "other.txt")
        with open(other, "w") as f:
            f.write("x\ny\n")
        path = self.write(GOOD.replace("19273", "0"))
        r = harness.run_cli(["-c", path, "--once", other])
        self.assertEqual(r.returncode, 0, r.stderr)
        m = harness.Metrics(harness.parse_metrics(r.stdout.decode("utf-8")))
        total = sum(m.find("logpulse_lines_read_total").values())
        self.assertEqual(total, 2)


if __name__ == "__main__":
    harness.main()
