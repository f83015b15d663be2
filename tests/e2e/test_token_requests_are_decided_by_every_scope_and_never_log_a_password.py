#!/usr/bin/env python3
"""Registry token requests through pullgate (SPEC "What is checked", issue
3 "Understanding requests"): Docker Hub's token service (auth.docker.io,
played by the token stand-in, whose tokens a real docker-registry checks)
is asked through pullgate with curl, docker and ctr.

- A token request is allowed only if every repository in its scopes is:
  GET with repeated `scope` parameters, scopes joined by spaces, and the
  OAuth2 POST form (scopes in the body, in the query, or both). A refused
  one never reaches the token service.
- `docker login` sends Basic credentials: pullgate records the account as
  `hub_user` (on the login and on later pulls) and the password appears
  nowhere in the audit log or in pullgate's own output; neither does the
  password ctr sends in an OAuth2 form (`ctr --user`).
- ghcr.io announces its realm (https://ghcr.io/token, on the registry's
  own host) in the 401 to GET /v2/; pullgate learns it and decides ghcr.io
  token requests by their scopes. containerd never sends GET /v2/: its
  first 401 is the one for its HEAD of a manifest, and the realm must be
  learned from that one too.
"""

import base64
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, hub_world, pull_audit, real_clients, testing  # noqa: E402
from harness import containerd as containerd_launcher  # noqa: E402

HUB_TOKEN = f"https://{hub_world.HUB_AUTH}/token"
GHCR_TOKEN = f"https://{hub_world.GHCR}/token"
SERVICE = hub_world.HUB_SERVICE
COMMUNITY_MESSAGE = ("pullgate: docker.io/randomuser/tool is a community image; this organization "
                     "allows official, verified publisher, sponsored open source and its own "
                     "images from Docker Hub (rule: docker_hub.community)")


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def query(service, *scopes):
    return urllib.parse.urlencode([("service", service)] + [("scope", s) for s in scopes])


