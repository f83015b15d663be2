#!/usr/bin/env python3
"""Identity (issue 6): with proxy authentication (`auth`, users made with
`pullgate passwd`), every record names the proxy user, and `policy.rules`
limited to `users:` or `groups:` let some people pull what others cannot.
Docker Hub is a real docker-registry under registry-1.docker.io and
auth.docker.io (harness/world.py); clients are skopeo and curl.

- Without valid credentials (none, a wrong password, an unknown name) a
  client gets 407 with `Proxy-Authenticate: Basic realm=…`, logged with
  `"user": null`; the wrong password and the unknown name are logged
  nowhere, and the record's `host` is the canonical host name (never the
  URL of a plain-HTTP request, whose query may hold a secret).
- `groups: [platform]` (platform = [alice]) on an allow rule for
  `docker.io/*`, before IAM: alice pulls a community image, bob is refused
  it as community with the SPEC's message.
- `users: [carol]`: carol alone may pull her team's community namespace,
  and she alone is refused official images by a deny rule that bob and
  alice do not match.
- A token request with Basic credentials (what `docker login` makes)
  records the Docker Hub account as `hub_user`, beside the proxy `user`;
  the secret appears nowhere in the audit log or pullgate's own output.
"""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, image, procs, proxy, testing, world  # noqa: E402

AUTH_HOST = "auth.docker.io"
REALM = "pullgate e2e"
PASSWORDS = {"alice": "alice-Pw-5d1c9a3e", "bob": "bob-Pw-77e0b4f2", "carol": "carol-Pw-0c8a61d9"}
HUB_ACCOUNT = "hubuser"
HUB_SECRET = "hub-Secret-3f9b2e71c4"
UNKNOWN_NAME = "typed-a-Password-9e4d"   # a password typed into the name field
WRONG_PASSWORD = "wrong-Pw-a61f0e"

COMMUNITY = ("randomuser/tool", "latest")
CAROL_TEAM = ("carolteam/tool", "2")
OFFICIAL = ("library/alpine", "3.19")
CAROL_DENY_REASON = "carol pulls only her team's tools"
ALLOWED_TEXT = ("this organization allows official, verified publisher, sponsored open source "
                "and its own images from Docker Hub")


def community_message(image_name):
    return (f"pullgate: {image_name} is a community image; {ALLOWED_TEXT} "
            f"(rule: docker_hub.community)")


