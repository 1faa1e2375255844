#!/usr/bin/env python3
"""Remote write over TLS (remote_write[].tls_config, as in Prometheus) to a real Prometheus.

Debian's prometheus (/usr/bin/prometheus, or LOGPULSE_PROMETHEUS_BIN) runs as a
remote-write receiver on a loopback port with `--web.config.file` holding its
tls_server_config; its API is read over TLS too. Certificates are made in each test with
`openssl` (tls_support.Pki: a CA signing a server certificate for IP:127.0.0.1 and
DNS:localhost, and client certificates). Cases: the chain verified against ca_file; a wrong
CA (nothing delivered, counted, delivered after the configuration is fixed and reloaded
with SIGHUP, nothing lost); insecure_skip_verify; mutual TLS with and without a client
certificate; a server_name the certificate does not carry; CA files replaced on disk
(re-read at the next connection, a bad one refused). Without the binary the tests
are skipped (exit 77). Every wait polls a condition.
"""
import json
import os
import signal
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_remote_write as rw  # noqa: E402
import tls_support as ts  # noqa: E402
import windows_support as ws  # noqa: E402
from windows_support import req  # noqa: E402

SAMPLES = rw.SAMPLES
QUEUE = rw.QUEUE


class TlsPrometheus(rw.Prometheus):
    """rw.Prometheus serving https with `tls` as its web config's tls_server_config; the
    test reads it with `ctx` (a client certificate when it asks for one)."""

    def __init__(self, tc, directory, tls, ctx):
        super().__init__(tc, directory)
        self.ctx = ctx
        self.web_config = os.path.join(self.dir, "web.yml")
        with open(self.web_config, "w") as f:
            f.write("tls_server_config:\n")
            for key, value in tls.items():
                f.write("  %s: %s\n" % (key, json.dumps(value)))

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def write_url(self, host="127.0.0.1"):
        return "https://%s:%d/api/v1/write" % (host, self.fixed_port)

    def start(self):
        if not os.access(rw.PROMETHEUS, os.X_OK):
            self.tc.skipTest("%s not found: install Debian's prometheus" % rw.PROMETHEUS)
        return self.start_process([rw.PROMETHEUS, "--config.file=" + self.config,
                                   "--web.config.file=" + self.web_config,
                                   "--storage.tsdb.path=" + os.path.join(self.dir, "tsdb"),
                                   "--web.listen-address=127.0.0.1:%d" % self.fixed_port,
                                   "--web.enable-remote-write-receiver", "--log.level=info"],
                                  self.fixed_port)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5, context=self.ctx) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def query(self, expr, at=None):
        params = {"query": expr}
        if at is not None:
            params["time"] = "%.3f" % at
        status, body = self.get("/api/v1/query?" + urllib.parse.urlencode(params))
        if status != 200:
            raise AssertionError("query %s -> %d %r" % (expr, status, body[:200]))
        return [(s["metric"], float(s["value"][1])) for s in json.loads(body)["data"]["result"]]