class TokenRequestsAreDecidedByEveryScope(real_clients.RealClientsTestCase):
    WORLD_OPTIONS = {"unlisted": False, "plain": False}

    def curl(self, url, pullgate=None, **kwargs):
        pullgate = pullgate or self.pullgate
        return clients.curl(url, workdir=os.path.join(self.tmp, "curl"),
                            proxy=pullgate.proxy_url, cacert=pullgate.ca_cert, **kwargs)

    def token_requests(self, scope_fragment):
        return [r for r in self.world.hub_token.requests()
                if any(scope_fragment in s for s in r["scopes"])]

    def assert_refused_as_community(self, result, records, what):
        self.assertEqual(result.status, 403, f"{what}: {result}")
        self.assertEqual(result.status_lines()[-1], f"HTTP/1.1 403 {COMMUNITY_MESSAGE}")
        body = json.loads(result.body)
        self.assertEqual(body, {"errors": [{"code": "DENIED", "message": COMMUNITY_MESSAGE}]})
        tokens = [r for r in records if r["kind"] == "token"]
        self.assertEqual([(r["decision"], r["rule"], r["status"], r["enforced"]) for r in tokens],
                         [("deny", "docker_hub.community", 403, True)],
                         pull_audit.summary(records))

    # -- scopes --------------------------------------------------------
    def test_an_allowed_scope_gets_a_token_that_the_registry_accepts(self):
        self.tail.mark()
        result = self.curl(f"{HUB_TOKEN}?{query(SERVICE, 'repository:library/alpine:pull')}")
        self.assertEqual(result.status, 200, result)
        token = json.loads(result.body)["token"]
        self.assertEqual(jwt_claims(token)["access"],
                         [{"type": "repository", "name": "library/alpine", "actions": ["pull"]}])
        manifest = self.curl(f"https://{hub_world.HUB}/v2/library/alpine/manifests/3.19",
                             headers=[f"Authorization: Bearer {token}",
                                      "Accept: application/vnd.oci.image.index.v1+json"])
        self.assertEqual(manifest.status, 200, manifest)
        records = self.tail.take()
        token_record = next(r for r in records if r["kind"] == "token")
        self.assertEqual(
            {k: token_record[k] for k in ("method", "host", "registry", "kind", "action",
                                          "repository", "reference", "image", "category",
                                          "decision", "enforced", "rule", "status")},
            {"method": "GET", "host": hub_world.HUB_AUTH, "registry": "docker.io",
             "kind": "token", "action": "pull", "repository": "library/alpine",
             "reference": None, "image": "docker.io/library/alpine", "category": "official",
             "decision": "allow", "enforced": True, "rule": "docker_hub.official",
             "status": 200})
        self.assertEqual(token_record["bytes"], len(result.body))

    def test_one_denied_scope_among_several_denies_the_whole_token_request(self):
        for what, q in [
            ("denied scope last", query(SERVICE, "repository:library/alpine:pull",
                                        "repository:randomuser/tool:pull")),
            ("denied scope first", query(SERVICE, "repository:randomuser/tool:pull",
                                         "repository:acme/app:pull")),
            ("scopes joined by a space", query(SERVICE, "repository:bitnami/redis:pull "
                                                        "repository:randomuser/tool:pull")),
        ]:
            with self.subTest(what):
                self.tail.mark()
                result = self.curl(f"{HUB_TOKEN}?{q}")
                self.assert_refused_as_community(result, self.tail.take(), what)
        self.assertEqual(self.token_requests("randomuser/tool"), [],
                         "no refused token request reached the token service")

    def test_several_allowed_scopes_get_one_token_and_the_strongest_action_is_recorded(self):
        self.tail.mark()
        result = self.curl(f"{HUB_TOKEN}?" + query(SERVICE, "repository:library/alpine:pull",
                                                   "repository:acme/app:pull,push"))
        self.assertEqual(result.status, 200, result)
        granted = {a["name"]: a["actions"]
                   for a in jwt_claims(json.loads(result.body)["token"])["access"]}
        self.assertEqual(granted, {"library/alpine": ["pull"], "acme/app": ["pull", "push"]})
        records = self.tail.take()
        self.assertEqual([(r["kind"], r["action"], r["decision"]) for r in records],
                         [("token", "push", "allow")], pull_audit.summary(records))

    def test_the_oauth_post_form_is_decided_by_the_scopes_in_its_body_and_query(self):
        form = {"grant_type": "password", "username": hub_world.HUB_USER,
                "password": hub_world.HUB_PASSWORD, "service": SERVICE, "client_id": "e2e"}
        body = os.path.join(self.tmp, "form")
        for what, scope_in_body, scope_in_query, allowed in [
            ("allowed scopes", "repository:library/alpine:pull repository:acme/app:pull", None,
             True),
            ("a denied scope in the body", "repository:library/alpine:pull "
                                           "repository:randomuser/tool:pull", None, False),
            ("a denied scope in the query", "repository:library/alpine:pull",
             "repository:randomuser/tool:pull", False),
        ]:
            with self.subTest(what):
                with open(body, "w") as f:
                    f.write(urllib.parse.urlencode(dict(form, scope=scope_in_body)))
                url = HUB_TOKEN + (f"?{urllib.parse.urlencode({'scope': scope_in_query})}"
                                   if scope_in_query else "")
                self.tail.mark()
                result = self.curl(url, method="POST", data_file=body, headers=[
                    "Content-Type: application/x-www-form-urlencoded"])
                records = self.tail.take()
                if allowed:
                    self.assertEqual(result.status, 200, result)
                    self.assertIn("access_token", json.loads(result.body))
                    self.assertEqual([(r["method"], r["kind"], r["decision"], r["status"])
                                      for r in records], [("POST", "token", "allow", 200)],
                                     pull_audit.summary(records))
                else:
                    self.assert_refused_as_community(result, records, what)
        self.assertEqual(self.token_requests("randomuser/tool"), [])
        self.assert_password_never_logged()

    # -- credentials -----------------------------------------------------
    def assert_password_never_logged(self):
        secrets = [hub_world.HUB_PASSWORD,
                   base64.b64encode(f"{hub_world.HUB_USER}:{hub_world.HUB_PASSWORD}".encode())
                   .decode(),
                   urllib.parse.quote(hub_world.HUB_PASSWORD)]
        with open(self.pullgate.audit_path) as f:
            audit = f.read()
        output = self.pullgate.log()
        for secret in secrets:
            self.assertNotIn(secret, audit, "the audit log holds a password")
            self.assertNotIn(secret, output, "pullgate's output holds a password")

    def docker_login(self):
        env = containerd_launcher.clean_env(
            {"DOCKER_CONFIG": os.path.join(self.docker.dir, "cli-config")})
        return containerd_launcher.run_cmd(
            [self.docker.docker_cli, "-H", "unix://" + self.docker.sock, "login", "-u",
             hub_world.HUB_USER, "--password-stdin"],
            env=env, input=hub_world.HUB_PASSWORD, timeout=real_clients.CLIENT_TIMEOUT)

    def test_docker_login_records_the_hub_user_and_the_password_is_never_logged(self):
        self.tail.mark()
        rc, out, err = self.docker_login()
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Login Succeeded", out)
        login = [r for r in self.tail.take() if r["kind"] == "token"]
        self.assertEqual([(r["hub_user"], r["decision"], r["status"]) for r in login],
                         [(hub_world.HUB_USER, "allow", 200)], pull_audit.summary(login))
        self.assertEqual(self.world.hub_token.requests()[-1]["credentials"], "good",
                         "the credentials went through to the token service")
        try:
            run = self.pull("docker", "organization")
            self.assertEqual(run.rc, 0, run.describe())
            self.assertEqual({r["hub_user"] for r in run.records if r["kind"] == "token"},
                             {hub_world.HUB_USER}, run.describe())
            self.assertEqual({r["hub_user"] for r in run.records if r["kind"] != "token"},
                             {None}, "hub_user belongs to token requests")
            run = self.assert_pull_denied("docker", "community")
            self.assertEqual([r["hub_user"] for r in run.records if r["kind"] == "token"],
                             [hub_world.HUB_USER], "the refused request names the account too")
        finally:
            self.docker.docker("logout")
        self.assert_password_never_logged()

    def test_ctr_sends_its_password_in_an_oauth_form_that_is_decided_and_never_logged(self):
        reference = self.world.reference("organization")
        self.tail.mark()
        rc, out, err = self.containerd.pull(
            reference, self.pullgate.proxy_url, self.pullgate.ca_cert,
            extra_args=["--user", f"{hub_world.HUB_USER}:{hub_world.HUB_PASSWORD}"],
            timeout=real_clients.CLIENT_TIMEOUT)
        run = real_clients.Run("ctr", reference, rc, out, err, self.tail.take())
        self.assert_pull_allowed("ctr", "organization", token_method="POST", run=run)
        sent = self.world.hub_token.requests()[-1]
        self.assertEqual((sent["method"], sent["grant_type"], sent["credentials"]),
                         ("POST", "password", "good"))
        self.assert_password_never_logged()

    # -- learned realms ----------------------------------------------------
    def fresh_pullgate(self, name):
        """A pullgate that has learned nothing yet."""
        pullgate = self.stop_later(self.world.start_pullgate(self.tmp, name=name))
        return pullgate, pull_audit.AuditTail(pullgate)

    def test_ghcr_realm_is_learned_from_the_401_to_get_v2_and_token_requests_are_decided(self):
        pullgate, tail = self.fresh_pullgate("learns-from-ping")
        ping = self.curl(f"https://{hub_world.GHCR}/v2/", pullgate)
        self.assertEqual(ping.status, 401)
        self.assertIn(f'realm="{GHCR_TOKEN}"', ping.header("www-authenticate"))
        tail.mark()
        denied = self.curl(f"{GHCR_TOKEN}?{query('ghcr.io', 'repository:other/app:pull')}",
                           pullgate)
        allowed = self.curl(f"{GHCR_TOKEN}?{query('ghcr.io', 'repository:acme/app:pull')}",
                            pullgate)
        mixed = self.curl(f"{GHCR_TOKEN}?" + query("ghcr.io", "repository:acme/app:pull",
                                                   "repository:other/app:pull"), pullgate)
        records = tail.take()
        self.assertEqual(denied.status, 403, denied)
        self.assertEqual(json.loads(denied.body)["errors"][0]["message"],
                         "pullgate: ghcr.io/other/app is denied: only acme's images may come "
                         "from ghcr.io (rule: ghcr-others)")
        self.assertEqual(allowed.status, 200, allowed)
        self.assertEqual(jwt_claims(json.loads(allowed.body)["token"])["aud"], "ghcr.io")
        self.assertEqual(mixed.status, 403, mixed)
        self.assertEqual([(r["host"], r["registry"], r["kind"], r["repository"], r["rule"],
                           r["status"]) for r in records],
                         [("ghcr.io", "ghcr.io", "token", "other/app", "ghcr-others", 403),
                          ("ghcr.io", "ghcr.io", "token", "acme/app", "acme-ghcr", 200),
                          # a request with several scopes is recorded under
                          # the one that was denied
                          ("ghcr.io", "ghcr.io", "token", "other/app", "ghcr-others", 403)],
                         pull_audit.summary(records))
        self.assertEqual([r for r in self.world.ghcr_token.requests()
                          if any("other/app" in s for s in r["scopes"])], [])

    def test_containerd_which_never_sends_get_v2_still_has_its_ghcr_tokens_decided(self):
        # containerd resolves a tag with HEAD /v2/NAME/manifests/TAG; the
        # 401 to that HEAD carries ghcr.io's realm, and is the only one
        # containerd ever gets before asking for a token.
        pullgate, tail = self.fresh_pullgate("learns-from-containerd")
        tail.mark()
        reference = self.world.reference("ghcr_allowed")
        rc, out, err = self.containerd.pull(reference, pullgate.proxy_url, pullgate.ca_cert,
                                            timeout=real_clients.CLIENT_TIMEOUT)
        records = tail.take()
        self.assertEqual(rc, 0, out + err)
        to_realm = [r for r in records if r["host"] == hub_world.GHCR
                    and r["kind"] in ("token", "other")]
        self.assertEqual(len(to_realm), 2, pull_audit.summary(records))
        self.assertEqual([(r["kind"], r["repository"], r["rule"]) for r in to_realm],
                         [("token", "acme/app", "acme-ghcr")] * 2,
                         "containerd's requests to https://ghcr.io/token are token requests, "
                         "decided by their scope\n" + pull_audit.summary(records))
        denied = self.curl(f"{GHCR_TOKEN}?{query('ghcr.io', 'repository:other/app:pull')}",
                           pullgate)
        self.assertEqual(denied.status, 403, f"a token for ghcr.io/other/app: {denied}")


if __name__ == "__main__":
    testing.main()
