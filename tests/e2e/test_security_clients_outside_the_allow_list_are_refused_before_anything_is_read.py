#!/usr/bin/env python3
"""The `clients` allow-list (issue 4, "Egress and access control"): a
connection from an address outside it gets 403 and a record (rule
clients) at once, before pullgate reads a single byte from it: no
request, no CONNECT, no credentials and no TLS are looked at, so nothing
it sends can be parsed, authenticated (407) or forwarded. Inside the
list, the same requests work. The lab's clients: 127.0.0.2/32 and
127.0.0.4/31; the attacker's source addresses are others on 127/8."""

import base64
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, proxy, raw, testing  # noqa: E402

HUB = lab.HUB
INSIDE = ("127.0.0.2", "127.0.0.4", "127.0.0.5")
OUTSIDE = ("127.0.0.3", "127.0.0.6", "127.0.0.1", "127.1.0.2")
PASSWORD = "c1ients-" + os.urandom(4).hex()


class ClientsOutsideTheAllowListAreRefusedBeforeAnythingIsRead(lab.LabTestCase):

    @classmethod
    def make_lab(cls):
        the_lab = lab.Lab(cls.shared_tmp, start=False,
                          clients=["127.0.0.2/32", "127.0.0.4/31"])
        users = os.path.join(cls.shared_tmp, "users")
        made = subprocess.run([proxy.binary(), "passwd", "alice"], input=PASSWORD + "\n",
                              capture_output=True, text=True, timeout=60, check=True)
        with open(users, "w") as f:
            f.write(made.stdout)
        os.chmod(users, 0o600)
        the_lab.config["auth"] = {"users_file": users}
        the_lab.pullgate.start()
        return the_lab

    def credentials(self):
        return "Proxy-Authorization: Basic " + base64.b64encode(
            f"alice:{PASSWORD}".encode()).decode()

    def test_an_outside_client_gets_403_without_sending_anything(self):
        for source in OUTSIDE:
            with self.subTest(source=source):
                conn = self.open(source=source)
                started = time.monotonic()
                response = conn.response(timeout=5)   # we have sent nothing at all
                self.assertLess(time.monotonic() - started, 2)
                self.assertEqual(response.status, 403, response)
                self.assertIn(source, response.reason)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual((record["rule"], record["decision"], record["status"]),
                                 ("clients", "deny", 403))
                self.assertTrue(record["client"].startswith(source + ":"))
                self.assertTrue(conn.closed_within(3))

    def test_whatever_an_outside_client_sends_is_never_read(self):
        marker = hostile_upstream.random_marker()
        attempts = {
            "connect_with_credentials": raw.connect_request(f"{HUB}:443", [self.credentials()]),
            "plain_http_with_credentials": raw.request_bytes(
                "GET", f"http://{HUB}{lab.manifest_path(lab.ALLOWED, marker)}", HUB,
                [self.credentials()]),
            "malformed": b"\x16\x03\x01garbage\r\n\r\n",
            "huge": b"GET /" + b"a" * 100000,
        }
        for name, data in attempts.items():
            with self.subTest(sent=name):
                conn = self.open(source="127.0.0.3")
                try:
                    conn.send(data)
                except OSError:
                    pass
                response = conn.response(timeout=5)
                self.assertEqual(response.status, 403, "not 400, 407 or 431: nothing was read")
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual(record["rule"], "clients")
                self.assertIsNone(record["user"], "credentials were not even looked at")
                self.lab.settle(0.2)
                self.assertEqual(len(self.lab.records(conn)), 1)
        self.assert_not_forwarded(marker)

    def test_an_outside_client_is_refused_before_authentication_costs_anything(self):
        started = time.monotonic()
        for _ in range(30):
            conn = self.open(source="127.0.0.3")
            conn.send(raw.connect_request(f"{HUB}:443", ["Proxy-Authorization: Basic "
                                          + base64.b64encode(b"alice:wrong").decode()]))
            self.assertEqual(conn.response(timeout=5).status, 403)
        # 30 scrypt verifications would take seconds; refusals take none.
        self.assertLess(time.monotonic() - started, 3)

    def test_inside_clients_are_served(self):
        for source in INSIDE:
            with self.subTest(source=source):
                conn = self.open(source=source)
                conn.send(raw.request_bytes(
                    "GET", f"http://{HUB}{lab.manifest_path(lab.ALLOWED, '1')}", HUB,
                    [self.credentials()]))
                self.assertEqual(conn.response().status, 200)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual((record["user"], record["rule"]), ("alice", "docker_hub.official"))
                tunnel = raw.tunnel(*self.lab.listen, f"{HUB}:443",
                                    cafile=self.lab.pullgate.ca_cert, source=source,
                                    extra_headers=[self.credentials()])[0]
                self.addCleanup(tunnel.close)
                tunnel.send(raw.request_bytes("GET", lab.manifest_path(lab.DENIED, "1"), HUB))
                self.assertEqual(tunnel.response().status, 403)

    def test_a_refused_flood_from_outside_leaves_inside_clients_served(self):
        for _ in range(200):
            conn = raw.connect(*self.lab.listen, source="127.0.0.3")
            conn.close()
        conn = self.open(source="127.0.0.2")
        conn.send(raw.request_bytes("GET", f"http://{HUB}/v2/", HUB, [self.credentials()]))
        self.assertEqual(conn.response().status, 200)


if __name__ == "__main__":
    testing.main()
