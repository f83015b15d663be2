"""The attack lab the tests/e2e/test_security_*.py files share.

One throwaway "public" root, a recording upstream (hostile_upstream) that
answers under Docker Hub's names and any extra names over TLS, a plain-HTTP
recording upstream for the same names on port 80, and a pullgate pointed
at them with the ordinary settings (`upstream.resolve`, `upstream.ca_file`)
and small limits, so that every timeout a test provokes is over in
seconds. The upstreams are witnesses: a test asserts what reached them
(or, for a denied or smuggled request, that nothing did).

The policy allows Docker Hub's official images and denies community ones
(the embedded defaults), and lists `acme.test` as a second registry, with
a rule denying `acme.test/denied/*`. `other.test` is a host the lab's
certificate and resolve entries cover but that is no listed registry.

Records are matched to a test's own connection by the audit record's
`client` field ("address:port"), which raw.Conn knows as `.local`, so one
pullgate can serve a whole test file.
"""

import os
import time

from . import hostile_upstream, net, pki, proxy, raw, testing, world

HUB = "registry-1.docker.io"
HUB_NAMES = [HUB, "auth.docker.io", "index.docker.io", "docker.io", "registry.hub.docker.com",
             "production.cloudflare.docker.com", "hub.docker.com"]
EXTRA_NAMES = ["acme.test", "other.test"]

# Small, so the tests that wait for a deadline are quick.
LIMITS = {"connect_timeout": "2s", "handshake_timeout": "2s", "header_timeout": "2s",
          "idle_timeout": "2s", "upstream_timeout": "3s", "drain": "5s"}

ALLOWED = "library/alpine"        # docker.io official: allowed
DENIED = "randomuser/tool"        # docker.io community: denied (docker_hub.community)

DEFAULT_POLICY = {
    "mode": "enforce",
    "registries": ["docker.io", "acme.test"],
    "rules": [{"image": "acme.test/denied/*", "action": "deny", "name": "acme-denied",
               "reason": "not for us"}],
}


def manifest_path(repository, reference):
    return f"/v2/{repository}/manifests/{reference}"


class Lab:
    def __init__(self, workdir, *, policy=None, limits=None, extra_names=(), upstream=None,
                 hub_kwargs=None, start=True, **overrides):
        self.workdir = workdir
        self.ca = pki.CertificateAuthority(os.path.join(workdir, "public-ca"))
        self.names = HUB_NAMES + EXTRA_NAMES + list(extra_names)
        address = net.loopback_address()
        self.hub_cert = self.ca.issue(HUB, dns=self.names, ips=[address], file_stem="hub")
        self.hub = hostile_upstream.Upstream(tls=self.hub_cert, address=address, name="hub",
                                             **(hub_kwargs or {}))
        self.plain = hostile_upstream.Upstream(name="plain-hub", **(hub_kwargs or {}))
        resolve = {f"{n}:443": self.hub.endpoint for n in self.names}
        resolve.update({f"{n}:80": self.plain.endpoint for n in self.names})
        self.config = world.pullgate_config(workdir, ca_file=self.ca.cert_path, resolve=resolve,
                                            policy=dict(policy or DEFAULT_POLICY),
                                            limits=dict(limits or LIMITS), **overrides)
        if upstream:
            self.config["upstream"].update(upstream)
        self.pullgate = proxy.Pullgate(workdir, self.config)
        if start:
            self.pullgate.start()

    def stop(self):
        self.pullgate.stop()
        self.hub.stop()
        self.plain.stop()

    # -- connections -------------------------------------------------------
    @property
    def listen(self):
        return self.pullgate.listen

    def connect(self, **kwargs):
        return raw.connect(*self.listen, **kwargs)

    def tunnel(self, host=HUB, port=443, **kwargs):
        """A TLS tunnel to host:port through pullgate (raw.tunnel)."""
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return raw.tunnel(*self.listen, authority, cafile=self.pullgate.ca_cert, **kwargs)[0]

    def connect_answer(self, authority, **kwargs):
        """Send CONNECT authority; return (Conn, response) without TLS."""
        conn = self.connect(**kwargs)
        conn.send(raw.connect_request(authority))
        return conn, conn.response(head=True)

    # -- audit records -----------------------------------------------------
    def records(self, conn=None, client=None):
        client = client or (conn.local if conn is not None else None)
        since = getattr(conn, "opened", "") if conn is not None else ""
        return [r for r in self.pullgate.audit_records()
                if (client is None or r.get("client") == client) and r.get("time", "") >= since]

    def wait_records(self, conn, count=1, timeout=10, predicate=None):
        """At least `count` records of `conn`'s connection (matching
        `predicate`), in order."""
        def found():
            rs = [r for r in self.records(conn) if predicate is None or predicate(r)]
            return rs if len(rs) >= count else None
        return net.wait_until(found, timeout, f"{count} audit records of {conn.local}",
                              process=self.pullgate.process)

    def settle(self, seconds=0.3):
        """Give the background audit writer a moment, for absence checks."""
        time.sleep(seconds)


