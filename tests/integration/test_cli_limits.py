#!/usr/bin/env python3
"""Configurations found by fuzzing (issue 7): --check refuses them at once with FILE:LINE:COL
and what was expected, instead of crashing, hanging, spinning or printing a bad exposition;
--once prints values that promtool accepts."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PROMTOOL = os.environ.get("PROMTOOL_BIN") or shutil.which("promtool") or "/usr/bin/promtool"

SOURCE = """\
sources:
  - name: app
    paths: ["{tmp}/app.log"]
    start_at: beginning
"""

# A command that used to hang or spin is given this long before the test fails.
HANG = 20


class CliLimits(unittest.TestCase):
    def setUp(self):
        harness.require_binary(self)
        self.tmp = tempfile.mkdtemp(prefix="logpulse-limits-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        with open(os.path.join(self.tmp, "app.log"), "w") as f:
            f.write("v=1.7976931348623157e308\nv=12\nv=0.1\n")

    def write(self, text, name="config.yaml"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text.replace("{tmp}", self.tmp))
        return path

    def run_cli(self, args):
        try:
            r = harness.run_cli(args, timeout=HANG)
        except subprocess.TimeoutExpired:
            self.fail("logpulse %s did not finish within %d s" % (" ".join(args), HANG))
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def assert_refused(self, text, place, what, mode="--check"):
        """`place` is LINE:COL (a regex); `what` a regex the message must contain."""
        path = self.write(text)
        code, out, err = self.run_cli(["-c", path, mode])
        self.assertEqual(code, 2, "exit code for a bad config (%s)\nstdout: %s\nstderr: %s"
                         % (mode, out[-2000:], err[-2000:]))
        self.assertRegex(err, "^" + re.escape(path) + ":" + place + ": ", err[-2000:])
        self.assertRegex(err, what, err[-2000:])
        self.assertNotIn("ok", out)
        return err

    # Pattern expansion.

    def test_long_reference_chain_is_an_error_not_a_segfault(self):
        lines = ["patterns:"]
        lines += ["  P%d: '%%{P%d}'" % (i, i + 1) for i in range(8000)]
        lines.append("  P8000: x")
        text = "\n".join(lines) + "\n" + SOURCE + \
            "rules:\n  - name: r\n    source: app\n    match: '%{P0}'\n"
        for mode in ("--check", "--once"):
            self.assert_refused(text, "8010:12", r"nest more than 100 levels deep \(P0 -> P1 ", mode)

    def test_doubling_patterns_fail_fast_on_size(self):
        lines = ["patterns:"]
        lines += ["  P%d: '%%{P%d}%%{P%d}'" % (i, i + 1, i + 1) for i in range(24)]
        lines.append("  P24: abcdefgh")
        text = "\n".join(lines) + "\n" + SOURCE + \
            "rules:\n  - name: r\n    source: app\n    match: '%{P0}'\n"
        start = time.monotonic()
        self.assert_refused(text, "34:12", r"pattern too large: it expands to more than 1024 KiB")
        self.assertLess(time.monotonic() - start, 5, "the size bound is checked as it grows")

    # Values that cannot work.

    def test_summary_max_age_zero_is_refused_for_check_and_once(self):
        text = SOURCE + ("rules:\n  - name: r\n    source: app\n    match: 'v=(?P<v>\\S+)'\n"
                         "    metrics:\n"
                         "      - {name: v_summary, type: summary, value: v, max_age: 0s}\n")
        for mode in ("--check", "--once"):
            self.assert_refused(text, "10:61", r"max_age: 0s is out of range \(expected 1s \.\. 7d\)",
                                mode)

    def test_huge_durations_are_refused_with_their_range(self):
        cases = [("checkpoint_interval", "106752d", r"100ms \.\. 1d"),
                 ("checkpoint_interval", "99999999999d", r"100ms \.\. 1d"),
                 ("poll_interval", "99999999999d", r"10ms \.\. 1h"),
                 ("rescan_interval", "106752d", r"10ms \.\. 1h")]
        for key, value, expected in cases:
            with self.subTest(key=key, value=value):
                text = "%s: %s\n" % (key, value) + SOURCE
                self.assert_refused(text, "1:%d" % (len(key) + 3),
                                    r"%s: %s is out of range \(expected %s\)" % (key, value, expected))

    # Error positions.

    def test_empty_file_and_directory(self):
        path = self.write("")
        code, out, err = self.run_cli(["-c", path, "--check"])
        self.assertEqual(code, 2, err)
        self.assertEqual(err.strip(), path + ":1:1: the file is empty, expected a mapping with sources:")
        code, out, err = self.run_cli(["-c", self.tmp, "--check"])
        self.assertEqual(code, 2, err)
        self.assertEqual(err.strip(), self.tmp + ": is a directory, expected a YAML file")

    def test_deep_nesting_says_what_was_expected(self):
        self.assert_refused("[" * 600 + "\n", r"\d+:\d+", r"nested too deeply \(expected at most")

    def test_nul_in_a_path_is_refused_and_shown(self):
        text = 'sources:\n  - name: app\n    paths: ["{tmp}/a\\0b.log"]\n'
        err = self.assert_refused(text, "3:13", r"without NUL bytes")
        self.assertIn(self.tmp + "/a\\0b.log' (in a pattern, write \\x00)", err)

    def test_bad_multiline_start_names_its_place(self):
        text = SOURCE + "    multiline: {start: '(x'}\n"
        self.assert_refused(text, "5:24", r"bad multiline\.start: missing \): \(x \(expected an RE2 pattern\)")

    # Exposition.

    def test_extreme_values_are_exposed_so_promtool_accepts_them(self):
        if not os.access(PROMTOOL, os.X_OK):
            self.fail("%s not found: install the Debian package `prometheus`" % PROMTOOL)
        path = self.write(SOURCE + (
            "rules:\n  - name: r\n    source: app\n    match: 'v=(?P<v>\\S+)'\n"
            "    metrics:\n"
            "      - {name: v_last, type: gauge, value: v, help: 'The last v, a \\ backslash.'}\n"
            "      - {name: v_total, type: counter, value: v}\n"
            "      - {name: v_seconds, type: histogram, value: v, buckets: [0.1, 1e308]}\n"))
        code, out, err = self.run_cli(["-c", path, "--once"])
        self.assertEqual(code, 0, err)
        self.assertIn("\nv_seconds_bucket{le=\"0.1\"} 1\n", out)
        self.assertIn("\nv_seconds_bucket{le=\"1e+308\"} 2\n", out)
        self.assertIn("\nv_seconds_bucket{le=\"+Inf\"} 3\n", out)
        self.assertIn("\nv_last 0.1\n", out)
        self.assertIn("# HELP v_last The last v, a \\\\ backslash.\n", out)
        self.assertIn("\nv_total 1.7976931348623157e+308\n", out)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=out.encode(),
                           capture_output=True, timeout=30)
        report = (r.stdout + r.stderr).decode(errors="replace")
        self.assertNotIn("error", report.lower(), report)
        self.assertNotIn("parse", report.lower(), report)


if __name__ == "__main__":
    harness.main()
