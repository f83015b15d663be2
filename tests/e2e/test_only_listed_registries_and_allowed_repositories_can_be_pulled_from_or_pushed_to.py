#!/usr/bin/env python3
"""Registry Access Management and image rules beyond Docker Hub, with real
clients (issue 3, "End-to-end tests"): ghcr.io (token authentication on
the registry's own host, realm https://ghcr.io/token) with a rule that
allows ghcr.io/acme/* and one that denies the rest of ghcr.io; a registry
that is not listed (registry.unlisted.test); and a listed plain-HTTP
registry (registry.plain.test:PORT), which docker, podman and skopeo reach
after pullgate refuses their TLS and ctr reaches with --plain-http.

docker, ctr, podman and skopeo pull what is allowed and are refused the
rest with pullgate's message; pushes (docker push, ctr push, podman push,
skopeo copy to) to an allowed repository arrive in the registry, pushes
to the unlisted registry or to a denied repository are refused, show the
message, and leave nothing there. Every command's records are compared
with what that client asks for.

containerd never sends GET /v2/, so it cannot teach pullgate ghcr.io's
token realm (see test_token_requests_are_decided_by_every_scope_…); this
file first sends the GET /v2/ that docker, podman and skopeo send, so
that every client's token requests here are token requests.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, hub_world, pull_audit, real_clients, testing  # noqa: E402

CLIENTS = pull_audit.CLIENTS


def stored_tag(registry, repository, tag):
    """The digest docker-registry's storage holds for repository:tag, or
    None: the registry's own record of what arrived."""
    link = os.path.join(registry.workdir, "data", "docker", "registry", "v2", "repositories",
                        repository, "_manifests", "tags", tag, "current", "link")
    try:
        with open(link) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


