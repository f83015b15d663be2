#!/usr/bin/env python3
"""`pullgate explain IMAGE` (SPEC "Command line", issue 3 "Done when"):
with the policy the real-client tests run, it names the decision, the
Docker Hub category and the deciding rule of an image typed as a person
types it after `docker pull` (short names expanded the way docker does),
prints the message a denied pull would show, and exits 0 for allow and 3
for deny: for each Docker Hub category, each category switched off, the
ghcr.io rules, an unlisted registry, the plain-HTTP one, and audit mode
(a would-be denial still exits 3, marked as not enforced)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hub_world, proxy, testing  # noqa: E402

PLAIN = "registry.plain.test:5080"
DIGEST = "sha256:" + "ab" * 32

# typed -> (normalised image, decision, category, rule)
CASES = {
    "alpine": ("docker.io/library/alpine:latest", "allow", "official", "docker_hub.official"),
    "library/alpine:3.19": ("docker.io/library/alpine:3.19", "allow", "official",
                            "docker_hub.official"),
    "bitnami/redis:7": ("docker.io/bitnami/redis:7", "allow", "verified_publisher",
                        "docker_hub.verified_publishers"),
    "jenkins/agent": ("docker.io/jenkins/agent:latest", "allow", "sponsored_oss",
                      "docker_hub.sponsored_oss"),
    "docker.io/acme/app:1": ("docker.io/acme/app:1", "allow", "organization",
                             "docker_hub.organizations"),
    "index.docker.io/acme/app:1": ("docker.io/acme/app:1", "allow", "organization",
                                   "docker_hub.organizations"),
    "randomuser/tool": ("docker.io/randomuser/tool:latest", "deny", "community",
                        "docker_hub.community"),
    "ghcr.io/acme/app:1": ("ghcr.io/acme/app:1", "allow", None, "acme-ghcr"),
    f"ghcr.io/acme/app@{DIGEST}": (f"ghcr.io/acme/app@{DIGEST}", "allow", None, "acme-ghcr"),
    "ghcr.io/other/app:1": ("ghcr.io/other/app:1", "deny", None, "ghcr-others"),
    "registry.unlisted.test/tools/app:1": ("registry.unlisted.test/tools/app:1", "deny", None,
                                           "registries"),
    "localhost/tools/app": ("localhost/tools/app:latest", "deny", None, "registries"),
    f"{PLAIN}/team/app:1": (f"{PLAIN}/team/app:1", "allow", None, "default"),
}

MESSAGES = {
    "randomuser/tool": "pullgate: docker.io/randomuser/tool:latest is a community image; this "
                       "organization allows official, verified publisher, sponsored open source "
                       "and its own images from Docker Hub (rule: docker_hub.community)",
    "ghcr.io/other/app:1": "pullgate: ghcr.io/other/app:1 is denied: only acme's images may "
                           "come from ghcr.io (rule: ghcr-others)",
    "registry.unlisted.test/tools/app:1": "pullgate: registry registry.unlisted.test is not an "
                                          "approved registry; this organization allows "
                                          f"docker.io, ghcr.io, {PLAIN} (rule: registries)",
}


def parse(text):
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("image", "decision", "category", "rule", "reason", "message"):
            fields[key.strip()] = value.strip()
    return fields


class ExplainAnswersForEachCategory(testing.E2ETestCase):
    def write_config(self, policy):
        path = os.path.join(self.tmp, "pullgate.yaml")
        proxy.write_config(path, {"policy": policy})
        check = proxy.run_cli("check", "--config", path)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        return path

    def explain(self, config, typed):
        result = proxy.run_cli("explain", "--config", config, typed)
        return result.returncode, parse(result.stdout), result.stdout + result.stderr

    def test_each_category_and_registry_is_explained_with_exit_0_or_3(self):
        config = self.write_config(hub_world.policy(plain_name=PLAIN))
        for typed, (normalised, decision, category, rule) in CASES.items():
            with self.subTest(typed=typed):
                code, fields, text = self.explain(config, typed)
                self.assertEqual(code, 0 if decision == "allow" else 3, text)
                self.assertEqual(fields.get("image"), normalised, text)
                self.assertEqual(fields.get("decision"), decision, text)
                self.assertEqual(fields.get("category"), category or "-", text)
                self.assertEqual(fields.get("rule"), rule, text)
                self.assertTrue(fields.get("reason"), text)
                if decision == "deny":
                    self.assertTrue(fields["message"].startswith("pullgate: "), text)
                    self.assertTrue(fields["message"].endswith(f"(rule: {rule})"), text)
                    if typed in MESSAGES:
                        self.assertEqual(fields["message"], MESSAGES[typed])
                else:
                    self.assertNotIn("message", fields, text)

    def test_categories_switched_off_are_explained_as_denied_by_their_own_rule(self):
        policy = hub_world.policy(plain_name=PLAIN)
        policy["docker_hub"].update(official=False, verified_publishers=False,
                                    sponsored_oss=False, community=True)
        config = self.write_config(policy)
        for typed, rule, allowed in [("alpine", "docker_hub.official", False),
                                     ("bitnami/redis:7", "docker_hub.verified_publishers", False),
                                     ("jenkins/agent:1", "docker_hub.sponsored_oss", False),
                                     ("acme/app:1", "docker_hub.organizations", True),
                                     ("randomuser/tool", "docker_hub.community", True)]:
            with self.subTest(typed=typed):
                code, fields, text = self.explain(config, typed)
                self.assertEqual(code, 0 if allowed else 3, text)
                self.assertEqual((fields.get("decision"), fields.get("rule")),
                                 ("allow" if allowed else "deny", rule), text)

    def test_audit_mode_explains_a_would_be_denial_as_not_enforced_and_exits_3(self):
        config = self.write_config(hub_world.policy("audit", plain_name=PLAIN))
        code, fields, text = self.explain(config, "randomuser/tool")
        self.assertEqual(code, 3, text)
        self.assertTrue(fields["decision"].startswith("deny"), text)
        self.assertIn("not enforced", fields["decision"], text)
        self.assertEqual(fields["rule"], "docker_hub.community", text)
        code, fields, text = self.explain(config, "alpine")
        self.assertEqual((code, fields["decision"]), (0, "allow"), text)


if __name__ == "__main__":
    testing.main()
