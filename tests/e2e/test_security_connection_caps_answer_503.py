#!/usr/bin/env python3
"""Connection caps (issue 4): limits.max_connections_per_client keeps one
client address from taking every connection, limits.max_connections
bounds them all. A connection over a cap gets 503 at once, with a record
(rule limits) that says which cap; other clients are still served while
one client is at its cap; and closing connections gives the capacity
back (no ticket leaks, also after connections that end badly). The lab
sets 5 per client and 12 in total."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import lab, raw, testing  # noqa: E402

HUB = lab.HUB
PER_CLIENT, TOTAL = 5, 12


class ConnectionCapsAnswer503(lab.LabTestCase):
    lab_options = {"limits": dict(lab.LIMITS, max_connections_per_client=PER_CLIENT,
                                  max_connections=TOTAL, header_timeout="10s",
                                  idle_timeout="10s")}

    def hold(self, count, source):
        conns = [raw.connect(*self.lab.listen, source=source) for _ in range(count)]
        for c in conns:
            self.addCleanup(c.close)
        time.sleep(0.3)   # accepted and counted
        return conns

    def assert_503(self, source, cap):
        conn = raw.connect(*self.lab.listen, source=source)
        self.addCleanup(conn.close)
        response = conn.response(timeout=5)
        self.assertIsNotNone(response, "closed without the 503")
        self.assertEqual(response.status, 503, response)
        self.assertIn(cap, response.reason)
        record = self.lab.wait_records(conn)[-1]
        self.assertEqual((record["rule"], record["decision"], record["status"]),
                         ("limits", "deny", 503), record)
        self.assertIn(cap, record.get("error") or record["reason"])
        return conn

    def served(self, source):
        conn = raw.connect(*self.lab.listen, source=source)
        self.addCleanup(conn.close)
        conn.send(raw.request_bytes("GET", f"http://{HUB}/v2/", HUB))
        response = conn.response(timeout=5)
        conn.close()
        return response is not None and response.status == 200

    def test_the_per_client_cap_answers_503_and_others_are_still_served(self):
        held = self.hold(PER_CLIENT, "127.0.0.21")
        self.assert_503("127.0.0.21", "max_connections_per_client")
        self.assertTrue(self.served("127.0.0.22"), "another client is still served")
        for c in held:
            c.close()
        time.sleep(0.5)
        self.assertTrue(self.served("127.0.0.21"), "capacity comes back after closing")

    def test_the_total_cap_answers_503_for_everyone(self):
        held = []
        for i in range(TOTAL // PER_CLIENT + 1):
            need = min(PER_CLIENT, TOTAL - len(held))
            if need:
                held += self.hold(need, f"127.0.0.{31 + i}")
        self.assert_503("127.0.0.40", "max_connections")
        for c in held:
            c.close()
        time.sleep(0.5)
        self.assertTrue(self.served("127.0.0.40"))

    def test_connections_that_end_badly_give_their_place_back(self):
        source = "127.0.0.51"
        for round_ in range(4):
            conns = self.hold(PER_CLIENT, source)
            for i, c in enumerate(conns):
                if i % 3 == 0:
                    c.reset()
                elif i % 3 == 1:
                    c.send(b"GET http://x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
                    c.close()
                else:
                    c.send(raw.connect_request(f"{HUB}:443"))
                    c.close()
            time.sleep(0.5)
        self.assertTrue(self.served(source), "places leaked: the client is still at its cap")

    def test_the_admin_listener_is_not_counted(self):
        held = self.hold(PER_CLIENT, "127.0.0.61")
        status, _ = self.lab.pullgate.admin_get("/healthz")
        self.assertEqual(status, 200)
        for c in held:
            c.close()


if __name__ == "__main__":
    testing.main()
