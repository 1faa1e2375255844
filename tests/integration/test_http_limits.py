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
        # The server gives up on it at its header deadline (5 s): the peer sees EOF.
        self.assertEqual(silent.recv(1024), b"")
        self.assertLess(time.monotonic() - started, 9)
        silent.close()

    def test_connections_beyond_the_cap_make_room_instead_of_refusing(self):
        # 300 silent connections from one address: the newest take the slots of the oldest
        # (which see the server close them), and a newcomer is served, not refused.
        idle = []
        try:
            for _ in range(300):
                idle.append(socket.create_connection(("127.0.0.1", self.port), timeout=5))
            extra = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            extra.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertIn(b" 200 ", extra.recv(4096))
            extra.close()
            self.assertEqual(idle[0].recv(1024), b"", "the longest-idle connection is closed")
        finally:
            for s in idle:
                s.close()

    def test_an_incomplete_body_gets_400_at_the_body_deadline(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=15) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            started = time.monotonic()
            reply = s.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), reply)
            self.assertIn(b"Content-Length", reply)
            # At the 5 s body deadline, not at once and not after the client gives up.
            self.assertGreater(time.monotonic() - started, 4)
            self.assertLess(time.monotonic() - started, 8)
        self.assertEqual(self.d.get("/-/healthy")[0], 200)

    def test_an_unknown_transfer_encoding_gets_501(self):
        for coding in (b"gzip", b"foo", b"gzip, chunked"):
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
                          b"\r\n\r\n0\r\n\r\n")
                self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 501 "), coding)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                      b"3\r\nabc\r\n0\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200 "))


if __name__ == "__main__":
    harness.main()
