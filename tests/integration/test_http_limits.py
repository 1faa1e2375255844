"""HTTP limits (SPEC.md "HTTP"): headers over 8 KiB, slow and idle clients and connections
beyond the cap are refused without harming other clients."""

import http.client
import socket
import time

import harness


class HttpLimits(harness.LogpulseTestCase):
    def setUp(self):
        super().setUp()
        self.append(self.path("a.log"), self.lines("x", 3))
        self.d = self.run_daemon([self.source([self.path("a.log")])])
        self.d.settle("logpulse_lines_read_total", 3, source="app")

    def test_oversized_headers_get_431_and_the_server_goes_on(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.putrequest("GET", "/metrics")
        conn.putheader("X-Big", "a" * 9000)
        conn.endheaders()
        self.assertEqual(conn.getresponse().status, 431)
        conn.close()
        self.assertEqual(self.d.get("/-/healthy")[0], 200)

    def test_garbage_request_gets_400(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"\x16\x03\x01\x02\x00 not http at all\r\n\r\n")
            self.assertIn(b" 400 ", s.recv(4096))
        self.assertEqual(self.d.get("/-/healthy")[0], 200)

    def test_a_silent_client_does_not_block_others_and_is_dropped(self):
        silent = socket.create_connection(("127.0.0.1", self.port), timeout=15)
        silent.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        started = time.monotonic()
        self.assertEqual(self.d.get("/metrics")[0], 200)
        self.assertLess(time.monotonic() - started, 2)
        # The server gives up on it after its request timeout (10 s): the peer sees EOF.
        self.assertEqual(silent.recv(1024), b"")
        self.assertLess(time.monotonic() - started, 14)
        silent.close()

    def test_connections_beyond_the_cap_are_refused_and_open_ones_keep_working(self):
        keep = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        keep.request("GET", "/-/healthy")
        self.assertEqual(keep.getresponse().read(), b"logpulse is healthy\n")
        idle = []
        try:
            for _ in range(300):
                idle.append(socket.create_connection(("127.0.0.1", self.port), timeout=5))

            def refused():   # once the server has taken the flood, one more gets 503
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as extra:
                    extra.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
                    return b" 503 " in extra.recv(4096)
            harness.wait_for(refused, message="no 503 beyond the connection cap")
            # The keep-alive client from before the flood is not harmed.
            keep.request("GET", "/-/healthy")
            self.assertEqual(keep.getresponse().status, 200)
        finally:
            for s in idle:
                s.close()
            keep.close()
        harness.wait_for(lambda: self.d.get("/-/healthy")[0] == 200, message="server did not recover")


if __name__ == "__main__":
    harness.main()
