#!/usr/bin/env python3
"""Scale-out (issue 6, "Scale-out gateway"): Debian's HAProxy in TCP mode in
front of three pullgate processes that share one CA and one policy, each
with its own audit log. Concurrent skopeo pulls through HAProxy succeed or
are denied alike whichever replica serves them, and all three serve some.
A replica stopped with SIGTERM mid-download finishes that download (the
blob arrives intact), reports 503 on /readyz so HAProxy takes it out, and
the pulls that follow go to the other two."""

import collections
import itertools
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import image, net, procs, proxy, testing, world  # noqa: E402

BIG = 64 * 1024 * 1024
_pulls = itertools.count()  # names each pull's output layout; next() is atomic in CPython
REPLICAS = 3
# One policy for all replicas, with a decision of every kind: official,
# organization, a rule, and community (denied).
POLICY = {
    "registries": ["docker.io"],
    "docker_hub": {"organizations": ["acme"], "community": False},
    "rules": [{"image": "docker.io/library/*:latest", "name": "pin-a-tag", "action": "deny",
               "reason": "pin a version tag or digest"}],
}
ALLOWED = {"docker.io/library/alpine:3.19": "docker_hub.official",
           "docker.io/acme/app:1": "docker_hub.organizations"}
DENIED = {"docker.io/randomuser/tool:1": "docker_hub.community",
          "docker.io/library/alpine:latest": "pin-a-tag"}

HAPROXY_CONFIG = """\
global
    maxconn 256
    stats socket {socket} mode 600 level admin

defaults
    mode tcp
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    # A replica that has stopped listening refuses the connection: try
    # another one at once instead of failing the client.
    retries 2
    option redispatch 1
    default-server inter 200ms fastinter 100ms fall 1 rise 1

frontend pullgate
    bind {bind}
    default_backend replicas

backend replicas
    balance roundrobin
    # /readyz turns 503 the moment a replica starts draining.
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
{servers}
"""