# -- the test-case base the security files share ------------------------------


class LabTestCase(testing.SharedWorldTestCase):
    """One Lab per test file (class): `cls.lab`. Subclasses may set
    `lab_options` (keyword arguments for Lab) or override make_lab()."""

    lab_options = {}

    @classmethod
    def make_lab(cls):
        return Lab(cls.shared_tmp, **cls.lab_options)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("openssl")
        cls.lab = cls.make_lab()
        cls.addClassCleanup(cls.lab.stop)

    def setUp(self):
        super().setUp()
        if self.lab.pullgate.process is not None:
            self.watch(self.lab.pullgate.process)

    # -- sending ------------------------------------------------------------
    def open(self, tunnel_host=None, **kwargs):
        """A plain connection to the proxy, or a TLS tunnel to
        `tunnel_host` through it; closed when the test ends."""
        conn = self.lab.tunnel(tunnel_host, **kwargs) if tunnel_host else self.lab.connect(**kwargs)
        self.addCleanup(conn.close)
        return conn

    def exchange(self, data, tunnel_host=None, head=False, timeout=8):
        """Send `data` on a new connection (plain, or inside a tunnel to
        `tunnel_host`) and read one response (None if closed first)."""
        conn = self.open(tunnel_host)
        conn.send(data)
        return conn, conn.response(head=head, timeout=timeout)

    # -- checking -----------------------------------------------------------
    def assert_refused(self, response, status, conn=None, rule=None, decision="deny",
                       closes=None):
        """`response` has `status` and a pullgate reason phrase; with
        `conn`, its one audit record says the same (and names `rule`);
        with closes=True the connection is then closed. `rule` may be a
        tuple of rules, any of which may decide."""
        self.assertIsNotNone(response, "pullgate closed the connection without an answer")
        self.assertEqual(response.status, status, response)
        self.assertTrue(response.reason.startswith("pullgate: "), response.reason)
        record = None
        if conn is not None:
            record = self.lab.wait_records(conn, 1)[-1]
            self.assertEqual(record["status"], status, record)
            self.assertEqual(record["decision"], decision, record)
            if isinstance(rule, tuple):
                self.assertIn(record["rule"], rule, record)
            elif rule:
                self.assertEqual(record["rule"], rule, record)
        if closes:
            self.assertTrue(conn.closed_within(3), "pullgate kept the connection open")
        return record

    def assert_not_forwarded(self, marker, upstream=None):
        """Nothing carrying `marker` reached the upstream(s)."""
        self.lab.settle(0.2)
        for u in ([upstream] if upstream else [self.lab.hub, self.lab.plain]):
            self.assertFalse(u.saw(marker), f"{marker!r} reached {u.name}")

    def assert_still_serving(self):
        """pullgate is up and an allowed request goes through."""
        self.assertTrue(self.lab.pullgate.process.running(),
                        f"pullgate exited with {self.lab.pullgate.process.returncode()}:\n"
                        f"{self.lab.pullgate.log()[-2000:]}")
        conn = self.open(HUB)
        conn.send(raw.request_bytes("GET", manifest_path(ALLOWED, "alive"), HUB))
        response = conn.response()
        self.assertIsNotNone(response)
        self.assertEqual(response.status, 200, response)