class RulesCanNameUsersAndGroupsOfAuthenticatedClients(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("skopeo", "docker-registry", "openssl", "curl")
        tmp = cls.shared_tmp
        cls.world = world.World(tmp, extra_names=[AUTH_HOST])
        cls.addClassCleanup(cls.world.stop)
        for n, (repository, tag) in enumerate((COMMUNITY, CAROL_TEAM, OFFICIAL)):
            layout = image.make_image(os.path.join(tmp, f"image-{n}"), tag=tag, layer_size=2048)
            image.push_direct(layout, cls.world.hub, repository,
                              cert_dir=cls.world.public_cert_dir, workdir=tmp)
        # The users file, made as the documentation says: `pullgate passwd
        # NAME` with the password on standard input.
        cls.users_file = os.path.join(tmp, "users")
        lines = []
        for name, password in PASSWORDS.items():
            made = procs.run([proxy.binary(), "passwd", name], 60, input=password + "\n")
            line = made.stdout.strip()
            assert line.startswith(f"{name}:$scrypt$"), line
            assert password not in made.stdout + made.stderr
            lines.append(line)
        with open(cls.users_file, "w") as f:
            f.write("# made with pullgate passwd\n" + "\n".join(lines) + "\n")
        os.chmod(cls.users_file, 0o600)

    def setUp(self):
        super().setUp()
        config = self.world.pullgate_config(self.tmp)
        config["auth"] = {"users_file": self.users_file, "realm": REALM}
        config["groups"] = {"platform": ["alice"]}
        config["policy"]["docker_hub"] = {"official": True, "verified_publishers": True,
                                          "sponsored_oss": True, "community": False}
        config["policy"]["rules"] = [
            {"image": "docker.io/*", "groups": ["platform"], "action": "allow"},
            {"image": "docker.io/library/*", "users": ["carol"], "action": "deny",
             "name": "no-official-for-carol", "reason": CAROL_DENY_REASON},
            {"image": "docker.io/carolteam/*", "users": ["carol"], "action": "allow",
             "name": "carol-tools"},
        ]
        checked = proxy.run_cli("check", "--config", self._write(config), timeout=30)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.pullgate = self.stop_later(proxy.Pullgate(self.tmp, config).start())

    def _write(self, config):
        path = os.path.join(self.tmp, "checked.yaml")
        proxy.write_config(path, config)
        return path

    # -- clients -------------------------------------------------------
    def proxy_url(self, user=None, password=None):
        address, port = self.pullgate.listen
        if user is None:
            return f"http://{address}:{port}"
        return f"http://{user}:{password or PASSWORDS[user]}@{address}:{port}"

    def skopeo(self, user, repository, tag):
        """skopeo copy through pullgate as USER; returns (completed
        process, the records of that repository it left)."""
        before = len(self.pullgate.audit_records())
        out = os.path.join(self.tmp, f"pulled-{user}-{repository.replace('/', '-')}-{before}")
        run = image.skopeo_copy(f"docker://docker.io/{repository}:{tag}", f"oci:{out}:{tag}",
                                workdir=self.tmp, proxy_url=self.proxy_url(user),
                                src_cert_dir=self.pullgate.cert_dir(), check=False)
        self.pullgate.wait_for_audit(
            lambda r: r.get("repository") == repository and r.get("user") == user,
            what=f"{user}'s records of {repository}")
        # Every record of this pull (the ping's included), once written.
        return run, self.pullgate.audit_records()[before:]

    def curl(self, url, *, user=None, password=None, extra=()):
        args = list(extra)
        if user is not None:
            args += ["--proxy-user", f"{user}:{password or PASSWORDS[user]}"]
        return clients.curl(url, workdir=os.path.join(self.tmp, "curl"),
                            proxy=self.proxy_url(), cacert=self.pullgate.ca_cert, extra=args)

    # -- assertions ----------------------------------------------------
    def assert_pull_allowed(self, user, repository, tag, category, rule):
        run, records = self.skopeo(user, repository, tag)
        self.assertEqual(run.returncode, 0, run.stderr)
        decided = [r for r in records if r["repository"] == repository]
        self.assertGreaterEqual(len(decided), 3, records)  # manifest, config, layer
        for r in records:
            with self.subTest(record=r):
                self.assertEqual(proxy.audit_shape_problems(r), [])
                self.assertEqual(r["user"], user, "every record of the connection names the user")
                self.assertEqual(r["decision"], "allow")
        self.assertEqual({(r["category"], r["rule"], r["status"]) for r in decided},
                         {(category, rule, 200)})

    def assert_pull_denied(self, user, repository, tag, category, rule, message):
        run, records = self.skopeo(user, repository, tag)
        self.assertNotEqual(run.returncode, 0, f"{user} must not pull {repository}")
        self.assertIn(message, run.stderr)
        decided = [r for r in records if r["repository"] == repository]
        self.assertEqual([(r["kind"], r["decision"], r["category"], r["rule"], r["status"],
                           r["user"]) for r in decided],
                         [("manifest", "deny", category, rule, 403, user)], records)
        self.assertEqual({r["user"] for r in records}, {user})

    # -- proxy authentication ------------------------------------------
    def test_requests_without_valid_credentials_get_407_with_proxy_authenticate(self):
        url = f"https://{world.HUB}/v2/{OFFICIAL[0]}/manifests/{OFFICIAL[1]}"
        cases = {"no credentials": {},
                 "a wrong password": {"user": "alice", "password": WRONG_PASSWORD},
                 "an unknown name": {"user": UNKNOWN_NAME, "password": PASSWORDS["bob"]}}
        for what, credentials in cases.items():
            with self.subTest(case=what):
                result = self.curl(url, **credentials)
                self.assertEqual(result.connect_status, 407, result)
                self.assertNotEqual(result.exit_code, 0)
                self.assertEqual(result.header("Proxy-Authenticate"),
                                 f'Basic realm="{REALM}", charset="UTF-8"')
        # A raw CONNECT shows the whole answer: 407, the challenge, and a
        # message naming the rule.
        address, port = self.pullgate.listen
        answer = clients.raw_connect(address, port, world.HUB, 443)
        self.assertEqual(answer.status, 407)
        self.assertEqual(answer.headers.get("proxy-authenticate"),
                         f'Basic realm="{REALM}", charset="UTF-8"')
        # Plain-HTTP (absolute-form) requests are asked for credentials too.
        plain = clients.curl(f"http://{world.HUB}/v2/", workdir=os.path.join(self.tmp, "plain"),
                             proxy=self.proxy_url())
        self.assertEqual(plain.status, 407, plain)
        self.assertEqual(plain.header("Proxy-Authenticate"),
                         f'Basic realm="{REALM}", charset="UTF-8"')
        # skopeo without credentials fails and says why.
        run = self._skopeo_anonymous()
        self.assertNotEqual(run.returncode, 0)
        self.assertRegex(run.stderr, r"407|[Pp]roxy [Aa]uthentication [Rr]equired")

        records = self.pullgate.wait_for_audit(lambda r: r.get("status") == 407, count=6,
                                               what="six 407 records")
        for r in records:
            with self.subTest(record=r):
                self.assertIsNone(r["user"])
                self.assertEqual((r["decision"], r["rule"]), ("deny", "auth"))
                self.assertEqual(proxy.audit_shape_problems(r), [])
        self.assertEqual([r for r in self.pullgate.audit_records() if r["status"] != 407], [],
                         "nothing went further than the proxy authentication")
        logs = self.all_logs()
        self.assertNotIn(WRONG_PASSWORD, logs)
        self.assertNotIn(UNKNOWN_NAME, logs, "an unknown name is not quoted")
        self.assertIn("wrong password for user alice", self.pullgate.log())

    def test_a_407_record_names_the_canonical_host_never_the_url(self):
        # docs/audit-log.md: `host` is "the upstream host as requested
        # (canonical form)", as on every other refused CONNECT. A plain-HTTP
        # request's URL may carry a secret in its query: it is no host.
        address, port = self.pullgate.listen
        answer = clients.raw_connect(address, port, "Registry-1.Docker.IO", 443)
        self.assertEqual(answer.status, 407)
        secret = "access_token=Query-Secret-51e7"
        url = f"http://{world.HUB}/v2/{OFFICIAL[0]}/manifests/{OFFICIAL[1]}?{secret}"
        plain = clients.curl(url, workdir=os.path.join(self.tmp, "plain"), proxy=self.proxy_url())
        self.assertEqual(plain.status, 407, plain)
        records = self.pullgate.wait_for_audit(lambda r: r.get("status") == 407, count=2,
                                               what="two 407 records")
        self.assertEqual([(r["method"], r["host"]) for r in records],
                         [("CONNECT", world.HUB), ("GET", world.HUB)])
        self.assertNotIn(secret, self.all_logs())

    def _skopeo_anonymous(self):
        out = os.path.join(self.tmp, "pulled-anonymous")
        run = image.skopeo_copy(f"docker://docker.io/{OFFICIAL[0]}:{OFFICIAL[1]}",
                                f"oci:{out}:{OFFICIAL[1]}", workdir=self.tmp,
                                proxy_url=self.proxy_url(), src_cert_dir=self.pullgate.cert_dir(),
                                check=False)
        return run

    def all_logs(self):
        with open(self.pullgate.audit_path) as f:
            audit = f.read()
        return audit + "\n" + self.pullgate.log()

    # -- groups --------------------------------------------------------
    def test_a_group_rule_lets_alice_pull_a_community_image_that_bob_cannot(self):
        repository, tag = COMMUNITY
        self.assert_pull_allowed("alice", repository, tag, "community", "rules[0]")
        self.assert_pull_denied("bob", repository, tag, "community", "docker_hub.community",
                                community_message(f"docker.io/{repository}:{tag}"))
        # The rule does not make alice's other pulls anything else than
        # what they are: an official image is still official, decided by
        # the platform rule that comes first.
        self.assert_pull_allowed("alice", *OFFICIAL, "official", "rules[0]")

    # -- users ---------------------------------------------------------
    def test_a_users_rule_applies_to_carol_alone(self):
        repository, tag = CAROL_TEAM
        self.assert_pull_allowed("carol", repository, tag, "community", "carol-tools")
        self.assert_pull_denied("bob", repository, tag, "community", "docker_hub.community",
                                community_message(f"docker.io/{repository}:{tag}"))
        # Carol alone is refused official images; bob is not.
        image_name = f"docker.io/{OFFICIAL[0]}:{OFFICIAL[1]}"
        self.assert_pull_denied(
            "carol", *OFFICIAL, "official", "no-official-for-carol",
            f"pullgate: {image_name} is denied: {CAROL_DENY_REASON} (rule: no-official-for-carol)")
        self.assert_pull_allowed("bob", *OFFICIAL, "official", "docker_hub.official")

    # -- hub_user ------------------------------------------------------
    def test_a_token_request_records_the_hub_account_and_never_the_secret(self):
        def token_url(repository):
            return (f"https://{AUTH_HOST}/token?service=registry.docker.io"
                    f"&scope=repository:{repository}:pull")
        login = ["-u", f"{HUB_ACCOUNT}:{HUB_SECRET}"]
        # Allowed: the scope is an official image. The "token service" is
        # the registry under auth.docker.io, which has no /token: 404.
        allowed = self.curl(token_url(OFFICIAL[0]), user="alice", extra=login)
        self.assertEqual(allowed.connect_status, 200, allowed)
        self.assertEqual(allowed.status, 404, allowed)
        # Refused: bob asks for a community image's token.
        denied = self.curl(token_url(COMMUNITY[0]), user="bob", extra=login)
        self.assertEqual(denied.status, 403, denied)
        # Without Basic credentials there is no hub_user.
        anonymous = self.curl(token_url(CAROL_TEAM[0]), user="carol")
        self.assertEqual(anonymous.connect_status, 200, anonymous)

        tokens = self.pullgate.wait_for_audit(lambda r: r.get("kind") == "token", count=3,
                                              what="three token records")
        self.assertEqual(
            [(r["user"], r["hub_user"], r["host"], r["repository"], r["decision"], r["status"])
             for r in tokens],
            [("alice", HUB_ACCOUNT, AUTH_HOST, OFFICIAL[0], "allow", 404),
             ("bob", HUB_ACCOUNT, AUTH_HOST, COMMUNITY[0], "deny", 403),
             ("carol", None, AUTH_HOST, CAROL_TEAM[0], "allow", 404)])
        for r in tokens:
            self.assertEqual(proxy.audit_shape_problems(r), [])
        logs = self.all_logs()
        basic = base64.b64encode(f"{HUB_ACCOUNT}:{HUB_SECRET}".encode()).decode()
        for secret in (HUB_SECRET, basic, *PASSWORDS.values(),
                       *(base64.b64encode(f"{u}:{p}".encode()).decode()
                         for u, p in PASSWORDS.items())):
            self.assertNotIn(secret, logs)
        # Every record is one JSON line; none of them carries a header value.
        for r in self.pullgate.audit_records():
            self.assertNotIn("Basic ", json.dumps(r))


if __name__ == "__main__":
    testing.main()
