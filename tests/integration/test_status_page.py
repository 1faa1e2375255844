#!/usr/bin/env python3
"""The status page (GET /) as a browser shows it (README "HTTP").

A daemon with a source, a rule, a window and an alert with `for: 0s` that fires is fed
matched and unmatched lines (one holding a <script> element); once the alert fires and the
rate chart has its first point, Debian's `chromium` loads the page headless twice: a
screenshot (a real PNG of some size) and the DOM it built (--dump-dom), which must hold the
alert with its state and annotation, the rate chart's <svg> with a polyline, the window's
value, the rule's count, and the last `status.unmatched_samples` unmatched lines, escaped
(as text, never as an element).

Chromium runs with a private profile in the test's temp dir and a time limit (its process
group is killed after it). When it is not installed or cannot start here, the test is
skipped with the reason and chromium's stderr (harness.SKIP_MARK).
"""
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import windows_support as ws  # noqa: E402
from windows_support import req  # noqa: E402

CHROMIUM = os.environ.get("LOGPULSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_TIMEOUT = 60
# Tried in order until one works: the plain headless flags, then those that get chromium
# going in containers (no zygote process, no /dev/shm, the new headless mode).
FLAG_SETS = [
    [],
    ["--disable-dev-shm-usage", "--no-zygote"],
    ["--headless=new", "--disable-dev-shm-usage", "--no-zygote", "--disable-software-rasterizer"],
]
# StatusBoard::kRateStep: the chart's first point comes after one step.
RATE_STEP = 10

ERRORS_1M = {"name": "errors_1m", "rule": "access", "where": {"status": "5.."},
             "over": "1m", "agg": "count", "by": ["status"]}
TOO_MANY_ERRORS = {"name": "TooManyErrors", "expr": "errors_1m > 2", "for": "0s",
                   "labels": {"severity": "page"},
                   "annotations": {"summary": "{{ $value }} errors on {{ $labels.status }}"}}


def unmatched(i):
    return "junk <script>document.title='owned %d'</script> & more\n" % i


class StatusPage(ws.WindowsTestCase):

    def chromium(self, url, *args):
        """Runs chromium headless on `url` with `args`, trying FLAG_SETS in order; returns
        (stdout bytes, the flags that worked). Skips the test when none works."""
        if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
            self.skipTest("%s not found: install the Debian package chromium "
                          "(scripts/install-deps.sh --test) or set LOGPULSE_CHROMIUM" % CHROMIUM)
        failures = []
        for extra in FLAG_SETS:
            self._profiles = getattr(self, "_profiles", 0) + 1
            profile = os.path.join(self.tmp, "chromium-profile-%d" % self._profiles)
            cmd = ([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--user-data-dir=" + profile, "--window-size=1200,2000"]
                   + extra + list(args) + [url])
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
            try:
                out, err = proc.communicate(timeout=CHROMIUM_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
                failures.append("%s: timed out after %ds\n%s"
                                % (" ".join(cmd), CHROMIUM_TIMEOUT, err.decode(errors="replace")[-2000:]))
                continue
            finally:
                try:   # its helpers (renderer, GPU, zygote) go with it
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if proc.returncode == 0:
                return out, extra
            failures.append("%s: exit %d\n%s" % (" ".join(cmd), proc.returncode,
                                                 err.decode(errors="replace")[-2000:]))
        text = "\n\n".join(failures)
        print(text, file=sys.stderr)
        self.skipTest("chromium cannot run here: " + text.splitlines()[0])

    def test_browser_shows_alerts_chart_windows_rules_and_unmatched_lines(self):
        log = self.path("app.log")
        self.append(log, "")
        d = self.start_daemon(self.wa_config(log, [ERRORS_1M], [TOO_MANY_ERRORS],
                                             status={"unmatched_samples": 3}))
        self.append(log, "".join([req("GET", 500, 7, "a")] * 3 + [req("GET", 200, 5, "b")] * 5
                                 + [unmatched(i) for i in range(5)]))

        self.wait_api_alerts(d, lambda a: len(a) == 1 and a[0]["state"] == "firing",
                             "TooManyErrors firing")

        def page():
            status, _, body = d.get("/")
            self.assertEqual(status, 200)
            return body.decode()
        # The chart's first point needs one whole step of the board's rate history.
        harness.wait_for(lambda: "<polyline" in page() and "owned 4" in page(),
                         timeout=RATE_STEP + harness.WAIT,
                         message="no rate point or unmatched line on the status page",
                         on_timeout=lambda: page()[-3000:] + d.stderr_tail())

        url = "http://127.0.0.1:%d/" % d.port
        png = os.path.join(self.tmp, "page.png")
        _, flags = self.chromium(url, "--screenshot=" + png)
        self.assertTrue(os.path.isfile(png), "chromium wrote no screenshot")
        with open(png, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n", "not a PNG")
        self.assertGreater(len(data), 8 * 1024, "a screenshot of %d bytes: a blank page?" % len(data))

        dom_bytes, _ = self.chromium(url, "--dump-dom", *flags)
        dom = dom_bytes.decode()
        self.assertIn("<title>logpulse</title>", dom)
        # The alert, its state and annotation.
        self.assertRegex(dom, r'<tr class="firing"><td>TooManyErrors</td><td>severity="page", '
                              r'status="500"</td><td>firing</td><td>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</td>')
        self.assertIn("<b>summary:</b> 3 errors on 500", dom)
        # The rate chart.
        self.assertRegex(dom, r'<svg class="rate-chart" role="img" '
                              r'aria-label="lines per second, last 15 minutes"')
        self.assertRegex(dom, r'<polyline [^>]*points="[0-9., ]+"')
        # The window and the rule.
        self.assertIn("<h3>errors_1m</h3>", dom)
        self.assertRegex(dom, r'<tr><td>500</td><td class="n">3</td></tr>')
        self.assertRegex(dom, r'<tr><td>access</td><td class="n">8</td>')
        # The last 3 of the 5 unmatched lines, as text: the page ran no script of theirs.
        self.assertNotIn("owned 0", dom)
        self.assertNotIn("owned 1", dom)
        for i in (2, 3, 4):
            self.assertIn("<code>junk &lt;script&gt;document.title='owned %d'&lt;/script&gt; "
                          "&amp; more</code>" % i, dom)
        self.assertNotIn("<script", dom)
        self.assertIn("Last 3 line(s) no rule matched", dom)


if __name__ == "__main__":
    harness.main()