class OnlyListedRegistriesAndAllowedRepositories(real_clients.RealClientsTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        primed = clients.curl(f"https://{hub_world.GHCR}/v2/", workdir=cls.shared_tmp,
                              proxy=cls.pullgate.proxy_url, cacert=cls.pullgate.ca_cert)
        if primed.status != 401:
            raise AssertionError(f"GET https://ghcr.io/v2/ through pullgate: {primed}")

    # -- pulls -------------------------------------------------------------
    def pulls(self, client):
        with self.subTest(image="ghcr.io/acme/app:1 (rule acme-ghcr)"):
            self.assert_pull_allowed(client, "ghcr_allowed")
        with self.subTest(image="ghcr.io/other/app:1 (rule ghcr-others)"):
            self.assert_pull_denied(client, "ghcr_denied")
        with self.subTest(image="registry.unlisted.test/tools/app:1 (registries)"):
            unlisted_log = self.unlisted_log_size()
            self.assert_pull_denied(client, "unlisted")
            self.assertEqual(self.unlisted_requests_since(unlisted_log), [],
                             "the unlisted registry never sees a refused pull")
        with self.subTest(image="registry.plain.test:PORT/team/app:1 (plain HTTP)"):
            self.assert_pull_allowed(client, "plain")

    def test_docker_pulls_from_listed_registries_only(self):
        self.pulls("docker")

    def test_ctr_pulls_from_listed_registries_only(self):
        self.pulls("ctr")

    def test_podman_pulls_from_listed_registries_only(self):
        self.pulls("podman")

    def test_skopeo_copies_from_listed_registries_only(self):
        self.pulls("skopeo")

    # -- pushes ------------------------------------------------------------
    def source_image(self, client):
        """An image the client holds, to push: the organization's image,
        pulled through pullgate (skopeo copies from the OCI layout)."""
        if client == "skopeo":
            return self.world.layouts["organization"].reference
        reference = self.world.reference("organization")
        run = self.pull(client, "organization")
        self.assertEqual(run.rc, 0, run.describe())
        return reference

    def push(self, client, destination):
        source = self.source_image(client)
        if client == "docker":
            self.assertEqual(self.docker.tag(source, destination)[0], 0)
            fn = lambda: self.docker.push(destination, timeout=real_clients.CLIENT_TIMEOUT)
        elif client == "ctr":
            fn = lambda: self.containerd.push(destination, source, self.pullgate.proxy_url,
                                              self.pullgate.ca_cert,
                                              timeout=real_clients.CLIENT_TIMEOUT)
        elif client == "podman":
            self.assertEqual(self.podman.tag(source, destination)[0], 0)
            fn = lambda: self.podman.push(destination, timeout=real_clients.CLIENT_TIMEOUT)
        else:
            fn = lambda: self.podman.skopeo("copy", "--retry-times", "0", "--dest-cert-dir",
                                            self.podman.cert_dir, source,
                                            f"docker://{destination}",
                                            timeout=real_clients.CLIENT_TIMEOUT)
        return self.command(client, destination, fn)

    def assert_push_allowed(self, client, where, repository, rule):
        registry, host, _, _ = self.world.place(where)
        destination = f"{registry}/{repository}:1"
        run = self.push(client, destination)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertIsNotNone(stored_tag(self.world.registries[where], repository, "1"),
                             f"{destination} arrived in the registry\n{run.describe()}")
        kinds = {r["kind"] for r in run.records}
        self.assertTrue({"upload", "manifest"} <= kinds, run.describe())
        for r in run.records:
            self.assertEqual(r["decision"], "allow", run.describe())
            if r["kind"] == "ping":
                continue
            self.assertEqual((r["registry"], r["rule"], r["enforced"]), (registry, rule, True),
                             run.describe())
            if r["kind"] == "upload" or (r["kind"] == "manifest" and r["method"] == "PUT"):
                self.assertEqual((r["action"], r["repository"]), ("push", repository),
                                 run.describe())
        self.assertIn(("PUT", "manifest", "1", 201),
                      {(r["method"], r["kind"], r["reference"], r["status"])
                       for r in run.records}, run.describe())
        return run

    def assert_push_denied(self, client, where, repository, name, expected):
        registry, _, _, _ = self.world.place(where)
        destination = f"{registry}/{repository}:1"
        unlisted_log = self.unlisted_log_size()
        run = self.push(client, destination)
        self.assertNotEqual(run.rc, 0, run.describe())
        self.assertEqual(self.unlisted_requests_since(unlisted_log), [],
                         "the unlisted registry never sees a refused push")
        self.assertIsNone(stored_tag(self.world.registries[where], repository, "1"),
                          "nothing arrived")
        # ctr is refused at its HEAD of a blob (a read), the others at the
        # upload they start (a push).
        pattern = real_clients.deny_pattern(self.world, name, client, reference=destination,
                                            named=f"{registry}/{repository}",
                                            push=client != "ctr")
        self.assertRegex(run.output, pattern, run.describe())
        real_clients.DENY_TEXTS[(type(self).__name__, client, f"push {destination}")] = next(
            line.strip() for line in run.output.splitlines() if "pullgate:" in line)
        self.assertTrue(all(r["decision"] == "deny" for r in run.records if r["kind"] != "ping"),
                        run.describe())
        self.assertEqual({(r["method"], r["kind"], r["status"]) for r in run.records}, expected,
                         run.describe())
        return run

    def pushes(self, client, refused_unlisted, refused_by_rule):
        with self.subTest(push="ghcr.io/acme (rule acme-ghcr)"):
            self.assert_push_allowed(client, "ghcr", f"acme/{client}-pushed", "acme-ghcr")
        with self.subTest(push="docker.io/acme (the organization's own)"):
            self.assert_push_allowed(client, "hub", f"acme/{client}-pushed",
                                     "docker_hub.organizations")
        with self.subTest(push="registry.unlisted.test (not listed)"):
            self.assert_push_denied(client, "unlisted", f"acme/{client}-pushed", "unlisted",
                                    refused_unlisted)
        with self.subTest(push="ghcr.io/other (denied by rule ghcr-others)"):
            self.assert_push_denied(client, "ghcr", f"other/{client}-pushed", "ghcr_denied",
                                    refused_by_rule)

    def test_docker_push_reaches_allowed_repositories_only(self):
        self.pushes("docker",
                    {("GET", "ping", 403), ("HEAD", "blob", 403), ("POST", "upload", 403)},
                    {("GET", "ping", 401), ("GET", "token", 403)})

    def test_ctr_push_reaches_allowed_repositories_only(self):
        self.pushes("ctr", {("HEAD", "blob", 403)}, {("HEAD", "blob", 403)})

    def test_podman_push_reaches_allowed_repositories_only(self):
        self.pushes("podman",
                    {("GET", "ping", 401), ("HEAD", "blob", 404), ("POST", "upload", 403)},
                    {("GET", "ping", 401), ("GET", "token", 401)})

    def test_skopeo_copy_to_reaches_allowed_repositories_only(self):
        self.pushes("skopeo",
                    {("GET", "ping", 401), ("HEAD", "blob", 404), ("POST", "upload", 403)},
                    {("GET", "ping", 401), ("GET", "token", 401)})

    # docker-registry logs every response it sends ("response completed").
    def unlisted_log_size(self):
        return len(self.world.unlisted.process.stderr_text())

    def unlisted_requests_since(self, size):
        log = self.world.unlisted.process.stderr_text()[size:]
        return [line for line in log.splitlines() if "response completed" in line]


if __name__ == "__main__":
    testing.main()
