#!/usr/bin/env python3
"""Proxy authentication (issue 4, docs/authentication.md): with `auth`,
every CONNECT and every plain-HTTP request needs Basic credentials of a
user in the users file (made with `pullgate passwd`, password on
standard input). Without them, with a wrong password, an unknown user or
any malformed header: 407 with Proxy-Authenticate and a record (rule
auth, user null), the same answer in every case. With them: the user is
in every record of the connection and rules by user and group apply.
Credentials never appear in the audit log, pullgate's own log, or the
request forwarded upstream."""

import base64
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import lab, proxy, raw, testing  # noqa: E402

HUB = lab.HUB
ALICE_PW = "Alice-" + os.urandom(6).hex()
BOB_PW = "B0b:with colon-" + os.urandom(6).hex()
REALM = "pullgate e2e"


def basic(user, password):
    return "Proxy-Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


MALFORMED = {
    "no_header": [],
    "empty": ["Proxy-Authorization:"],
    "scheme_only": ["Proxy-Authorization: Basic"],
    "bearer": ["Proxy-Authorization: Bearer " + ALICE_PW],
    "digest": ['Proxy-Authorization: Digest username="alice"'],
    "not_base64": ["Proxy-Authorization: Basic !!!notbase64!!!"],
    "unpadded": ["Proxy-Authorization: Basic " + base64.b64encode(
        f"alice:{ALICE_PW}x".encode()).decode().rstrip("=")],
    "no_colon": ["Proxy-Authorization: Basic " + base64.b64encode(b"alice").decode()],
    "empty_user": [basic("", ALICE_PW)],
    "control_char": ["Proxy-Authorization: Basic " + base64.b64encode(
        f"alice:{ALICE_PW}\x01".encode()).decode()],
    "plain_password": ["Proxy-Authorization: Basic " + ALICE_PW],
    "wrong_password": [basic("alice", ALICE_PW + "x")],
    "wrong_case_user": [basic("Alice", ALICE_PW)],
    "unknown_user": [basic("mallory", ALICE_PW)],
    "second_header_after_bad": [basic("alice", "bad"), basic("alice", ALICE_PW)],
    "authorization_not_proxy": ["Authorization: Basic " + base64.b64encode(
        f"alice:{ALICE_PW}".encode()).decode()],
}


