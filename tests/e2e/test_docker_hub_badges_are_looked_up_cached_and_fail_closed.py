#!/usr/bin/env python3
"""Docker Hub categories from Docker Hub itself (issue 6): with
`policy.docker_hub.lookup`, a namespace that no configured list names is
categorised by the badge Docker Hub's search API gives it.

Docker Hub is played by a real docker-registry under registry-1.docker.io
(harness/world.py) and its search API by the stand-in
harness/hub_search_standin.py under hub.docker.com (Docker Hub cannot be
reached from here); pullgate reaches both through `upstream.resolve` and
trusts the test's "public" root through `upstream.ca_file`. Clients are
skopeo and curl through pullgate.

- hit: a `verified_publisher` badge makes a namespace a verified
  publisher, `open_source` a sponsored open-source project; repeated pulls
  within the ttl ask Docker Hub once (the answer is cached per namespace);
- miss: no badge (or no result for the namespace) is community, denied
  with the SPEC's message;
- timeout: a look-up slower than `lookup.timeout` leaves the request
  community, decided within about the timeout, and the record says the
  badge was unknown; the look-up goes on in the background, and a later
  request knows the badge;
- fail closed: an HTTP 500, an answer that is not the API's JSON, or an
  unreachable search service is community, and the record says why;
- configured lists win: listed namespaces are never looked up, and keep
  their configured category whatever the badge;
- persistence: learned badges survive a restart through `cache_file`, and
  expire after `ttl` (in memory and in the file).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, image, net, proxy, testing, world  # noqa: E402
from harness.hub_search_standin import HubSearchStandin  # noqa: E402

MANIFEST_ACCEPT = f"Accept: {image.MANIFEST}"
ALLOWED_TEXT = ("this organization allows official, verified publisher, sponsored open source "
                "and its own images from Docker Hub")
# Namespaces of the images pushed to the fake Docker Hub: each test uses
# its own, so a badge cached by one test cannot decide another's.
NAMESPACES = ("vpub", "osproj", "twice", "nobadge", "noresult", "badgeless", "slow", "stuck",
              "broken", "html", "truncated", "noarray", "unreachable", "listedvp", "listedoss",
              "acme", "persist", "persistmiss", "expiring")
REPO = "app"
TAG = "1"


def community_message(image_name):
    return (f"pullgate: {image_name} is a community image; {ALLOWED_TEXT} "
            f"(rule: docker_hub.community)")


class DockerHubBadgesAreLookedUpCachedAndFailClosed(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("skopeo", "docker-registry", "openssl", "curl")
        tmp = cls.shared_tmp
        cls.world = world.World(tmp)
        cls.addClassCleanup(cls.world.stop)
        cls.layout = image.make_image(os.path.join(tmp, "image"), tag=TAG, layer_size=4096)
        cls.official = image.make_image(os.path.join(tmp, "official"), tag="3.19",
                                        layer_size=2048)
        for ns in NAMESPACES:
            image.push_direct(cls.layout, cls.world.hub, f"{ns}/{REPO}",
                              cert_dir=cls.world.public_cert_dir, workdir=tmp)
        image.push_direct(cls.official, cls.world.hub, "library/alpine",
                          cert_dir=cls.world.public_cert_dir, workdir=tmp)

    # -- servers -------------------------------------------------------
    def start_standin(self):
        return self.stop_later(HubSearchStandin(self.tmp, self.world.public_ca).start())

    def pullgate_config(self, standin, *, name="pullgate", ttl="1h", timeout="2s",
                        cache_file=None):
        config = self.world.pullgate_config(self.tmp, name=name)
        config["upstream"]["resolve"].update(standin.resolve())
        config["policy"]["docker_hub"] = {
            "official": True, "verified_publishers": True, "sponsored_oss": True,
            "community": False, "organizations": ["acme"],
            "verified_publisher_namespaces": ["listedvp"],
            "sponsored_oss_namespaces": ["listedoss"],
            "lookup": {"url": standin.url, "ttl": ttl, "timeout": timeout,
                       "cache_file": cache_file},
        }
        return config

    def start_pullgate(self, standin, name="pullgate", **kwargs):
        config = self.pullgate_config(standin, name=name, **kwargs)
        return self.stop_later(proxy.Pullgate(self.tmp, config, name=name).start())

    # -- clients -------------------------------------------------------
    def pull(self, pullgate, ns, *, check=True, label="pulled"):
        out = os.path.join(self.tmp, f"{label}-{ns}-{time.monotonic_ns()}")
        return image.skopeo_copy(f"docker://docker.io/{ns}/{REPO}:{TAG}", f"oci:{out}:{TAG}",
                                 workdir=self.tmp, proxy_url=pullgate.proxy_url,
                                 src_cert_dir=pullgate.cert_dir(), check=check)

    def get_manifest(self, pullgate, repository, reference=TAG):
        """One GET of a manifest through pullgate with curl; returns the
        CurlResult and how long pullgate took to answer the request (from
        the request sent to the first byte back, so the CONNECT and the TLS
        handshakes are not counted)."""
        result = clients.curl(f"https://{world.HUB}/v2/{repository}/manifests/{reference}",
                              workdir=os.path.join(self.tmp, "curl"), proxy=pullgate.proxy_url,
                              cacert=pullgate.ca_cert, headers=[MANIFEST_ACCEPT], timeout=30)
        self.assertTrue(result.transfers, result)
        t = result.transfers[0]
        return result, t["time_starttransfer"] - t["time_pretransfer"]

    def records(self, pullgate, ns, count=1, kind=None):
        def match(r):
            return (r.get("repository") == f"{ns}/{REPO}"
                    and (kind is None or r.get("kind") == kind))
        return pullgate.wait_for_audit(match, what=f"{count} record(s) of {ns}/{REPO}",
                                       count=count)

    # -- assertions ----------------------------------------------------
    def assert_allowed_pull(self, pullgate, ns, category, rule):
        self.pull(pullgate, ns)
        records = self.records(pullgate, ns, count=3)  # manifest, config, layer
        for r in records:
            with self.subTest(record=r):
                self.assertEqual(proxy.audit_shape_problems(r), [])
                self.assertEqual((r["decision"], r["category"], r["rule"], r["status"]),
                                 ("allow", category, rule, 200))
                self.assertNotIn("unknown", r["reason"])
        return records

    def assert_denied_as_community(self, result, records, ns):
        image_name = f"docker.io/{ns}/{REPO}:{TAG}"
        message = community_message(image_name)
        self.assertEqual(result.status, 403, result)
        self.assertEqual(result.status_lines()[-1], f"HTTP/1.1 403 {message}")
        self.assertEqual(json.loads(result.body),
                         {"errors": [{"code": "DENIED", "message": message}]})
        r = records[-1]
        self.assertEqual(proxy.audit_shape_problems(r), [])
        self.assertEqual((r["kind"], r["image"], r["decision"], r["enforced"], r["category"],
                          r["rule"], r["status"]),
                         ("manifest", image_name, "deny", True, "community",
                          "docker_hub.community", 403))
        return r

    def assert_one_well_formed_query(self, standin, ns):
        queries = standin.queries(ns)
        self.assertEqual(len(queries), 1, f"look-ups of {ns}: {queries}")
        q = queries[0]
        self.assertEqual((q["method"], q["path"], q["query"], q["type"], q["host"]),
                         ("GET", "/api/search/v4", f"{ns}/{REPO}", "image", "hub.docker.com"))
        self.assertIn(f"query={ns}%2F{REPO}", q["raw_query"])

    # -- hit -----------------------------------------------------------
    def test_a_verified_publisher_badge_allows_a_namespace_and_is_asked_for_once(self):
        standin = self.start_standin()
        standin.set("vpub", badge="verified_publisher")
        standin.set("osproj", badge="open_source")
        pullgate = self.start_pullgate(standin)
        self.assert_allowed_pull(pullgate, "vpub", "verified_publisher",
                                 "docker_hub.verified_publishers")
        self.assert_allowed_pull(pullgate, "osproj", "sponsored_oss", "docker_hub.sponsored_oss")
        self.assert_one_well_formed_query(standin, "vpub")
        self.assert_one_well_formed_query(standin, "osproj")
        # The look-alikes the stand-in lists first (vpubx/app, other/app,
        # verified publishers both) did not decide anything: see the miss
        # test, where they are the only verified ones.

    def test_repeated_pulls_within_the_ttl_ask_docker_hub_once(self):
        standin = self.start_standin()
        standin.set("twice", badge="verified_publisher")
        pullgate = self.start_pullgate(standin)
        for n in range(3):
            with self.subTest(pull=n):
                self.pull(pullgate, "twice")
        records = self.records(pullgate, "twice", count=9)
        self.assertEqual({(r["category"], r["rule"]) for r in records},
                         {("verified_publisher", "docker_hub.verified_publishers")})
        self.assertEqual(len(standin.queries("twice")), 1,
                         "three pulls (nine requests) within the ttl: one look-up")

    # -- miss ----------------------------------------------------------
    def test_a_namespace_without_a_badge_is_community_and_denied(self):
        standin = self.start_standin()
        standin.set("nobadge", badge="none")       # Docker Hub's "no badge"
        standin.set("badgeless", badge=None)       # no badge field at all
        # "noresult" is not configured: the search finds only look-alikes
        # from other namespaces, which are verified publishers.
        pullgate = self.start_pullgate(standin)
        for ns in ("nobadge", "badgeless", "noresult"):
            with self.subTest(namespace=ns):
                result, _ = self.get_manifest(pullgate, f"{ns}/{REPO}")
                record = self.assert_denied_as_community(result, self.records(pullgate, ns),
                                                         ns)
                self.assertEqual(record["reason"], "community image",
                                 "the badge was learned: nothing was unknown")
                self.assertEqual(len(standin.queries(ns)), 1)
                # The community answer is cached like any other.
                result, _ = self.get_manifest(pullgate, f"{ns}/{REPO}")
                self.assert_denied_as_community(result, self.records(pullgate, ns, count=2), ns)
                self.assertEqual(len(standin.queries(ns)), 1, "a known community badge is cached")
        # skopeo is refused too, and shows the message.
        run = self.pull(pullgate, "nobadge", check=False)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn(community_message(f"docker.io/nobadge/{REPO}:{TAG}"), run.stderr)

    # -- timeout -------------------------------------------------------
    def test_a_slow_look_up_is_community_within_the_timeout_and_known_later(self):
        standin = self.start_standin()
        standin.set("slow", badge="verified_publisher", delay=3.0)
        pullgate = self.start_pullgate(standin, timeout="1s")
        started = time.monotonic()
        result, waited = self.get_manifest(pullgate, f"slow/{REPO}")
        self.assertGreaterEqual(waited, 0.9, "pullgate waited for the look-up, up to the timeout")
        self.assertLess(waited, 1.8,
                        f"decided within about lookup.timeout (1 s), not {waited:.2f}s")
        record = self.assert_denied_as_community(result, self.records(pullgate, "slow"), "slow")
        self.assertIn("Docker Hub badge of slow unknown", record["reason"])
        self.assertIn("timed out", record["reason"])
        self.assertLess(record["duration_ms"], 1800)
        # Docker Hub answers quickly again; the look-up already asked goes
        # on in the background and its answer is cached.
        standin.set("slow", badge="verified_publisher")
        standin.wait_answered("slow", timeout=15)
        self.assertLess(time.monotonic() - started, 12)
        result, waited = self.get_manifest(pullgate, f"slow/{REPO}")
        self.assertEqual(result.status, 200, result)
        self.assertLess(waited, 0.9, "a known badge needs no waiting")
        later = self.records(pullgate, "slow", count=2)[-1]
        self.assertEqual((later["decision"], later["category"], later["rule"]),
                         ("allow", "verified_publisher", "docker_hub.verified_publishers"))
        self.assertEqual(len(standin.queries("slow")), 1,
                         "the background look-up answered the later request")

    def test_requests_arriving_during_a_slow_look_up_share_it_and_each_wait_at_most_the_timeout(
            self):
        standin = self.start_standin()
        standin.set("stuck", badge="verified_publisher", delay=4.0)
        pullgate = self.start_pullgate(standin, timeout="1s")
        for n in range(2):
            with self.subTest(request=n):
                result, waited = self.get_manifest(pullgate, f"stuck/{REPO}")
                self.assertLess(waited, 1.8, f"request {n} waited {waited:.2f}s")
                record = self.assert_denied_as_community(
                    result, self.records(pullgate, "stuck", count=n + 1), "stuck")
                self.assertIn("Docker Hub badge of stuck unknown", record["reason"])
        self.assertEqual(len(standin.queries("stuck")), 1,
                         "one look-up in flight per namespace, however many requests wait")

    # -- fail closed ---------------------------------------------------
    def test_an_error_or_an_answer_that_is_not_the_search_json_fails_closed(self):
        standin = self.start_standin()
        standin.set("broken", status=500)
        standin.set("html", body="<!DOCTYPE html><html><body>Docker Hub is down</body></html>")
        # Would read as verified if anyone looked for the word.
        standin.set("truncated",
                    body='{"total": 1, "results": [{"name": "truncated/app", "badge": '
                         '"verified_publisher"')
        standin.set("noarray", body='{"total": 1, "results": {"name": "noarray/app", '
                                    '"badge": "verified_publisher"}}')
        pullgate = self.start_pullgate(standin, timeout="1s")
        expected = {
            "broken": "Docker Hub search answered 500",
            "html": "not a JSON object",
            "truncated": "not a JSON object",
            "noarray": "no results array",
        }
        for ns, why in expected.items():
            with self.subTest(namespace=ns):
                result, waited = self.get_manifest(pullgate, f"{ns}/{REPO}")
                self.assertLess(waited, 1.8, "never longer than about the timeout (1 s)")
                record = self.assert_denied_as_community(result, self.records(pullgate, ns), ns)
                self.assertIn(f"Docker Hub badge of {ns} unknown", record["reason"])
                self.assertIn(why, record["reason"])
                self.assertGreaterEqual(len(standin.queries(ns)), 1)
        # A pull is refused as a whole, with the message.
        run = self.pull(pullgate, "broken", check=False)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn(community_message(f"docker.io/broken/{REPO}:{TAG}"), run.stderr)

    def test_an_unreachable_search_service_fails_closed(self):
        standin = self.start_standin()
        standin.stop()  # nothing listens at the address hub.docker.com resolves to
        pullgate = self.start_pullgate(standin, timeout="1s")
        result, waited = self.get_manifest(pullgate, f"unreachable/{REPO}")
        self.assertLess(waited, 1.8, "never longer than about the timeout (1 s)")
        record = self.assert_denied_as_community(result, self.records(pullgate, "unreachable"),
                                                 "unreachable")
        self.assertIn("Docker Hub badge of unreachable unknown", record["reason"])
        self.assertNotIn("timed out", record["reason"], "a refused connection is not a timeout")

    # -- configured lists win ------------------------------------------
    def test_configured_lists_win_and_are_never_looked_up(self):
        standin = self.start_standin()
        # Docker Hub would say otherwise for each of them.
        standin.set("listedvp", badge="none")
        standin.set("listedoss", badge="verified_publisher")
        standin.set("acme", badge="verified_publisher")
        standin.set("library", badge="none")
        pullgate = self.start_pullgate(standin)
        self.assert_allowed_pull(pullgate, "listedvp", "verified_publisher",
                                 "docker_hub.verified_publishers")
        self.assert_allowed_pull(pullgate, "listedoss", "sponsored_oss",
                                 "docker_hub.sponsored_oss")
        self.assert_allowed_pull(pullgate, "acme", "organization", "docker_hub.organizations")
        out = os.path.join(self.tmp, "pulled-alpine")
        image.skopeo_copy("docker://docker.io/library/alpine:3.19", f"oci:{out}:3.19",
                          workdir=self.tmp, proxy_url=pullgate.proxy_url,
                          src_cert_dir=pullgate.cert_dir())
        official = pullgate.wait_for_audit(lambda r: r.get("repository") == "library/alpine",
                                           count=3, what="library/alpine records")
        self.assertEqual({(r["category"], r["rule"]) for r in official},
                         {("official", "docker_hub.official")})
        self.assertEqual(standin.queries(), [], "no listed namespace was looked up")

    # -- persistence and ttl -------------------------------------------
    def wait_for_cache_file(self, path, ns):
        def has():
            try:
                with open(path) as f:
                    return ns in json.load(f)
            except (OSError, ValueError):
                return False
        net.wait_until(has, 10, f"{ns} in {path}")

    def test_learned_badges_survive_a_restart_through_the_cache_file(self):
        standin = self.start_standin()
        standin.set("persist", badge="verified_publisher")
        cache_file = os.path.join(self.tmp, "hub-badges.json")
        first = self.start_pullgate(standin, name="first", cache_file=cache_file)
        self.assert_allowed_pull(first, "persist", "verified_publisher",
                                 "docker_hub.verified_publishers")
        self.assertEqual(len(standin.queries("persist")), 1)
        self.wait_for_cache_file(cache_file, "persist")
        self.assertEqual(first.stop(), 0)
        standin.stop()  # Docker Hub is gone: only the file can know now
        second = self.start_pullgate(standin, name="second", cache_file=cache_file)
        self.assertIn(f"loaded 1 Docker Hub badges from {cache_file}", second.log())
        records = self.assert_allowed_pull(second, "persist", "verified_publisher",
                                           "docker_hub.verified_publishers")
        self.assertLess(max(r["duration_ms"] for r in records), 1500,
                        "a badge from the file needs no look-up")
        self.assertEqual(len(standin.queries("persist")), 1, "no new look-up after the restart")
        # Nothing else is known: a namespace not in the file fails closed,
        # which shows the search service really was out of reach.
        result, _ = self.get_manifest(second, f"persistmiss/{REPO}")
        record = self.assert_denied_as_community(
            result, self.records(second, "persistmiss"), "persistmiss")
        self.assertIn("Docker Hub badge of persistmiss unknown", record["reason"])

    def test_a_badge_is_looked_up_again_after_the_ttl_in_memory_and_in_the_file(self):
        standin = self.start_standin()
        standin.set("expiring", badge="verified_publisher")
        cache_file = os.path.join(self.tmp, "hub-badges.json")
        pullgate = self.start_pullgate(standin, ttl="3s", cache_file=cache_file)
        result, _ = self.get_manifest(pullgate, f"expiring/{REPO}")
        learned = time.monotonic()
        self.assertEqual(result.status, 200, result)
        result, _ = self.get_manifest(pullgate, f"expiring/{REPO}")
        self.assertEqual(result.status, 200, result)
        self.assertEqual(len(standin.queries("expiring")), 1, "fresh: cached")
        self.wait_for_cache_file(cache_file, "expiring")
        # Docker Hub takes the badge away; once the ttl has passed pullgate
        # asks again and believes the new answer.
        standin.set("expiring", badge="none")
        time.sleep(max(0.0, learned + 3.5 - time.monotonic()))
        result, _ = self.get_manifest(pullgate, f"expiring/{REPO}")
        self.assert_denied_as_community(result, self.records(pullgate, "expiring", count=3),
                                        "expiring")
        self.assertEqual(len(standin.queries("expiring")), 2, "expired: looked up again")
        relearned = time.monotonic()
        # An expired entry in the file is not loaded either.
        self.assertEqual(pullgate.stop(), 0)
        standin.set("expiring", badge="verified_publisher")
        time.sleep(max(0.0, relearned + 3.5 - time.monotonic()))
        restarted = self.start_pullgate(standin, name="restarted", ttl="3s",
                                        cache_file=cache_file)
        self.assertIn(f"loaded 0 Docker Hub badges from {cache_file}", restarted.log())
        result, _ = self.get_manifest(restarted, f"expiring/{REPO}")
        self.assertEqual(result.status, 200, result)
        self.assertEqual(len(standin.queries("expiring")), 3, "expired in the file: looked up")


if __name__ == "__main__":
    testing.main()
