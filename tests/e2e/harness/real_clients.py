"""docker, ctr, podman and skopeo pulling through one pullgate from a
HubWorld, and the checks every test of issue 3 makes on one command.

RealClientsTestCase (a SharedWorldTestCase) builds, once per file, the
HubWorld, a pullgate in front of it (class attribute MODE), a private
dockerd, a private containerd and a podman/skopeo sandbox (the launchers
in dockerd.py, containerd.py, podman.py), and offers:

- pull(client, name): one pull of an IMAGES entry (or an extra image) by
  one client, as a person would type it; returns a Run with the exit
  status, the client's whole output and the audit records of just that
  command;
- assert_pull_allowed / assert_pull_denied: the client's result, what it
  stored, the exact records of the command (pull_audit), every record's
  fields, and for a denial the pullgate message in the client's output.

Every deny text a client printed is kept in DENY_TEXTS and printed at the
end of the file's run, verbatim, for the issue note.
"""

import os
import re
import sys

from . import hub_world, image, procs, pull_audit, testing
from . import containerd as containerd_launcher
from . import dockerd as dockerd_launcher
from . import podman as podman_launcher

CLIENT_TIMEOUT = 120

# (file, client, what) -> the line of the client's output with the message
DENY_TEXTS = {}


class Run:
    def __init__(self, client, reference, rc, out, err, records, stored=None):
        self.client, self.reference = client, reference
        self.rc, self.out, self.err = rc, out, err
        self.records = records
        self.stored = stored  # skopeo: the OCI layout it wrote

    @property
    def output(self):
        return containerd_launcher.strip_ansi(self.out + "\n" + self.err)

    def describe(self):
        return (f"{self.client} {self.reference}: exit {self.rc}\n--- output ---\n"
                f"{self.output.strip()[-3000:]}\n--- audit records of this command ---\n"
                f"{pull_audit.summary(self.records)}")


def message_pattern(image_or_registry, phrase, rule):
    """A regex for pullgate's deny text: prefix, what it names, the why,
    and the deciding rule, on one line."""
    return re.compile(r"pullgate: " + re.escape(image_or_registry) + " " + re.escape(phrase) +
                      r"[^\n\"]*\(rule: " + re.escape(rule) + r"\)")


def deny_pattern(world, name, client, *, reference=None, named=None, push=False):
    """What a refused pull (or push) of IMAGES[name] (or of `reference`)
    makes pullgate say. ctr's refused pull is its HEAD of the tag, which
    names the tag; the other clients are refused at the token request,
    which names only the repository; `named` overrides. push: the refused
    request is the start of an upload (a push's own wording)."""
    reference = reference or world.reference(name)
    repository = reference.rsplit(":", 1)[0]
    if named is None:
        named = reference if client == "ctr" else repository
    rule = hub_world.DECISIONS[name][1]
    if name == "community":
        return message_pattern(named, "is a community image; this organization allows", rule)
    if name == "ghcr_denied":
        return message_pattern(named, "is denied: only acme's images may come from ghcr.io", rule)
    if name == "unlisted":
        if push:
            return message_pattern(f"push to registry {hub_world.UNLISTED}",
                                   "is not allowed; this organization allows", rule)
        return message_pattern(f"registry {hub_world.UNLISTED}",
                               "is not an approved registry; this organization allows", rule)
    raise ValueError(f"no denial expected for {name}")