class RemoteWriteTls(ws.WindowsTestCase):

    def setUp(self):
        super().setUp()
        self.pki = ts.Pki(os.path.join(self.tmp, "pki"))
        self.server_crt, self.server_key = self.pki.issue("server", serial=2001)
        self.client_crt, self.client_key = self.pki.issue("client", serial=2002, client=True)
        self.log = self.path("app.log")
        self.append(self.log, req("GET", 200, 5, "a") * 3)

    def prometheus(self, **tls):
        conf = {"cert_file": self.server_crt, "key_file": self.server_key}
        conf.update(tls)
        ctx = ts.client_context(self.pki.ca_crt, self.client_crt, self.client_key)
        return TlsPrometheus(self, self.path("prom"), conf, ctx).start()

    def receiver(self, url, via, **tls_config):
        out = {"url": url, "write_interval": "1s", "external_labels": {"via": via}}
        if tls_config:
            out["tls_config"] = tls_config
        return out

    def daemon_config(self, receivers, path=None):
        return self.wa_config(self.log, [], remote_write=receivers, path=path)

    def requests(self, prom, via, at=None):
        got = prom.query('requests_total{status="200",via="%s"}' % via, at)
        return got[0][1] if got else None

    def wait_delivered(self, prom, d, via, expected=3):
        harness.wait_for(lambda: self.requests(prom, via) == expected, timeout=30,
                         message="requests_total{via=%s} == %d in prometheus" % (via, expected),
                         on_timeout=lambda: d.stderr_tail() + prom.log_tail())

    def wait_failing(self, d, url):
        """Until the receiver at `url` has failed attempts (retried) and samples queued."""
        harness.wait_for(lambda: d.value(SAMPLES, url=url, outcome="retried") > 0
                         and d.value(QUEUE, url=url) > 0, timeout=30,
                         message="failed attempts to %s" % url, on_timeout=d.stderr_tail)

    def test_ca_verified_and_server_name_mismatch_fails(self):
        """ca_file verifies the chain and the URL's IP address; a server_name the
        certificate does not carry fails the handshake (hostname mismatch), is retried and
        counted, and delivers nothing; one with a name it does carry (localhost) delivers."""
        prom = self.prometheus()
        good, wrong, named = prom.write_url(), prom.write_url("localhost"), prom.write_url() + "?named"
        d = self.start_daemon(self.daemon_config([
            self.receiver(good, "ca", ca_file=self.pki.ca_crt),
            self.receiver(wrong, "wrong-name", ca_file=self.pki.ca_crt, server_name="wrong.example"),
            self.receiver(named, "named", ca_file=self.pki.ca_crt, server_name="localhost"),
        ]))
        self.wait_delivered(prom, d, "ca")
        self.wait_delivered(prom, d, "named")
        self.wait_failing(d, wrong)
        self.assertEqual(self.requests(prom, "wrong-name"), None)
        self.assertEqual(d.value(SAMPLES, url=wrong, outcome="sent"), 0)
        self.assertEqual(d.value(SAMPLES, url=good, outcome="failed"), 0)
        self.assertRegex(d.stderr_text(), r"remote write %s: sending \d+ samples failed \(.*hostname mismatch"
                         % wrong.replace("?", r"\?").replace(".", r"\."))

    def test_wrong_ca_then_fixed_by_reload_loses_nothing(self):
        """A CA that did not sign the server's certificate: nothing is delivered, the
        attempts are counted retried and the samples stay queued (on disk). Fixing ca_file
        and sending SIGHUP delivers them all, each at its own timestamp."""
        prom = self.prometheus()
        other = ts.Pki(os.path.join(self.tmp, "other-pki"), name="other")
        url = prom.write_url()
        cfg = self.daemon_config([self.receiver(url, "fix", ca_file=other.ca_crt)])
        t_start = time.time()
        d = self.start_daemon(cfg)
        self.wait_failing(d, url)
        self.assertIn("certificate verify failed", d.stderr_text())
        # A few write intervals of samples pile up while nothing gets through.
        harness.wait_for(lambda: time.time() - t_start > 4 and d.value(QUEUE, url=url) > 0, timeout=30)
        self.append(self.log, req("GET", 200, 5, "a"))
        d.wait_value("requests_total", 4, status="200")
        # A snapshot queued after this read holds the 4.
        queued = d.value(QUEUE, url=url)
        harness.wait_for(lambda: d.value(QUEUE, url=url) > queued, timeout=10, on_timeout=d.stderr_tail)
        self.assertEqual(prom.query("requests_total"), [])
        self.assertEqual(d.value(SAMPLES, url=url, outcome="sent"), 0)
        t_fix = time.time()

        self.daemon_config([self.receiver(url, "fix", ca_file=self.pki.ca_crt)], path=cfg)
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "configuration reloaded" in d.stderr_text(), message="no reload",
                         on_timeout=d.stderr_tail)
        self.wait_delivered(prom, d, "fix", expected=4)
        harness.wait_for(lambda: d.value(QUEUE, url=url) == 0, timeout=20, on_timeout=d.stderr_tail)
        # The samples taken while the CA was wrong arrived: one a second from the start
        # (write_interval 1s), the 3 before the append and the 4 after it.
        window = "%dms" % int((t_fix - t_start) * 1000)
        got = prom.query('count_over_time(requests_total{via="fix"}[%s])' % window, at=t_fix)
        self.assertTrue(got, "no sample of the failing period in prometheus")
        self.assertGreaterEqual(got[0][1], int(t_fix - t_start) - 3, (got, t_fix - t_start))
        got = prom.query('min_over_time(requests_total{via="fix"}[%s])' % window, at=t_fix)
        self.assertEqual(got[0][1], 3)
        got = prom.query('max_over_time(requests_total{via="fix"}[%s])' % window, at=t_fix)
        self.assertEqual(got[0][1], 4)
        self.assertGreater(d.value(SAMPLES, url=url, outcome="sent"), 0)
        self.assertEqual(d.value(SAMPLES, url=url, outcome="failed"), 0)
        self.assertEqual(d.value(SAMPLES, url=url, outcome="dropped"), 0)

    def test_changed_tls_files_are_reread_without_a_reload(self):
        """The CA file is replaced on disk (as a renewal tool does): garbage is refused
        (logged, one failed attempt counted) and the CA in use stays, so delivery goes on;
        a CA that did not sign the server is used from the next connection (kept-alive ones
        made with the old CA are closed), so delivery stops with samples queued; the right
        CA again, and everything queued arrives."""
        prom = self.prometheus()
        other = ts.Pki(os.path.join(self.tmp, "other-pki"), name="other")
        garbage = self.path("garbage.pem")
        with open(garbage, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64\n")
        ca = self.path("ca.pem")
        ts.replace_file(self.pki.ca_crt, ca)
        url = prom.write_url()
        d = self.start_daemon(self.daemon_config([self.receiver(url, "files", ca_file=ca)]))
        self.wait_delivered(prom, d, "files")

        ts.replace_file(garbage, ca)
        harness.wait_for(lambda: "TLS client files changed but cannot be used" in d.stderr_text(), timeout=20,
                         on_timeout=d.stderr_tail)
        self.assertIn("tls_config.ca_file %s: cannot use it as PEM CA certificates" % ca, d.stderr_text())
        harness.wait_for(lambda: d.value(SAMPLES, url=url, outcome="retried") > 0, timeout=10)
        self.append(self.log, req("GET", 200, 5, "a"))
        self.wait_delivered(prom, d, "files", expected=4)

        ts.replace_file(other.ca_crt, ca)
        retried = d.value(SAMPLES, url=url, outcome="retried")
        harness.wait_for(lambda: d.value(SAMPLES, url=url, outcome="retried") > retried, timeout=20,
                         message="an attempt failing with the other CA", on_timeout=d.stderr_tail)
        self.append(self.log, req("GET", 200, 5, "a"))
        d.wait_value("requests_total", 5, status="200")
        harness.wait_for(lambda: d.value(QUEUE, url=url) > 0, timeout=10)
        self.assertEqual(self.requests(prom, "files"), 4)

        ts.replace_file(self.pki.ca_crt, ca)
        self.wait_delivered(prom, d, "files", expected=5)
        harness.wait_for(lambda: d.value(QUEUE, url=url) == 0, timeout=40, on_timeout=d.stderr_tail)

    def test_insecure_skip_verify(self):
        """insecure_skip_verify: the server's certificate is not checked (no CA known, and
        a name it does not carry), and samples are delivered."""
        prom = self.prometheus()
        d = self.start_daemon(self.daemon_config([
            self.receiver(prom.write_url(), "insecure", insecure_skip_verify=True, server_name="not.in.the.cert"),
        ]))
        self.wait_delivered(prom, d, "insecure")
        self.assertEqual(d.value(SAMPLES, url=prom.write_url(), outcome="retried"), 0)

    def test_mutual_tls_with_and_without_a_client_certificate(self):
        """client_auth_type RequireAndVerifyClientCert: the receiver with cert_file and
        key_file delivers; the one without is refused at the handshake, retried, counted,
        and delivers nothing."""
        prom = self.prometheus(client_auth_type="RequireAndVerifyClientCert", client_ca_file=self.pki.ca_crt)
        with_cert, without = prom.write_url(), prom.write_url("localhost")
        d = self.start_daemon(self.daemon_config([
            self.receiver(with_cert, "mtls", ca_file=self.pki.ca_crt, cert_file=self.client_crt,
                          key_file=self.client_key),
            self.receiver(without, "no-cert", ca_file=self.pki.ca_crt),
        ]))
        self.wait_delivered(prom, d, "mtls")
        self.wait_failing(d, without)
        self.assertEqual(self.requests(prom, "no-cert"), None)
        self.assertEqual(d.value(SAMPLES, url=without, outcome="sent"), 0)
        self.assertEqual(d.value(SAMPLES, url=with_cert, outcome="retried"), 0)

    def test_bad_tls_files_are_configuration_errors(self):
        """--check: a CA file that is not PEM names the line and column of ca_file; a
        client key that does not match its certificate names key_file."""
        garbage = self.path("garbage.crt")
        with open(garbage, "w") as f:
            f.write("not a certificate\n")
        cfg = self.daemon_config([self.receiver("https://127.0.0.1:1/api/v1/write", "x", ca_file=garbage)])
        r = harness.run_cli(["-c", cfg, "--check"], text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        with open(cfg) as f:
            text = f.read().splitlines()
        line = next(i for i, l in enumerate(text, 1) if "ca_file" in l)
        self.assertRegex(r.stderr, r"^%s:%d:\d+: tls_config\.ca_file %s: cannot use it as PEM CA certificates"
                         % (cfg, line, garbage))
        other_crt, other_key = self.pki.issue("other", serial=2003, client=True)
        cfg = self.daemon_config([self.receiver("https://127.0.0.1:1/api/v1/write", "x", ca_file=self.pki.ca_crt,
                                                cert_file=self.client_crt, key_file=other_key)])
        r = harness.run_cli(["-c", cfg, "--check"], text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("tls_config.key_file %s does not match cert_file %s" % (other_key, self.client_crt), r.stderr)


if __name__ == "__main__":
    harness.main()