class ProxyAuthenticationIsRequiredAndNeverLogged(lab.LabTestCase):

    @classmethod
    def make_lab(cls):
        the_lab = lab.Lab(cls.shared_tmp, start=False, groups={"platform": ["bob"]})
        lines = ""
        for user, password in (("alice", ALICE_PW), ("bob", BOB_PW)):
            made = subprocess.run([proxy.binary(), "passwd", user], input=password + "\n",
                                  capture_output=True, text=True, timeout=60, check=True)
            lines += made.stdout
            assert password not in made.stdout and password not in made.stderr
        cls.users = os.path.join(cls.shared_tmp, "users")
        with open(cls.users, "w") as f:
            f.write(lines)
        os.chmod(cls.users, 0o600)
        the_lab.config["auth"] = {"users_file": cls.users, "realm": REALM}
        the_lab.config["policy"] = dict(lab.DEFAULT_POLICY, rules=[
            {"image": "docker.io/*", "groups": ["platform"], "action": "allow",
             "name": "platform-all"}] + lab.DEFAULT_POLICY["rules"])
        the_lab.pullgate.start()
        return the_lab

    def assert_407(self, conn, response, method):
        self.assertEqual(response.status, 407, response)
        self.assertEqual(response.header("proxy-authenticate"),
                         f'Basic realm="{REALM}", charset="UTF-8"')
        record = self.lab.wait_records(conn)[-1]
        self.assertEqual((record["status"], record["rule"], record["decision"], record["user"],
                          record["method"]), (407, "auth", "deny", None, method))
        return record

    def test_the_users_file_holds_no_password(self):
        with open(self.users) as f:
            text = f.read()
        self.assertNotIn(ALICE_PW, text)
        self.assertRegex(text, r"^alice:\$scrypt\$ln=\d+,r=\d+,p=\d+\$")

    def test_a_connect_without_valid_credentials_gets_407(self):
        for name, headers in MALFORMED.items():
            with self.subTest(case=name):
                conn = self.open()
                conn.send(raw.connect_request(f"{HUB}:443", headers))
                response = conn.response()
                if name == "second_header_after_bad":
                    # Two Proxy-Authorization fields: refused or the first
                    # one judged; never the second one picked.
                    self.assertIn(response.status, (400, 407), response)
                    continue
                self.assert_407(conn, response, "CONNECT")

    def test_a_plain_http_request_without_valid_credentials_gets_407_and_is_not_forwarded(self):
        for name, headers in MALFORMED.items():
            if name == "second_header_after_bad":
                continue
            with self.subTest(case=name):
                tag = "auth" + os.urandom(4).hex()
                conn = self.open()
                conn.send(raw.request_bytes(
                    "GET", f"http://{HUB}{lab.manifest_path(lab.ALLOWED, tag)}", HUB, headers))
                self.assert_407(conn, conn.response(), "GET")
                self.assert_not_forwarded(tag)

    def test_every_refusal_looks_the_same_so_user_names_cannot_be_probed(self):
        answers = set()
        for headers in ([basic("alice", "nope")], [basic("nobody", "nope")], []):
            conn = self.open()
            conn.send(raw.connect_request(f"{HUB}:443", headers))
            r = conn.response()
            answers.add((r.status, r.reason, r.header("proxy-authenticate"), r.body))
        self.assertEqual(len(answers), 1, answers)

    def test_valid_credentials_open_a_tunnel_and_name_the_user_in_every_record(self):
        tunnel = raw.tunnel(*self.lab.listen, f"{HUB}:443", cafile=self.lab.pullgate.ca_cert,
                            extra_headers=[basic("alice", ALICE_PW)])[0]
        self.addCleanup(tunnel.close)
        for path, status in ((lab.manifest_path(lab.ALLOWED, "1"), 200),
                             (lab.manifest_path(lab.DENIED, "1"), 403)):
            tunnel.send(raw.request_bytes("GET", path, HUB))
            self.assertEqual(tunnel.response().status, status)
        records = self.lab.wait_records(tunnel, 2)
        self.assertEqual([(r["user"], r["status"]) for r in records],
                         [("alice", 200), ("alice", 403)])

    def test_rules_by_group_apply_to_the_authenticated_user(self):
        for user, password, status, rule in (("bob", BOB_PW, 200, "platform-all"),
                                             ("alice", ALICE_PW, 403, "docker_hub.community")):
            with self.subTest(user=user):
                conn = self.open()
                conn.send(raw.request_bytes(
                    "GET", f"http://{HUB}{lab.manifest_path(lab.DENIED, '1')}", HUB,
                    [basic(user, password)]))
                self.assertEqual(conn.response().status, status)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual((record["user"], record["rule"]), (user, rule))

    def test_plain_http_checks_credentials_on_every_request(self):
        conn = self.open()
        conn.send(raw.request_bytes("GET", f"http://{HUB}{lab.manifest_path(lab.ALLOWED, '1')}",
                                    HUB, [basic("alice", ALICE_PW)]))
        self.assertEqual(conn.response().status, 200)
        conn.send(raw.request_bytes("GET", f"http://{HUB}{lab.manifest_path(lab.DENIED, 'x')}",
                                    HUB, [basic("bob", "not-bobs")]))
        response = conn.response()
        self.assertEqual(response.status, 407, "a connection is not logged in for good")
        conn = self.open()
        conn.send(raw.request_bytes("GET", f"http://{HUB}/v2/", HUB, [basic("alice", ALICE_PW)]) +
                  raw.request_bytes("GET", f"http://{HUB}/v2/", HUB))
        self.assertEqual(conn.response().status, 200)
        self.assertEqual(conn.response().status, 407)

    def test_a_407_on_a_kept_alive_connection_allows_a_retry_with_credentials(self):
        conn = self.open()
        conn.send(raw.connect_request(f"{HUB}:443"))
        self.assertEqual(conn.response().status, 407)
        if conn.is_open():
            conn.send(raw.connect_request(f"{HUB}:443", [basic("alice", ALICE_PW)]))
            self.assertEqual(conn.response(head=True).status, 200)

    def test_credentials_are_never_logged_nor_forwarded(self):
        # Run a mix of good and bad attempts, then read everything pullgate
        # wrote.
        for headers in ([basic("alice", ALICE_PW)], [basic("alice", ALICE_PW + "typo")],
                        ["Proxy-Authorization: Basic " + ALICE_PW],
                        [basic(ALICE_PW, "x")], [basic("bob", BOB_PW)]):
            conn = self.open()
            conn.send(raw.request_bytes("GET", f"http://{HUB}/v2/", HUB, headers))
            conn.response()
            conn = self.open()
            conn.send(raw.connect_request(f"{HUB}:443", headers))
            conn.response(head=True)
        self.lab.settle(0.5)
        with open(self.lab.pullgate.audit_path) as f:
            audit = f.read()
        logs = self.lab.pullgate.log()
        secrets = [ALICE_PW, BOB_PW, base64.b64encode(f"alice:{ALICE_PW}".encode()).decode(),
                   base64.b64encode(f"bob:{BOB_PW}".encode()).decode(),
                   base64.b64encode(f"alice:{ALICE_PW}typo".encode()).decode()]
        for secret in secrets:
            self.assertFalse(secret in audit, "a credential is in the audit log")
            self.assertFalse(secret in logs, "a credential is in pullgate's log")
        for r in audit.splitlines():
            json.loads(r)
        for request in self.lab.plain.requests:
            names = {k.lower() for k, _ in request.headers}
            self.assertNotIn("proxy-authorization", names)

    def test_credentials_are_not_forwarded_from_a_tunnel_either(self):
        tunnel = raw.tunnel(*self.lab.listen, f"{HUB}:443", cafile=self.lab.pullgate.ca_cert,
                            extra_headers=[basic("alice", ALICE_PW)])[0]
        self.addCleanup(tunnel.close)
        tunnel.send(raw.request_bytes("GET", lab.manifest_path(lab.ALLOWED, "fwd"), HUB,
                                      [basic("alice", ALICE_PW)]))
        self.assertEqual(tunnel.response().status, 200)
        forwarded = self.lab.hub.requests_matching("/manifests/fwd")[-1]
        self.assertNotIn("proxy-authorization", {k.lower() for k, _ in forwarded.headers})


if __name__ == "__main__":
    testing.main()