class RealClientsTestCase(testing.SharedWorldTestCase):
    MODE = "enforce"
    WORLD_OPTIONS = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("docker-registry", "haproxy", "skopeo", "podman", "dockerd",
                              "containerd", "ctr", "curl", "openssl", "unshare")
        if os.geteuid() != 0:
            raise AssertionError("the real-client tests need root (mount namespaces, dockerd)")
        tmp = cls.shared_tmp
        cls.world = hub_world.HubWorld(tmp, **cls.WORLD_OPTIONS)
        cls.addClassCleanup(cls.world.stop)
        cls.pullgate = cls.world.start_pullgate(tmp, mode=cls.MODE)
        cls.addClassCleanup(cls.pullgate.stop)
        insecure = [cls.world.plain_name] if hasattr(cls.world, "plain_name") else []
        proxy_url, ca = cls.pullgate.proxy_url, cls.pullgate.ca_cert
        # dockerd binds unix sockets under its exec root (108 bytes at
        # most): the launchers get a short directory of their own.
        short = procs.temp_dir(prefix="pg-")
        cls.addClassCleanup(procs.remove_temp_dir, short)
        cls.docker = dockerd_launcher.DockerDaemon(short, proxy_url, ca,
                                                   insecure_registries=insecure)
        cls.addClassCleanup(cls.docker.stop)
        cls.docker.start()
        cls.containerd = containerd_launcher.Containerd(short)
        cls.addClassCleanup(cls.containerd.stop)
        cls.containerd.start()
        cls.podman = podman_launcher.Podman(short, proxy_url, ca, insecure_registries=insecure)
        cls.addClassCleanup(cls.podman.close)
        cls.podman.start()
        cls.tail = pull_audit.AuditTail(cls.pullgate)
        cls.addClassCleanup(cls._print_deny_texts)

    @classmethod
    def _print_deny_texts(cls):
        mine = {k: v for k, v in DENY_TEXTS.items() if k[0] == cls.__name__}
        if mine:
            print(f"\n[{cls.__name__}] deny texts as the clients printed them:", file=sys.stderr)
            for (_, client, what), line in sorted(mine.items()):
                print(f"  {client:7} {what}:\n    {line}", file=sys.stderr)

    def setUp(self):
        super().setUp()
        self.watch(self.pullgate.process, *self.world.processes())

    # -- running clients -------------------------------------------------
    def command(self, client, reference, fn, stored=None):
        """Run fn() -> (rc, out, err) as one audited command."""
        self.tail.mark()
        rc, out, err = fn()
        return Run(client, reference, rc, out, err, self.tail.take(), stored)

    def pull(self, client, name, *, all_platforms=False, reference=None):
        reference = reference or self.world.reference(name)
        where = self.world.locations[name][0] if name in self.world.locations else "hub"
        plain = self.world.place(where)[3]
        if client == "docker":
            return self.command(client, reference,
                                lambda: self.docker.pull(reference, timeout=CLIENT_TIMEOUT))
        if client == "ctr":
            return self.command(client, reference, lambda: self.containerd.pull(
                reference, self.pullgate.proxy_url, None if plain else self.pullgate.ca_cert,
                all_platforms=all_platforms, plain_http=plain, timeout=CLIENT_TIMEOUT))
        if client == "podman":
            return self.command(client, reference,
                                lambda: self.podman.pull(reference, timeout=CLIENT_TIMEOUT))
        if client == "skopeo":
            stored = procs.temp_dir(prefix="pullgate-e2e-skopeo-")
            args = ["copy", "--retry-times", "0", "--src-cert-dir", self.podman.cert_dir]
            if all_platforms:
                args.append("--all")
            if plain:
                args.append("--src-tls-verify=false")
            args += [f"docker://{reference}", f"oci:{stored}:pulled"]
            return self.command(client, reference,
                                lambda: self.podman.skopeo(*args, timeout=CLIENT_TIMEOUT), stored)
        raise ValueError(client)

    # -- checks ----------------------------------------------------------
    def expectations(self, name):
        where, repository, tag = self.world.locations[name]
        registry, host, token_host, plain = self.world.place(where)
        category, rule, allowed = hub_world.DECISIONS[name]
        return dict(registry=registry, host=host, token_host=token_host, plain=plain,
                    repository=repository, tag=tag, category=category, rule=rule,
                    allowed=allowed, auth=token_host is not None,
                    listed=registry in self.pullgate.config["policy"]["registries"])

    def check_fields(self, run, name):
        x = self.expectations(name)
        layout = self.world.layouts[name]
        for r in run.records:
            problems = pull_audit.field_problems(
                r, registry=x["registry"], host=x["host"], repository=x["repository"],
                tag=x["tag"], category=x["category"], rule=x["rule"], layout=layout,
                token_host=x["token_host"])
            self.assertEqual(problems, [], f"record {r}\n{run.describe()}")

    def assert_pull_allowed(self, client, name, *, all_platforms=False, token_method="GET",
                            run=None):
        """The pull succeeds, the client holds the image, and the command's
        records are exactly what this client asks for, all allowed (or, in
        audit mode, a would-be denial: decision deny, enforced false)."""
        run = run or self.pull(client, name, all_platforms=all_platforms)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertNotIn("pullgate:", run.output, "an allowed pull shows no pullgate message")
        x = self.expectations(name)
        layout = self.world.layouts[name]
        would_deny = not x["allowed"]
        content = ("deny", False) if would_deny else ("allow", True)
        ping = ("allow", True) if x["listed"] else ("deny", not would_deny)
        expected = pull_audit.allowed_flow(client, layout, auth=x["auth"],
                                           all_platforms=all_platforms, ping_decision=ping,
                                           content_decision=content, token_method=token_method,
                                           plain_http=x["plain"])
        self.assertEqual(pull_audit.as_tuples(run.records), expected, run.describe())
        self.check_fields(run, name)
        self.assert_stored(run, name, all_platforms)
        return run

    def assert_stored(self, run, name, all_platforms):
        reference = run.reference
        layout = self.world.layouts[name]
        if run.client == "docker":
            self.assertIsNotNone(self.docker.image_id(reference), f"docker has {reference}")
        elif run.client == "ctr":
            self.assertIn(reference, self.containerd.images())
        elif run.client == "podman":
            self.assertIn(reference, self.podman.images())
        elif run.client == "skopeo":
            media_type, digest = image.read_layout_top(run.stored)
            self.assertEqual(digest, layout.digest, "skopeo stored the pushed digest")
            image.verify_layout_blobs(run.stored)
            if all_platforms:
                stored = {"sha256:" + n
                          for n in os.listdir(os.path.join(run.stored, "blobs", "sha256"))}
                self.assertEqual(stored, set(layout.blobs), "--all copies every blob")

    def assert_pull_denied(self, client, name, *, run=None):
        """The pull fails, the client shows pullgate's message, and the
        command's records are exactly the refused requests this client
        sends; the token service never saw a request for the repository."""
        x = self.expectations(name)
        token_server = self.world.token_servers.get(self.world.locations[name][0])
        seen_before = len(token_server.requests()) if token_server else 0
        run = run or self.pull(client, name)
        self.assertNotEqual(run.rc, 0, run.describe())
        pattern = deny_pattern(self.world, name, client)
        found = pattern.search(run.output)
        self.assertTrue(found, f"the client's output shows {pattern.pattern}\n{run.describe()}")
        DENY_TEXTS[(type(self).__name__, client, f"pull {name}")] = next(
            line.strip() for line in run.output.splitlines() if "pullgate:" in line)
        layout = self.world.layouts[name]
        self.assertEqual(pull_audit.as_tuples(run.records),
                         pull_audit.denied_flow(client, layout, auth=x["auth"]), run.describe())
        self.check_fields(run, name)
        if token_server:
            asked = [r for r in token_server.requests()[seen_before:]
                     if any(f":{x['repository']}:" in s for s in r["scopes"])]
            self.assertEqual(asked, [], "pullgate let a refused token request through")
        return run
