#!/usr/bin/env python3
"""Oversized requests (issue 4): a request line, header block, single
header or header count beyond limits.max_header_bytes / limits.max_headers
is refused with 431 (400 for a request line that is not even finished)
and an audit record, on the proxy port and inside a tunnel, whether the
client finishes its header or keeps streaming; nothing is forwarded, the
proxy's memory does not follow the attacker's bytes, and a request just
inside the limits goes through. The lab sets max_header_bytes 4 KiB and
max_headers 20."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB
MAX_BYTES, MAX_HEADERS = 4096, 20


def request(tunnel, path, fields, end=True):
    target = path if tunnel else f"http://{HUB}{path}"
    lines = [f"GET {target} HTTP/1.1", f"Host: {HUB}"] + fields
    return ("\r\n".join(lines) + ("\r\n\r\n" if end else "\r\n")).encode()


class OversizedRequestsAreRefused(lab.LabTestCase):
    lab_options = {"limits": dict(lab.LIMITS, max_header_bytes="4KiB", max_headers=MAX_HEADERS)}

    def attack(self, tunnel, data, statuses=(431,)):
        conn = self.open(HUB if tunnel else None)
        try:
            conn.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass   # pullgate may stop reading once the limit is passed
        response = conn.response(timeout=8)
        self.assertIsNotNone(response, "closed without an answer")
        self.assertIn(response.status, statuses, response)
        self.assertTrue(response.reason.startswith("pullgate: "))
        record = self.lab.wait_records(conn)[-1]
        self.assertEqual((record["rule"], record["decision"], record["status"]),
                         ("request.invalid", "deny", response.status), record)
        self.assertTrue(conn.closed_within(3))
        return record

    def test_a_huge_request_line_is_refused(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                marker = hostile_upstream.random_marker()
                path = lab.manifest_path(lab.ALLOWED, marker) + "?" + "q" * (MAX_BYTES + 100)
                self.attack(tunnel, request(tunnel, path, []), (414, 431))
                self.assert_not_forwarded(marker)

    def test_a_request_line_that_never_ends_is_refused_at_the_limit(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                self.attack(tunnel, b"GET /" + b"a" * (MAX_BYTES * 4), (400, 414, 431))

    def test_a_huge_single_header_is_refused(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                marker = hostile_upstream.random_marker()
                self.attack(tunnel, request(tunnel, lab.manifest_path(lab.ALLOWED, marker),
                                            ["X-Big: " + "b" * (MAX_BYTES + 10)]))
                self.assert_not_forwarded(marker)

    def test_a_header_block_larger_than_the_limit_is_refused(self):
        for tunnel in (False, True):
            for end in (True, False):
                with self.subTest(tunnel=tunnel, finished=end):
                    marker = hostile_upstream.random_marker()
                    fields = [f"X-F{i}: " + "c" * 300 for i in range(15)]
                    self.attack(tunnel, request(tunnel, lab.manifest_path(lab.ALLOWED, marker),
                                                fields, end))
                    self.assert_not_forwarded(marker)

    def test_more_headers_than_the_limit_are_refused(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                marker = hostile_upstream.random_marker()
                fields = [f"X-{i}: v" for i in range(MAX_HEADERS + 5)]
                self.attack(tunnel, request(tunnel, lab.manifest_path(lab.ALLOWED, marker),
                                            fields))
                self.assert_not_forwarded(marker)

    def test_an_endless_stream_of_headers_is_refused_without_reading_it_all(self):
        conn = self.open()
        started = time.monotonic()
        conn.send(request(False, "/v2/", [], end=False))
        sent = 0
        try:
            while sent < 64 * 1024 * 1024 and time.monotonic() - started < 10:
                conn.sock.sendall(b"X-Flood: " + b"f" * 1000 + b"\r\n")
                sent += 1011
        except OSError:
            pass
        self.assertLess(sent, 64 * 1024 * 1024, "pullgate kept reading 64 MiB of headers")
        response = conn.response(timeout=5)
        if response is not None:
            self.assertEqual(response.status, 431)
        self.assertEqual(self.lab.wait_records(conn)[-1]["status"], 431)

    def test_a_request_just_inside_the_limits_goes_through(self):
        for tunnel in (False, True):
            with self.subTest(tunnel=tunnel):
                fields = [f"X-{i}: v" for i in range(MAX_HEADERS - 2)]
                data = request(tunnel, lab.manifest_path(lab.ALLOWED, "fits"), fields)
                padding = MAX_BYTES - len(data) - len("X-Pad: \r\n") - 64
                fields.append("X-Pad: " + "p" * padding)
                data = request(tunnel, lab.manifest_path(lab.ALLOWED, "fits"), fields)
                self.assertLess(len(data), MAX_BYTES)
                conn = self.open(HUB if tunnel else None)
                conn.send(data)
                self.assertEqual(conn.response().status, 200)

    def test_a_huge_connect_line_is_refused(self):
        conn = self.open()
        conn.send(b"CONNECT " + b"a" * (MAX_BYTES + 100) + b".test:443 HTTP/1.1\r\n\r\n")
        response = conn.response(head=True, timeout=8)
        self.assertIsNotNone(response)
        self.assertIn(response.status, (400, 414, 431))
        self.assertEqual(self.lab.wait_records(conn)[-1]["rule"], "request.invalid")

    def test_pullgate_still_serves_and_its_memory_stayed_small(self):
        before = self.lab.pullgate.peak_rss_kib()
        for _ in range(20):
            conn = self.open()
            try:
                conn.send(b"GET /" + b"a" * (1 << 20))
            except OSError:
                pass
            conn.close()
        self.assert_still_serving()
        grown = self.lab.pullgate.peak_rss_kib() - before
        print(f"  peak RSS grew {grown} KiB after 20 MiB of oversized requests", file=sys.stderr)
        self.assertLess(grown, 16 * 1024)


if __name__ == "__main__":
    testing.main()
