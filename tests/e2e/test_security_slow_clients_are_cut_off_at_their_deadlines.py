#!/usr/bin/env python3
"""Slow clients (issue 4, "Hostile and broken peers"): a client that sends
its header one byte at a time (slowloris), or part of it and then
nothing, or nothing at all, gets 408 within limits.header_timeout and an
audit record (rule limits.header_timeout), on the proxy port and inside a
tunnel; a CONNECT whose TLS handshake never comes is closed within
limits.handshake_timeout with a record; an idle kept-alive connection is
closed within limits.idle_timeout; a client that stops in the middle of a
request body is cut off within limits.upstream_timeout, and the record
does not blame the upstream. Meanwhile the proxy serves others promptly.
The lab's limits: header 2 s, idle 2 s, handshake 2 s, upstream 3 s."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import lab, raw, testing  # noqa: E402

HUB = lab.HUB
HEADER_TIMEOUT, IDLE_TIMEOUT, HANDSHAKE_TIMEOUT, UPSTREAM_TIMEOUT = 2, 2, 2, 3
SLACK = 1.5


class SlowClientsAreCutOffAtTheirDeadlines(lab.LabTestCase):

    def assert_408(self, conn, started):
        response = conn.response(timeout=HEADER_TIMEOUT + 5)
        elapsed = time.monotonic() - started
        record = self.lab.wait_records(conn)[-1]
        self.assertEqual((record["rule"], record["decision"]),
                         ("limits.header_timeout", "deny"), record)
        self.assertLess(elapsed, HEADER_TIMEOUT + SLACK, "cut off at limits.header_timeout")
        self.assertIsNotNone(response, "pullgate closed the connection without the 408 it "
                                       f"logged (record: status {record['status']})")
        self.assertEqual(response.status, 408, response)
        self.assertEqual(record["status"], 408)
        self.assertTrue(conn.closed_within(3))

    def test_a_header_sent_one_byte_at_a_time_gets_408_within_the_header_timeout(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                conn = self.open(HUB if tunnel else None)
                target = lab.manifest_path(lab.ALLOWED, "slow")
                data = raw.request_bytes("GET", target if tunnel else f"http://{HUB}{target}",
                                         HUB, ["X-Padding: " + "a" * 200])
                started = time.monotonic()
                sender = threading.Thread(target=conn.send_slowly,
                                          args=(data, 0.05, started + HEADER_TIMEOUT + 3),
                                          daemon=True)
                sender.start()
                self.assert_408(conn, started)
                sender.join(10)

    def test_part_of_a_header_and_then_silence_gets_408(self):
        for tunnel in (False, True):
            for part in (b"G", b"GET /v2/ HTTP/1.1\r\n", b"GET /v2/ HTTP/1.1\r\nHost: x\r\n"):
                with self.subTest(tunnel=tunnel, part=part):
                    conn = self.open(HUB if tunnel else None)
                    started = time.monotonic()
                    conn.send(part)
                    self.assert_408(conn, started)

    def test_a_connection_that_never_sends_a_byte_gets_408(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                conn = self.open(HUB if tunnel else None)
                self.assert_408(conn, time.monotonic())

    def test_a_connect_whose_tls_handshake_never_comes_is_closed_and_logged(self):
        for partial in (b"", bytes.fromhex("160301")):
            with self.subTest(partial=partial):
                conn, answer = self.lab.connect_answer(f"{HUB}:443")
                self.addCleanup(conn.close)
                self.assertEqual(answer.status, 200)
                started = time.monotonic()
                conn.send(partial)
                self.assertTrue(conn.closed_within(HANDSHAKE_TIMEOUT + 5))
                self.assertLess(time.monotonic() - started, HANDSHAKE_TIMEOUT + SLACK)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual((record["method"], record["kind"]), ("CONNECT", "connect"))
                self.assertIn("handshake", (record.get("error") or "") + record["reason"])

    def test_an_idle_kept_alive_connection_is_closed_at_the_idle_timeout(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                conn = self.open(HUB if tunnel else None)
                target = lab.manifest_path(lab.ALLOWED, "idle")
                conn.send(raw.request_bytes("GET", target if tunnel else f"http://{HUB}{target}",
                                            HUB))
                self.assertEqual(conn.response().status, 200)
                started = time.monotonic()
                self.assertTrue(conn.closed_within(IDLE_TIMEOUT + 5))
                self.assertLess(time.monotonic() - started, IDLE_TIMEOUT + SLACK)
                self.assertEqual(conn.buffer, b"", "an idle connection is closed without a 408")

    def test_a_client_that_stops_in_the_middle_of_a_body_is_cut_off_and_not_blamed_on_upstream(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                conn = self.open(HUB if tunnel else None)
                path = "/v2/library/alpine/blobs/uploads/slow-body"
                conn.send(raw.request_bytes("PATCH", path if tunnel else f"http://{HUB}{path}",
                                            HUB, ["Content-Length: 1000"]) + b"x" * 10)
                started = time.monotonic()
                response = conn.response(timeout=UPSTREAM_TIMEOUT + 5) if True else None
                self.assertLess(time.monotonic() - started, UPSTREAM_TIMEOUT + SLACK)
                record = self.lab.wait_records(conn)[-1]
                self.assertNotIn(record["status"], (502, 504),
                                 f"the client stalled, not the upstream: {record}")
                if response is not None:
                    self.assertEqual(response.status, record["status"])
                    self.assertIn(response.status, (400, 408))
                self.assertIn("client", (record.get("error") or "").lower(), record)

    def test_slow_clients_do_not_delay_others(self):
        slow = []
        for _ in range(20):
            conn = self.open(HUB)
            conn.send(b"GET /v2/ HTTP/1.1\r\n")
            slow.append(conn)
        started = time.monotonic()
        self.assert_still_serving()
        self.assertLess(time.monotonic() - started, 1.0)


if __name__ == "__main__":
    testing.main()
