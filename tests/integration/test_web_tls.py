#!/usr/bin/env python3
"""web: TLS, basic auth and response headers, against the real daemon.

Certificates are made in each test with `openssl` (tls_support.Pki). A real Prometheus
(Debian `prometheus`) scrapes over TLS with basic auth; Python's ssl module plays the other
clients: wrong and missing passwords, plain HTTP to the TLS port, an expired server
certificate, mutual TLS, a renewed certificate, silent and slow handshakes.
"""
import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rules_support as rs  # noqa: E402
import test_prometheus_scrape as ps  # noqa: E402
import tls_support as ts  # noqa: E402

HEADER_TIMEOUT = 5.0  # http::kHeaderTimeout


class WebTls(rs.RulesTestCase):
    WATCHER = "auto"

    def setUp(self):
        super().setUp()
        self.pki = ts.Pki(os.path.join(self.tmp, "pki"))
        self.cert, self.key = self.pki.issue("server", serial=1001)
        self.ctx = ts.client_context(self.pki.ca_crt)

    def start_web(self, web, lines=10, extra_args=()):
        log = self.path("access.log")
        self.append(log, ps.access_lines(lines))
        cfg = self.rules_config([self.source([log], name="access")], rs.access_rules("access"), web=web)
        d = self.start_daemon(cfg, wait=None, extra_args=extra_args)
        d.wait_listening()
        return d, cfg

    def tls_web(self, **extra):
        web = {"tls_server_config": ts.web_config(self.cert, self.key),
               "basic_auth_users": {ts.USER: ts.HASH},
               "http_server_config": {"headers": {"X-Frame-Options": "deny",
                                                  "Strict-Transport-Security": "max-age=31536000"}}}
        web.update(extra)
        return web

    # ------------------------------------------------------------ Prometheus, basic auth

    def test_real_prometheus_scrapes_over_tls_with_basic_auth(self):
        d, _ = self.start_web(self.tls_web(), lines=40)
        ts.wait_https(d, d.port, self.ctx)
        prom = ps.PrometheusServer(self, self.tmp, ["127.0.0.1:%d" % d.port])
        with open(prom.config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: logpulse\n    scheme: https\n"
                    "    tls_config: {ca_file: %s, server_name: localhost}\n"
                    "    basic_auth: {username: %s, password: %s}\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                    % (self.pki.ca_crt, ts.USER, ts.PASSWORD, d.port))
        prom.start()
        prom.wait_scalar("sum(http_requests_total)", 40, extra=d.stderr_tail)
        prom.wait_scalar('up{job="logpulse"}', 1)
        self.append(self.path("access.log"), ps.access_lines(10, start=40))
        prom.wait_scalar("sum(http_requests_total)", 50, extra=d.stderr_tail)

    def test_missing_or_wrong_credentials_get_401_with_basic_challenge(self):
        d, _ = self.start_web(self.tls_web())
        ts.wait_https(d, d.port, self.ctx)
        for headers in ({}, ts.auth_header(password="wrong"), ts.auth_header(user="nobody"),
                        {"Authorization": "Bearer abc"}):
            status, h, _ = ts.https_get(d.port, "/metrics", self.ctx, headers)
            self.assertEqual(status, 401, headers)
            self.assertEqual(h["www-authenticate"], 'Basic realm="logpulse"')
            self.assertEqual(h["x-frame-options"], "deny")  # configured headers on every response
        # Health is behind auth unless health_without_auth says otherwise.
        self.assertEqual(ts.https_get(d.port, "/-/healthy", self.ctx)[0], 401)
        status, h, body = ts.https_get(d.port, "/metrics", self.ctx, ts.auth_header())
        self.assertEqual(status, 200)
        self.assertIn(b'logpulse_lines_read_total{source="access"}', body)
        self.assertEqual(h["strict-transport-security"], "max-age=31536000")
        self.assertEqual(ts.https_get(d.port, "/-/healthy", self.ctx, ts.auth_header())[0], 200)

    def test_keep_alive_scrapes_pay_neither_bcrypt_nor_nagle(self):
        # Cost 12: a quarter of a second a bcrypt, so 20 of them would take 5 s; a response
        # held by Nagle's algorithm until a delayed ACK would take 40 ms, 0.8 s for 20.
        d, _ = self.start_web(self.tls_web(basic_auth_users={ts.USER: ts.bcrypt_hash(ts.PASSWORD, cost=12)}))
        ts.wait_https(d, d.port, self.ctx)
        conn = http.client.HTTPSConnection("127.0.0.1", d.port, context=self.ctx, timeout=10)
        self.addCleanup(conn.close)

        def scrape():
            conn.request("GET", "/metrics", headers=ts.auth_header())
            r = conn.getresponse()
            r.read()
            return r.status
        self.assertEqual(scrape(), 200)  # the one bcrypt
        start = time.monotonic()
        statuses = [scrape() for _ in range(20)]
        elapsed = time.monotonic() - start
        self.assertEqual(statuses, [200] * 20)
        self.assertLess(elapsed, 0.5)

    def test_health_without_auth_opens_only_health(self):
        d, _ = self.start_web(self.tls_web(health_without_auth=True))
        ts.wait_https(d, d.port, self.ctx)
        self.assertEqual(ts.https_get(d.port, "/-/healthy", self.ctx)[0], 200)
        self.assertEqual(ts.https_get(d.port, "/-/ready", self.ctx)[0], 401)
        self.assertEqual(ts.https_get(d.port, "/metrics", self.ctx)[0], 401)

    def test_basic_auth_without_tls(self):
        d, _ = self.start_web({"basic_auth_users": {ts.USER: ts.HASH}})
        self.assertEqual(harness._http(d.port, "GET", "/metrics")[0], 401)
        self.assertEqual(harness._http(d.port, "GET", "/metrics", headers=ts.auth_header())[0], 200)

    # ------------------------------------------------------------ TLS failures

    def test_plain_http_to_the_tls_port_gets_no_http_answer(self):
        d, _ = self.start_web(self.tls_web())
        ts.wait_https(d, d.port, self.ctx)
        with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                received += chunk
        self.assertEqual(received, b"")  # no answer at all: the connection is just closed
        # The daemon lives on and still serves TLS.
        self.assertTrue(d.alive())
        self.assertEqual(ts.https_get(d.port, "/metrics", self.ctx, ts.auth_header())[0], 200)

    def test_an_expired_server_certificate_fails_verification(self):
        self.cert, self.key = self.pki.issue_expired("expired")
        d, _ = self.start_web(self.tls_web())
        insecure = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        ts.wait_https(d, d.port, insecure)
        with self.assertRaises(ssl.SSLCertVerificationError) as caught:
            ts.https_get(d.port, "/metrics", self.ctx, ts.auth_header())
        self.assertEqual(caught.exception.verify_message, "certificate has expired")

    def test_client_certificate_required_and_verified(self):
        client_crt, client_key = self.pki.issue("client", serial=3001, client=True)
        other = ts.Pki(os.path.join(self.tmp, "other"), name="other")
        foreign_crt, foreign_key = other.issue("foreign", serial=4001, client=True)
        d, _ = self.start_web(self.tls_web(tls_server_config=ts.web_config(
            self.cert, self.key, client_ca_file=self.pki.ca_crt,
            client_auth_type="RequireAndVerifyClientCert")))
        with_cert = ts.client_context(self.pki.ca_crt, client_crt, client_key)
        harness.wait_for(lambda: ts.https_get(d.port, "/metrics", with_cert, ts.auth_header())[0] == 200,
                         on_timeout=d.stderr_tail)
        # Without a certificate, or with one from another CA, the handshake fails: TLS 1.3
        # sends the server's refusal (an alert) after the client's Finished.
        for ctx, alert in ((self.ctx, "TLSV13_ALERT_CERTIFICATE_REQUIRED"),
                           (ts.client_context(self.pki.ca_crt, foreign_crt, foreign_key), "TLSV1_ALERT_UNKNOWN_CA")):
            with self.assertRaises(ssl.SSLError) as caught:
                ts.https_get(d.port, "/metrics", ctx, ts.auth_header())
            self.assertEqual(caught.exception.reason, alert)
        self.assertTrue(d.alive())

    def test_the_other_client_auth_policies(self):
        client_crt, client_key = self.pki.issue("client", serial=3001, client=True)
        other = ts.Pki(os.path.join(self.tmp, "other"), name="other")
        foreign_crt, foreign_key = other.issue("foreign", serial=4001, client=True)
        clients = {"none": self.ctx,
                   "ours": ts.client_context(self.pki.ca_crt, client_crt, client_key),
                   "foreign": ts.client_context(self.pki.ca_crt, foreign_crt, foreign_key)}
        # policy -> client -> the status, or the TLS alert that refuses it
        expected = {
            "RequestClientCert": {"none": 200, "ours": 200, "foreign": 200},
            "RequireAnyClientCert": {"none": "TLSV13_ALERT_CERTIFICATE_REQUIRED", "ours": 200, "foreign": 200},
            "VerifyClientCertIfGiven": {"none": 200, "ours": 200, "foreign": "TLSV1_ALERT_UNKNOWN_CA"},
        }
        for policy, outcomes in expected.items():
            tls = ts.web_config(self.cert, self.key, client_auth_type=policy)
            if policy == "VerifyClientCertIfGiven":
                tls["client_ca_file"] = self.pki.ca_crt
            d, _ = self.start_web(self.tls_web(tls_server_config=tls), lines=0)
            ts.wait_https(d, d.port, self.ctx if outcomes["none"] == 200 else clients["ours"])
            for client, outcome in outcomes.items():
                if outcome == 200:
                    self.assertEqual(ts.https_get(d.port, "/metrics", clients[client], ts.auth_header())[0], 200,
                                     (policy, client))
                else:
                    with self.assertRaises(ssl.SSLError, msg=(policy, client)) as caught:
                        ts.https_get(d.port, "/metrics", clients[client], ts.auth_header())
                    self.assertEqual(caught.exception.reason, outcome, (policy, client))
            d.stop()

    # ------------------------------------------------------------ protocol versions, cipher suites

    def start_tls(self, **tls):
        """A daemon with these tls_server_config keys; waits for a handshake it accepts."""
        d, _ = self.start_web(self.tls_web(tls_server_config=ts.web_config(self.cert, self.key, **tls)), lines=0)
        return d

    def wait_handshake(self, d, ctx):
        def ok():
            d._check_alive()
            return ts.handshake(d.port, ctx)
        harness.wait_for(ok, message="no TLS handshake accepted", on_timeout=d.stderr_tail)

    def assert_versions(self, d, accepted):
        """Each version in ts.TLS_VERSIONS is accepted (negotiated as itself) iff in `accepted`."""
        for version in ts.TLS_VERSIONS:
            client = ts.version_client(self.pki.ca_crt, version)
            if version in accepted:
                protocol, _ = ts.handshake(d.port, client)
                self.assertEqual(protocol, "TLSv1" + {"TLS10": "", "TLS11": ".1", "TLS12": ".2", "TLS13": ".3"}[version],
                                 version)
                self.assertEqual(ts.https_get(d.port, "/metrics", client, ts.auth_header())[0], 200, version)
            else:
                with self.assertRaises(ssl.SSLError, msg="a %s client was accepted" % version):
                    ts.handshake(d.port, client)
        self.assertTrue(d.alive())

    def test_min_version_refuses_older_clients_on_the_wire(self):
        # TLS10 and TLS11 need OpenSSL's security level 0: at its default (1 and above)
        # OpenSSL 3 refuses them whatever the minimum says.
        for index, minimum in enumerate(ts.TLS_VERSIONS):
            d = self.start_tls(min_version=minimum)
            self.wait_handshake(d, ts.version_client(self.pki.ca_crt, "TLS13"))
            self.assert_versions(d, ts.TLS_VERSIONS[index:])
            d.stop()

    def test_max_version_refuses_newer_clients_on_the_wire(self):
        for minimum, maximum, accepted in ((None, "TLS13", ("TLS12", "TLS13")),
                                           ("TLS12", "TLS12", ("TLS12",)),
                                           ("TLS10", "TLS11", ("TLS10", "TLS11"))):
            tls = {"max_version": maximum}
            if minimum:
                tls["min_version"] = minimum
            d = self.start_tls(**tls)
            self.wait_handshake(d, ts.version_client(self.pki.ca_crt, maximum))
            self.assert_versions(d, accepted)
            d.stop()

    def test_max_version_below_min_version_is_a_configuration_error(self):
        log = self.path("access.log")
        self.append(log, "x\n")
        for tls, message in (({"max_version": "TLS11"}, "max_version TLS11 is below min_version TLS12"),
                             ({"min_version": "TLS13", "max_version": "TLS12"},
                              "max_version TLS12 is below min_version TLS13"),
                             ({"max_version": "TLS14"}, "max_version: expected TLS10, TLS11, TLS12 or TLS13, "
                                                        "got 'TLS14'")):
            cfg = self.rules_config([self.source([log], name="access")], rs.access_rules("access"),
                                    web={"tls_server_config": ts.web_config(self.cert, self.key, **tls)})
            with open(cfg) as f:
                line = next(n for n, text in enumerate(f, 1) if "max_version" in text)
            for args in (["--check"], []):
                r = harness.run_cli(["-c", cfg] + args, timeout=30)
                err = r.stderr.decode()
                self.assertEqual(r.returncode, 2, err)
                self.assertRegex(err, r"%s:%d:\d+: .*%s" % (re.escape(cfg), line, re.escape(message)))

    def test_cipher_suites_bind_tls12_and_tls13_is_left_alone(self):
        # As in Go's crypto/tls (and so exporter-toolkit), cipher_suites governs TLS 1.2 and
        # below; TLS 1.3 suites are not configurable: listing one is accepted and changes nothing.
        d = self.start_tls(cipher_suites=["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"])
        tls12 = ts.version_client(self.pki.ca_crt, "TLS12")
        self.wait_handshake(d, tls12)
        # Allowed suites, each on its own; the server's order when the client offers several.
        for offered, expected in (("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"),
                                  ("ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"),
                                  (None, "ECDHE-ECDSA-CHACHA20-POLY1305")):
            client = ts.version_client(self.pki.ca_crt, "TLS12", offered)
            self.assertEqual(ts.handshake(d.port, client), ("TLSv1.2", expected), offered)
        self.assertEqual(ts.https_get(d.port, "/metrics", tls12, ts.auth_header())[0], 200)
        # Suites not listed are refused, by Python's client and by openssl s_client.
        for offered in ("ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA"):
            with self.assertRaises(ssl.SSLError, msg=offered) as caught:
                ts.handshake(d.port, ts.version_client(self.pki.ca_crt, "TLS12", offered))
            self.assertEqual(caught.exception.reason, "SSLV3_ALERT_HANDSHAKE_FAILURE", offered)
        code, out = ts.s_client(d.port, self.pki.ca_crt, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
        self.assertNotEqual(code, 0, out)
        code, out = ts.s_client(d.port, self.pki.ca_crt, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
        self.assertEqual(code, 0, out)
        self.assertIn("Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256", out)
        # TLS 1.3: every suite, the listed one and the others alike.
        for suite in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"):
            code, out = ts.s_client(d.port, self.pki.ca_crt, "-tls1_3", "-ciphersuites", suite)
            self.assertEqual(code, 0, out)
            self.assertIn("Protocol version: TLSv1.3", out)
            self.assertIn("Ciphersuite: " + suite, out)
        self.assertTrue(d.alive())

    # ------------------------------------------------------------ lifecycle API behind basic auth

    def test_lifecycle_endpoints_need_credentials_too(self):
        d, _ = self.start_web(self.tls_web(), extra_args=["--web.enable-lifecycle"])
        ts.wait_https(d, d.port, self.ctx)
        for path in ("/-/reload", "/-/quit"):
            for headers in ({}, ts.auth_header(password="wrong")):
                status, h, _ = ts.https_get(d.port, path, self.ctx, headers, method="POST")
                self.assertEqual(status, 401, (path, headers))
                self.assertEqual(h["www-authenticate"], 'Basic realm="logpulse"')
        self.assertTrue(d.alive())
        self.assertNotIn("reloading", d.stderr_text_since_start())
        status, _, body = ts.https_get(d.port, "/-/reload", self.ctx, ts.auth_header(), method="POST")
        self.assertEqual((status, body), (200, b"configuration reloaded\n"))
        status, _, _ = ts.https_get(d.port, "/-/quit", self.ctx, ts.auth_header(), method="POST")
        self.assertEqual(status, 200)
        self.assertEqual(d.proc.wait(harness.WAIT), 0, d.stderr_tail())

    # ------------------------------------------------------------ logpulse --healthcheck

    def healthcheck(self, cfg):
        """`logpulse -c CFG --healthcheck` -> (exit code, stdout, stderr)."""
        r = harness.run_cli(["-c", cfg, "--healthcheck"], timeout=30)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def assert_healthy(self, cfg):
        code, out, err = self.healthcheck(cfg)
        self.assertEqual((code, out, err), (0, "", ""))

    def assert_unhealthy(self, cfg, *fragments):
        code, out, err = self.healthcheck(cfg)
        self.assertEqual(code, 1, err)
        self.assertEqual(out, "")
        self.assertEqual(len(err.splitlines()), 1, err)  # one line
        self.assertTrue(err.startswith("logpulse --healthcheck: "), err)
        for fragment in fragments:
            self.assertIn(fragment, err)
        return err

    def test_healthcheck_over_plain_http_follows_the_listen_file(self):
        # No daemon yet: no listen file.
        log = self.path("access.log")
        self.append(log, "x\n")
        cfg = self.rules_config([self.source([log], name="access")], rs.access_rules("access"))
        self.assert_unhealthy(cfg, os.path.join(self.state, "listen"), "is logpulse running")
        d = self.start_daemon(cfg, wait="healthy")
        self.assert_healthy(cfg)
        d.stop()
        # Stopped: its listen file names a closed port.
        self.assert_unhealthy(cfg, "cannot connect", "http://127.0.0.1:%d" % d.port)
        # A wildcard address is asked on loopback.
        wildcard = self.rules_config([self.source([log], name="access")], rs.access_rules("access"),
                                     listen=["0.0.0.0:0"])
        d = self.start_daemon(wildcard, wait="healthy")
        with open(os.path.join(self.state, "listen")) as f:
            self.assertTrue(f.read().startswith("0.0.0.0:"))
        self.assert_healthy(wildcard)

    def test_healthcheck_over_tls_does_not_verify_the_certificate(self):
        # The daemon's certificate is from a CA the check does not know, and for other names;
        # the daemon allows TLS 1.3 only, with basic auth and health_without_auth.
        d, cfg = self.start_web(self.tls_web(tls_server_config=ts.web_config(self.cert, self.key, min_version="TLS13"),
                                             health_without_auth=True))
        ts.wait_https(d, d.port, self.ctx)
        self.assert_healthy(cfg)
        d.stop()
        # One limited to TLS 1.0, at OpenSSL's security level 0.
        d, cfg = self.start_web(self.tls_web(tls_server_config=ts.web_config(
            self.cert, self.key, min_version="TLS10", max_version="TLS10"), health_without_auth=True))
        ts.wait_https(d, d.port, ts.version_client(self.pki.ca_crt, "TLS10"))
        self.assert_healthy(cfg)
        d.stop()
        self.assert_unhealthy(cfg, "cannot connect", "https://127.0.0.1:%d" % d.port)

    def test_healthcheck_with_basic_auth_needs_health_without_auth(self):
        d, cfg = self.start_web(self.tls_web())
        ts.wait_https(d, d.port, self.ctx)
        self.assert_unhealthy(cfg, "GET https://127.0.0.1:%d/-/healthy: 401 Unauthorized" % d.port,
                              "set `web.health_without_auth: true`")
        d.stop()
        d, cfg = self.start_web({"basic_auth_users": {ts.USER: ts.HASH}})
        d.wait_status("/-/healthy", 401)
        self.assert_unhealthy(cfg, "GET http://127.0.0.1:%d/-/healthy: 401" % d.port,
                              "set `web.health_without_auth: true`")
        d.stop()
        d, cfg = self.start_web({"basic_auth_users": {ts.USER: ts.HASH}, "health_without_auth": True})
        d.wait_status("/-/healthy", 200)
        self.assert_healthy(cfg)

    def test_healthcheck_gives_up_on_a_silent_server_within_its_timeout(self):
        # A socket the kernel accepts on and nobody answers, named by the listen file.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        self.addCleanup(silent.close)
        os.makedirs(self.state, exist_ok=True)
        with open(os.path.join(self.state, "listen"), "w") as f:
            f.write("127.0.0.1:%d\n" % silent.getsockname()[1])
        log = self.path("access.log")
        self.append(log, "x\n")
        cfg = self.rules_config([self.source([log], name="access")], rs.access_rules("access"))
        start = time.monotonic()
        self.assert_unhealthy(cfg, "no answer from http://127.0.0.1:%d within 4 s" % silent.getsockname()[1])
        self.assertLess(time.monotonic() - start, 4 + 2)

    def test_healthcheck_usage_and_configuration_errors(self):
        log = self.path("access.log")
        self.append(log, "x\n")
        cfg = self.rules_config([self.source([log], name="access")], rs.access_rules("access"))
        r = harness.run_cli(["-c", cfg, "--healthcheck", "--check"])
        self.assertEqual(r.returncode, 2, r.stderr)
        # A configuration that does not load is unhealthy (1: Docker reserves 2).
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("listen: [127.0.0.1:0]\nstate_dir: %s\nsources: 3\n" % self.state)
        code, out, err = self.healthcheck(bad)
        self.assertEqual(code, 1, err)
        self.assertRegex(err, r"^logpulse --healthcheck: %s:3:\d+: " % re.escape(bad))

    # ------------------------------------------------------------ certificate renewal

    def test_renewed_certificate_is_served_without_restart(self):
        d, cfg = self.start_web(self.tls_web())
        ts.wait_https(d, d.port, self.ctx)
        self.assertEqual(ts.peer_serial(d.port, self.ctx), 1001)
        live_cert, live_key = self.cert, self.key
        # A renewal replaces both files: new connections see the new serial.
        new_crt, new_key = self.pki.issue("renewed", serial=1002)
        ts.replace_file(new_key, live_key)
        ts.replace_file(new_crt, live_cert)
        harness.wait_for(lambda: ts.peer_serial(d.port, self.ctx) == 1002,
                         message="the renewed certificate was never served", on_timeout=d.stderr_tail)
        # A broken certificate file is refused, logged, and the one in use stays.
        with open(live_cert, "w") as f:
            f.write("not a certificate\n")
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "TLS certificate reload refused" in d.stderr_text_since_start(),
                         on_timeout=d.stderr_tail)
        self.assertEqual(ts.peer_serial(d.port, self.ctx), 1002)
        # SIGHUP re-reads a good one at once.
        third_crt, third_key = self.pki.issue("third", serial=1003)
        ts.replace_file(third_key, live_key)
        ts.replace_file(third_crt, live_cert)
        d.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: ts.peer_serial(d.port, self.ctx) == 1003, on_timeout=d.stderr_tail)
        self.assertEqual(ts.https_get(d.port, "/metrics", self.ctx, ts.auth_header())[0], 200)

    def test_a_replaced_client_ca_file_is_used_without_restart(self):
        ca_file = os.path.join(self.tmp, "clients-ca.crt")
        ts.replace_file(self.pki.ca_crt, ca_file)
        old_crt, old_key = self.pki.issue("client", serial=3001, client=True)
        new_ca = ts.Pki(os.path.join(self.tmp, "newca"), name="newca")
        new_crt, new_key = new_ca.issue("newcomer", serial=5001, client=True)
        old_client = ts.client_context(self.pki.ca_crt, old_crt, old_key)
        new_client = ts.client_context(self.pki.ca_crt, new_crt, new_key)
        d = self.start_tls(client_ca_file=ca_file, client_auth_type="RequireAndVerifyClientCert")
        harness.wait_for(lambda: ts.https_get(d.port, "/metrics", old_client, ts.auth_header())[0] == 200,
                         on_timeout=d.stderr_tail)
        with self.assertRaises(ssl.SSLError) as caught:
            ts.https_get(d.port, "/metrics", new_client, ts.auth_header())
        self.assertEqual(caught.exception.reason, "TLSV1_ALERT_UNKNOWN_CA")
        # The new CA replaces the old one in the file: its clients get in, the old ones no more.
        ts.replace_file(new_ca.ca_crt, ca_file)
        harness.wait_for(lambda: ts.https_get(d.port, "/metrics", new_client, ts.auth_header())[0] == 200,
                         message="a client of the new CA is still refused", on_timeout=d.stderr_tail)
        with self.assertRaises(ssl.SSLError) as caught:
            ts.https_get(d.port, "/metrics", old_client, ts.auth_header())
        self.assertEqual(caught.exception.reason, "TLSV1_ALERT_UNKNOWN_CA")
        self.assertIn("TLS certificate reloaded", d.stderr_text_since_start())

    def test_a_bad_certificate_at_start_is_a_configuration_error_naming_it(self):
        bad = os.path.join(self.tmp, "bad.crt")
        with open(bad, "w") as f:
            f.write("garbage\n")
        log = self.path("access.log")
        self.append(log, "x\n")
        cfg = self.rules_config([self.source([log], name="access")], rs.access_rules("access"),
                                web={"tls_server_config": ts.web_config(bad, self.key)})
        for args in (["--check"], []):
            r = harness.run_cli(["-c", cfg] + args, timeout=30)
            err = r.stderr.decode()
            self.assertEqual(r.returncode, 2, err)
            self.assertRegex(err, r"%s:\d+:\d+: web\.tls_server_config: cert_file %s: cannot use it as a PEM "
                             r"certificate" % (re.escape(cfg), re.escape(bad)))

    # ------------------------------------------------------------ slow handshakes

    def test_silent_or_slow_handshake_cannot_hold_a_slot_past_the_header_deadline(self):
        d, _ = self.start_web(self.tls_web())
        ts.wait_https(d, d.port, self.ctx)
        # A ClientHello from a real client, to drip byte by byte.
        hello = ssl.MemoryBIO()
        obj = self.ctx.wrap_bio(ssl.MemoryBIO(), hello, server_hostname="localhost")
        with self.assertRaises(ssl.SSLWantReadError):
            obj.do_handshake()
        client_hello = hello.read()
        silent = socket.create_connection(("127.0.0.1", d.port))
        slow = socket.create_connection(("127.0.0.1", d.port))
        opened = time.monotonic()
        closed = {}

        def drip_until_closed():
            for name, s in (("silent", silent), ("slow", slow)):
                if name in closed:
                    continue
                s.settimeout(0.05)
                try:
                    if name == "slow" and sent[0] < len(client_hello) - 1:  # never the last byte
                        s.send(client_hello[sent[0]:sent[0] + 1])
                        sent[0] += 1
                    if s.recv(4096) == b"":
                        closed[name] = time.monotonic() - opened
                except socket.timeout:
                    pass
                except OSError:
                    closed[name] = time.monotonic() - opened
            return len(closed) == 2
        sent = [0]
        harness.wait_for(drip_until_closed, timeout=HEADER_TIMEOUT + 5, step=0.2,
                         message=lambda: "handshakes still open: %r" % closed, on_timeout=d.stderr_tail)
        silent.close()
        slow.close()
        for name, after in closed.items():
            self.assertGreater(after, HEADER_TIMEOUT - 0.5, name)
            self.assertLess(after, HEADER_TIMEOUT + 2, name)
        self.assertEqual(ts.https_get(d.port, "/metrics", self.ctx, ts.auth_header())[0], 200)

    def test_a_flood_of_silent_handshakes_does_not_lock_out_a_scraper(self):
        d, _ = self.start_web(self.tls_web())
        ts.wait_https(d, d.port, self.ctx)
        silent = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(300)]  # > kMaxConnections
        try:
            start = time.monotonic()
            self.assertEqual(ts.https_get(d.port, "/metrics", self.ctx, ts.auth_header(), timeout=4)[0], 200)
            self.assertLess(time.monotonic() - start, HEADER_TIMEOUT - 1)
        finally:
            for s in silent:
                s.close()


if __name__ == "__main__":
    harness.main()