class HAProxy:
    """`haproxy -db` (foreground) with the configuration above; its stats
    socket tells which servers it considers up."""

    def __init__(self, workdir, replicas):
        self.workdir = os.path.join(workdir, "haproxy")
        os.makedirs(self.workdir, exist_ok=True)
        self.address = net.loopback_address()
        self.port = net.free_port(self.address)
        # A UNIX socket path has at most 107 bytes: keep it short whatever
        # TMPDIR is.
        self.socket_dir = tempfile.mkdtemp(prefix="pghap-", dir="/tmp")
        self.socket_path = os.path.join(self.socket_dir, "stats.sock")
        servers = []
        for n, r in enumerate(replicas):
            listen_address, listen_port = r.listen
            admin_address, admin_port = proxy.split_address(r.config["admin"])
            servers.append(f"    server {r.name} {listen_address}:{listen_port} check "
                           f"addr {admin_address} port {admin_port}")
        self.config_path = os.path.join(self.workdir, "haproxy.cfg")
        with open(self.config_path, "w") as f:
            f.write(HAPROXY_CONFIG.format(socket=self.socket_path,
                                          bind=f"{self.address}:{self.port}",
                                          servers="\n".join(servers)))
        self.process = None

    @property
    def url(self):
        return f"http://{self.address}:{self.port}"

    def start(self, expect_up):
        procs.run(["haproxy", "-c", "-f", self.config_path], 30)
        self.process = procs.Process(["haproxy", "-db", "-f", self.config_path], name="haproxy",
                                     log_dir=self.workdir)
        net.wait_for_port(self.address, self.port, 20, process=self.process)
        net.wait_until(lambda: self.server_states() and
                       all(s == "UP" for s in self.server_states().values()) and
                       len(self.server_states()) == expect_up,
                       20, "HAProxy to see every replica UP", process=self.process)
        return self

    def stop(self):
        if self.process:
            self.process.stop()
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def command(self, text):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.socket_path)
            s.sendall(text.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_states(self):
        """{server name: "UP" / "DOWN" / …} for the backend, from `show stat`."""
        try:
            lines = self.command("show stat").splitlines()
        except OSError:
            return {}
        if not lines:
            return {}
        header = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("pxname") == "replicas" and row.get("svname") not in ("BACKEND", None):
                states[row["svname"]] = row["status"].split()[0]
        return states


def client_connections(replica):
    status, body = replica.admin_get("/metrics")
    if status != 200:
        return None
    m = re.search(rb"^pullgate_client_connections (\d+)$", body, re.M)
    return int(m.group(1)) if m else None


class ThreeReplicasBehindHAProxy(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("haproxy", "curl", "skopeo", "docker-registry", "openssl")
        tmp = cls.shared_tmp
        cls.world = world.World(tmp)
        cls.addClassCleanup(cls.world.stop)
        cls.images = {}
        for reference, repository, tag in (("docker.io/library/alpine:3.19", "library/alpine",
                                             "3.19"),
                                            ("docker.io/acme/app:1", "acme/app", "1")):
            layout = image.make_image(os.path.join(tmp, repository.replace("/", "-")), tag=tag,
                                      layer_size=200_000)
            image.push_direct(layout, cls.world.hub, repository,
                              cert_dir=cls.world.public_cert_dir, workdir=tmp)
            cls.images[reference] = layout
        big = os.path.join(tmp, "big.bin")
        cls.big_digest = image.random_file(big, BIG)
        cls.world.hub.upload_blob("library/big", big, cls.big_digest)
        os.remove(big)
        # One organization CA for every replica, made once, as an operator
        # would before mounting it into each of them.
        cls.ca_dir = os.path.join(tmp, "shared-ca")
        proxy.run_cli("ca", "init", "--dir", cls.ca_dir, check=True)

    def setUp(self):
        super().setUp()
        tls = {"ca_cert": os.path.join(self.ca_dir, "ca.crt"),
               "ca_key": os.path.join(self.ca_dir, "ca.key")}
        self.replicas = []
        for n in range(REPLICAS):
            config = self.world.pullgate_config(self.tmp, name=f"pg{n}", tls=tls, policy=POLICY)
            config["limits"]["drain"] = "30s"
            self.replicas.append(self.stop_later(proxy.Pullgate(self.tmp, config,
                                                                name=f"pg{n}").start()))
        self.haproxy = self.stop_later(HAProxy(self.tmp, self.replicas).start(REPLICAS))
        self.cert_dir = self.replicas[0].cert_dir()

    def pull(self, reference):
        out = os.path.join(self.tmp, f"pulled-{next(_pulls)}")
        return image.skopeo_copy(f"docker://{reference}", f"oci:{out}:x", workdir=self.tmp,
                                 proxy_url=self.haproxy.url, src_cert_dir=self.cert_dir,
                                 check=False, timeout=90), out

    def pull_concurrently(self, references):
        """skopeo copies of `references`, all at once; [(reference, result,
        output layout)] in the same order."""
        results = [None] * len(references)

        def one(i):
            results[i] = (references[i], *self.pull(references[i]))
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(references))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertTrue(all(results), "every pull finished")
        return results

    def check_outcomes(self, results):
        for reference, result, out in results:
            with self.subTest(reference=reference):
                if reference in ALLOWED:
                    self.assertEqual(result.returncode, 0, result.stderr)
                    self.assertEqual(image.read_layout_top(out)[1],
                                     self.images[reference].digest)
                else:
                    self.assertNotEqual(result.returncode, 0)
                    self.assertIn(f"(rule: {DENIED[reference]})", result.stderr)

    def records(self, replica):
        return [r for r in replica.audit_records() if r.get("kind") != "connect"]

    def settled_records(self, replicas, timeout=10):
        """Each replica's records once no log has grown for half a second."""
        last, stable_since = None, time.monotonic()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = [len(r.audit_records()) for r in replicas]
            if counts != last:
                last, stable_since = counts, time.monotonic()
            elif time.monotonic() - stable_since > 0.5:
                break
            time.sleep(0.05)
        return {r.name: self.records(r) for r in replicas}

    def assert_consistent(self, by_replica):
        """Every (image, kind) was decided the same way, by the same rule,
        on every replica that saw it; and as the policy says."""
        decisions = collections.defaultdict(set)
        for name, records in by_replica.items():
            for r in records:
                self.assertEqual(proxy.audit_shape_problems(r), [], r)
                if r["kind"] in ("manifest", "blob", "token"):
                    decisions[(r["repository"], r["reference"], r["kind"])].add(
                        (r["decision"], r["rule"], r["status"], name))
        for key, seen in decisions.items():
            with self.subTest(request=key):
                self.assertEqual(len({s[:3] for s in seen}), 1,
                                 f"replicas disagree on {key}: {sorted(seen)}")
        tags = {(r["image"], r["decision"], r["rule"]) for rs in by_replica.values()
                for r in rs if r["kind"] == "manifest" and r["image"] in {**ALLOWED, **DENIED}}
        for reference, rule in ALLOWED.items():
            self.assertIn((reference, "allow", rule), tags)
        for reference, rule in DENIED.items():
            self.assertIn((reference, "deny", rule), tags)
        self.assertFalse(any(d == "deny" for rs in by_replica.values() for r in rs
                             for d in [r["decision"]] if r["image"] in ALLOWED),
                         "no replica denied an allowed image")

    def test_concurrent_pulls_through_haproxy_are_decided_alike_on_every_replica(self):
        references = [*ALLOWED, *DENIED] * 2
        results = self.pull_concurrently(references)
        self.check_outcomes(results)
        by_replica = self.settled_records(self.replicas)
        for name, records in by_replica.items():
            self.assertTrue(records, f"{name} served none of {len(references)} pulls: "
                                     "HAProxy did not spread the connections")
        self.assert_consistent(by_replica)
        # The explain command agrees with what the replicas did.
        for reference, rule in {**ALLOWED, **DENIED}.items():
            for replica in self.replicas:
                out = proxy.run_cli("explain", "--config", replica.config_path, reference)
                self.assertEqual(out.returncode, 0 if reference in ALLOWED else 3, out.stdout)
                self.assertIn(rule, out.stdout)

    def test_a_replica_stopped_mid_download_drains_it_and_new_pulls_go_to_the_others(self):
        received = os.path.join(self.tmp, "big.bin")
        # Rate-limited: the download lasts about eight seconds.
        download = self.stop_later(procs.Process(
            ["curl", "-sS", "--fail", "--max-time", "90", "--limit-rate", "8M",
             "--proxy", self.haproxy.url, "--cacert", self.replicas[0].ca_cert, "-o", received,
             f"https://{world.HUB}/v2/library/big/blobs/{self.big_digest}"],
            name="curl", log_dir=self.tmp))
        net.wait_until(lambda: os.path.exists(received) and os.path.getsize(received) > 4 << 20,
                       20, "the download to be under way", process=download)
        carrying = [r for r in self.replicas if client_connections(r) == 1]
        self.assertEqual(len(carrying), 1, "exactly one replica carries the download")
        draining = carrying[0]
        others = [r for r in self.replicas if r is not draining]
        marks = {r.name: len(r.audit_records()) for r in others}

        draining.send_signal(signal.SIGTERM)
        net.wait_until(lambda: self.haproxy.server_states().get(draining.name) == "DOWN", 10,
                       f"HAProxy to take {draining.name} out (its /readyz is 503)",
                       process=self.haproxy.process)
        self.assertTrue(download.running(), "the download is still in flight")

        references = [*ALLOWED, *DENIED]
        results = self.pull_concurrently(references)
        self.check_outcomes(results)
        self.assertTrue(download.running() or download.returncode() == 0,
                        "the in-flight download was not cut off")
        self.assertEqual(download.wait(60), 0, download.log_tail())
        self.assertEqual(os.path.getsize(received), BIG)
        self.assertEqual("sha256:" + image.sha256_file(received), self.big_digest)
        self.assertEqual(draining.wait(30), 0, "the drained replica exits 0")

        drained_records = self.records(draining)
        self.assertEqual([(r["kind"], r["status"], r["bytes"]) for r in drained_records],
                         [("blob", 200, BIG)],
                         f"{draining.name} served the download and nothing after SIGTERM")
        by_replica = self.settled_records(others)
        new = {name: records[marks[name]:] for name, records in by_replica.items()}
        self.assertTrue(any(new.values()), "the pulls after SIGTERM went to the other replicas")
        self.assert_consistent(new)
        self.assertEqual(sorted(self.haproxy.server_states().values()), ["DOWN", "UP", "UP"])


if __name__ == "__main__":
    testing.main()
