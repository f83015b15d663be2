#!/usr/bin/env python3
"""The admin listener (issue 6, "Metrics and health"): /healthz answers while
the process lives, /readyz is 200 when serving and 503 while draining,
/ca.crt is the CA file byte for byte, /metrics is valid Prometheus text
(tests/tools/promcheck.py) whose counts move with real pulls and agree with
the audit log, and /proxy.pac sends registry hosts through pullgate, which
node evaluates like a browser or Docker Desktop would when it is installed."""

import copy
import http.client
import importlib.util
import json
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, image, net, procs, proxy, testing, world  # noqa: E402

SOURCE_ROOT = os.environ.get("SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PROMCHECK = os.path.join(SOURCE_ROOT, "tests", "tools", "promcheck.py")
PAC_TYPE = "application/x-ns-proxy-autoconfig"
BIG = 24 * 1024 * 1024

# metrics.hpp's families: every scrape names all of them, samples or not.
FAMILIES = {
    "pullgate_build_info": "gauge",
    "process_start_time_seconds": "gauge",
    "pullgate_requests_total": "counter",
    "pullgate_response_bytes_total": "counter",
    "pullgate_relayed_bytes_total": "counter",
    "pullgate_config_reloads_total": "counter",
    "pullgate_client_connections": "gauge",
    "pullgate_upstream_connections": "gauge",
    "pullgate_tls_handshake_seconds": "histogram",
    "pullgate_upstream_connect_seconds": "histogram",
    "pullgate_certificate_cache_hits_total": "counter",
    "pullgate_certificate_cache_misses_total": "counter",
}


def _load_promcheck():
    spec = importlib.util.spec_from_file_location("promcheck", PROMCHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


promcheck = _load_promcheck()


def admin_request(pullgate, method, path, headers=None):
    """(status, headers dict with lower-case names, body) from the admin
    listener, for what proxy.http_get does not show."""
    address, port = proxy.split_address(pullgate.config["admin"])
    c = http.client.HTTPConnection(address, port, timeout=5)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


class Scrape:
    """One /metrics text: validated by promcheck.py, then its samples by
    (name, frozenset of labels)."""

    def __init__(self, text):
        self.text = text
        self.types = {}
        self.samples = {}
        for number, line in enumerate(text.decode("utf-8").splitlines(), 1):
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.types[name] = kind
            elif line and not line.startswith("#"):
                s = promcheck.parse_sample(line, number)
                self.samples[(s.name, frozenset(s.labels))] = s.value

    def value(self, name, **labels):
        """The sample with exactly these labels (0 when absent: a counter
        series appears at its first increment)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name, **labels):
        """Sum over every series of `name` whose labels include these."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and want <= set(ls))


def scrape(pullgate):
    status, body = pullgate.admin_get("/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}")
    checked = procs.run([sys.executable, PROMCHECK, "-"], 30, input=body, check=False,
                        text=False)
    if checked.returncode != 0:
        raise AssertionError("promcheck rejected /metrics: "
                             + checked.stderr.decode("utf-8", "replace"))
    return Scrape(body)


def settled_audit(pullgate, timeout=10):
    """The audit records once the file has stopped growing for a moment
    (records are written by a background thread after each response)."""
    last, stable_since = None, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = pullgate.audit_records()
        if len(records) != last:
            last, stable_since = len(records), time.monotonic()
        elif time.monotonic() - stable_since > 0.5:
            return records
        time.sleep(0.05)
    raise AssertionError(f"{pullgate.audit_path} kept growing for {timeout}s")


PAC_RUNNER = r"""
// Evaluates a PAC file the way a PAC host does: the standard helper
// functions in scope, FindProxyForURL(url, host) called per URL.
const vm = require("vm");
const fs = require("fs");
const [pac, cases] = [fs.readFileSync(process.argv[2], "utf8"), JSON.parse(process.argv[3])];
const helpers = {
  dnsDomainIs: (host, domain) => host.length >= domain.length &&
      host.substring(host.length - domain.length) === domain,
  isPlainHostName: (host) => host.indexOf(".") < 0,
  localHostOrDomainIs: (host, hostdom) =>
      host === hostdom || hostdom.lastIndexOf(host + ".", 0) === 0,
  shExpMatch: (s, glob) => new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*").replace(/\?/g, ".") + "$").test(s),
  isInNet: () => false, dnsResolve: () => null, myIpAddress: () => "127.0.0.1",
  dnsDomainLevels: (host) => host.split(".").length - 1,
};
const context = vm.createContext(helpers);
vm.runInContext(pac, context, {timeout: 1000});
const out = {};
for (const [url, host] of cases) out[url] = context.FindProxyForURL(url, host);
process.stdout.write(JSON.stringify(out));
"""


class TheAdminListenerServesHealthMetricsCaAndPac(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("curl", "skopeo", "docker-registry", "openssl")
        tmp = cls.shared_tmp
        cls.world = world.World(tmp)
        cls.addClassCleanup(cls.world.stop)
        cls.alpine = image.make_image(os.path.join(tmp, "alpine"), tag="3.19",
                                      layer_size=100_000)
        image.push_direct(cls.alpine, cls.world.hub, "library/alpine",
                          cert_dir=cls.world.public_cert_dir, workdir=tmp)
        big = os.path.join(tmp, "big.bin")
        cls.big_digest = image.random_file(big, BIG)
        cls.world.hub.upload_blob("library/big", big, cls.big_digest)
        os.remove(big)

    def start(self, **overrides):
        return self.stop_later(self.world.start_pullgate(self.tmp, **overrides))

    def skopeo_pull(self, pullgate, reference, check=True):
        out = os.path.join(self.tmp, f"pulled-{time.monotonic_ns()}")
        return image.skopeo_copy(f"docker://{reference}", f"oci:{out}:x", workdir=self.tmp,
                                 proxy_url=pullgate.proxy_url, src_cert_dir=pullgate.cert_dir(),
                                 check=check)

    # -- health and readiness ------------------------------------------
    def test_healthz_and_readyz_answer_200_and_anything_else_is_refused(self):
        pullgate = self.start()
        self.assertEqual(pullgate.admin_get("/healthz"), (200, b"ok\n"))
        self.assertEqual(pullgate.admin_get("/readyz"), (200, b"ready\n"))
        self.assertEqual(pullgate.admin_get("/readyz?verbose=1")[0], 200,
                         "a query string does not change the route")
        self.assertEqual(pullgate.admin_get("/nothing-here")[0], 404)
        status, headers, body = admin_request(pullgate, "HEAD", "/healthz")
        self.assertEqual((status, body), (200, b""), "HEAD: the headers, no body")
        self.assertEqual(admin_request(pullgate, "POST", "/readyz")[0], 405)
        self.assertEqual(admin_request(pullgate, "DELETE", "/metrics")[0], 405)

    def test_readyz_is_503_while_draining_and_healthz_stays_200(self):
        pullgate = self.start()
        received = os.path.join(self.tmp, "big.bin")
        # Rate-limited so that the drain lasts about four seconds.
        download = self.stop_later(procs.Process(
            ["curl", "-sS", "--fail", "--max-time", "60", "--limit-rate", "6M",
             "--proxy", pullgate.proxy_url, "--cacert", pullgate.ca_cert, "-o", received,
             f"https://{world.HUB}/v2/library/big/blobs/{self.big_digest}"],
            name="curl", log_dir=self.tmp))
        net.wait_until(lambda: os.path.exists(received) and os.path.getsize(received) > 2 << 20,
                       20, "the download to be under way", process=download)
        self.assertEqual(scrape(pullgate).value("pullgate_client_connections"), 1,
                         "the gauge counts the download's connection")
        pullgate.send_signal(signal.SIGTERM)
        net.wait_until(lambda: pullgate.admin_get("/readyz")[0] == 503, 5,
                       "/readyz to answer 503 once draining starts", process=pullgate.process)
        self.assertTrue(download.running(), "the drain began with the download in flight")
        self.assertEqual(pullgate.admin_get("/readyz"), (503, b"not ready\n"))
        self.assertEqual(pullgate.admin_get("/healthz"), (200, b"ok\n"),
                         "a draining process is alive: no liveness restart")
        self.assertEqual(download.wait(60), 0, download.log_tail())
        self.assertEqual("sha256:" + image.sha256_file(received), self.big_digest)
        self.assertEqual(pullgate.wait(30), 0)

    # -- the CA --------------------------------------------------------
    def test_ca_crt_is_the_ca_file_byte_for_byte(self):
        pullgate = self.start()
        status, headers, body = admin_request(pullgate, "GET", "/ca.crt")
        with open(pullgate.ca_cert, "rb") as f:
            self.assertEqual((status, body), (200, f.read()))
        self.assertEqual(headers["content-type"], "application/x-pem-file")
        # What a client downloads from there is what its TLS must trust: a
        # pull that trusts only the downloaded file succeeds.
        downloaded = os.path.join(self.tmp, "downloaded-ca.crt")
        with open(downloaded, "wb") as f:
            f.write(body)
        result = clients.curl(f"https://{world.HUB}/v2/", workdir=os.path.join(self.tmp, "c"),
                              proxy=pullgate.proxy_url, cacert=downloaded)
        self.assertEqual(result.exit_code, 0, result)

    # -- metrics ---------------------------------------------------------
    def test_metrics_is_valid_prometheus_text_with_every_family(self):
        pullgate = self.start()
        status, headers, _ = admin_request(pullgate, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"),
                        headers["content-type"])
        metrics = scrape(pullgate)
        for name, kind in FAMILIES.items():
            with self.subTest(family=name):
                self.assertEqual(metrics.types.get(name), kind)
        version = proxy.run_cli("--version", check=True).stdout.split()[-1]
        self.assertEqual(metrics.value("pullgate_build_info", version=version), 1)
        started = metrics.value("process_start_time_seconds")
        self.assertLess(abs(started - time.time()), 120, "start time is seconds since the epoch")
        for name in ("pullgate_tls_handshake_seconds", "pullgate_upstream_connect_seconds"):
            self.assertEqual(metrics.value(name + "_bucket", le="+Inf"),
                             metrics.value(name + "_count"))

    def test_counts_move_with_pulls_and_agree_with_the_audit_log(self):
        pullgate = self.start()
        before = scrape(pullgate)
        self.assertEqual(before.total("pullgate_requests_total"), 0)
        self.skopeo_pull(pullgate, "docker.io/library/alpine:3.19")
        denied = self.skopeo_pull(pullgate, "docker.io/randomuser/tool:1", check=False)
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("docker_hub.community", denied.stderr)
        records = settled_audit(pullgate)
        after = scrape(pullgate)

        self.assertEqual(after.total("pullgate_requests_total"), len(records),
                         "one request count per audit record")
        for decision in ("allow", "deny"):
            self.assertEqual(after.total("pullgate_requests_total", decision=decision),
                             sum(r["decision"] == decision for r in records), decision)
        allowed = {"registry": "docker.io", "action": "pull", "category": "official",
                   "decision": "allow", "enforced": "true"}
        manifests = [r for r in records if r["kind"] == "manifest" and r["decision"] == "allow"]
        blobs = [r for r in records if r["kind"] == "blob" and r["decision"] == "allow"]
        self.assertEqual(after.value("pullgate_requests_total", kind="manifest", **allowed),
                         len(manifests))
        self.assertEqual(after.value("pullgate_requests_total", kind="blob", **allowed),
                         len(blobs))
        self.assertGreaterEqual(len(blobs), 2, "config and layer")
        self.assertGreaterEqual(after.total("pullgate_requests_total", category="community",
                                            decision="deny", enforced="true"), 1)
        self.assertEqual(after.value("pullgate_response_bytes_total", registry="docker.io"),
                         sum(r["bytes"] for r in records if r["registry"] == "docker.io"))
        self.assertGreaterEqual(after.value("pullgate_relayed_bytes_total", direction="client"),
                                sum(self.alpine.blobs.values()) - self.alpine.blobs[
                                    self.alpine.digest],
                                "at least the image's config and layer went to the client")
        self.assertGreater(after.value("pullgate_tls_handshake_seconds_count"),
                           before.value("pullgate_tls_handshake_seconds_count"))
        self.assertGreater(after.value("pullgate_upstream_connect_seconds_count"),
                           before.value("pullgate_upstream_connect_seconds_count"))
        hits = after.value("pullgate_certificate_cache_hits_total")
        misses = after.value("pullgate_certificate_cache_misses_total")
        self.assertGreaterEqual(misses, 1, "the first connection to a host mints its leaf")
        self.assertGreaterEqual(hits + misses,
                                after.value("pullgate_tls_handshake_seconds_count"),
                                "every handshake took a leaf from the cache or minted one")
        net.wait_until(lambda: scrape(pullgate).value("pullgate_client_connections") == 0, 10,
                       "the client connection gauge to return to 0 after the clients left")

    def test_an_upstream_connection_is_reused_then_closed_at_its_idle_timeout(self):
        # One I/O thread: the pool is per thread, and both clients must
        # meet the same one.
        pullgate = self.start(threads=1, limits={"upstream_idle_timeout": "2s"})
        url = f"https://{world.HUB}/v2/library/alpine/manifests/3.19"
        for _ in range(2):  # two clients, one after the other
            result = clients.curl(url, workdir=os.path.join(self.tmp, "curl"),
                                  proxy=pullgate.proxy_url, cacert=pullgate.ca_cert,
                                  headers=["Accept: " + image.MANIFEST])
            self.assertEqual(result.status, 200, result)
        pooled = scrape(pullgate)
        self.assertEqual(pooled.value("pullgate_upstream_connect_seconds_count"), 1,
                         "the second client's CONNECT reused the first one's upstream")
        self.assertEqual(pooled.value("pullgate_upstream_connections"), 1,
                         "the upstream connection waits in the pool")
        started = time.monotonic()
        net.wait_until(lambda: scrape(pullgate).value("pullgate_upstream_connections") == 0, 10,
                       "the pooled upstream connection to close at upstream_idle_timeout")
        self.assertGreater(time.monotonic() - started, 0.5,
                           "closed at its idle timeout, not at once")

    def test_configuration_reloads_are_counted_by_outcome(self):
        pullgate = self.start()
        config = copy.deepcopy(pullgate.config)
        config["policy"]["registries"] = ["docker.io", "ghcr.io"]
        pullgate.reload(config)
        pullgate.wait_for_log("configuration reloaded")
        pullgate.write_raw_config("policy:\n  registires: [docker.io]\n")
        pullgate.send_signal(signal.SIGHUP)
        pullgate.wait_for_log("rejected")
        metrics = scrape(pullgate)
        self.assertEqual(metrics.value("pullgate_config_reloads_total", outcome="success"), 1)
        self.assertEqual(metrics.value("pullgate_config_reloads_total", outcome="failure"), 1)

    # -- the PAC file ------------------------------------------------------
    def evaluate_pac(self, pac, hosts):
        """{url: FindProxyForURL(url, host)} for each host (https, port 443),
        evaluated by node; None when node is not installed."""
        node = shutil.which("node") or shutil.which("nodejs")
        if node is None:
            return None
        path = os.path.join(self.tmp, "proxy.pac")
        with open(path, "wb") as f:
            f.write(pac)
        runner = os.path.join(self.tmp, "pac-runner.js")
        with open(runner, "w") as f:
            f.write(PAC_RUNNER)
        cases = [[f"https://{h}:443/v2/", h] for h in hosts]
        out = procs.run([node, runner, path, json.dumps(cases)], 30).stdout
        return {url.split("/")[2].rsplit(":", 1)[0]: answer
                for url, answer in json.loads(out).items()}

    def test_proxy_pac_sends_registry_hosts_through_pullgate_and_the_rest_direct(self):
        policy = {"registries": ["docker.io", "ghcr.io", "registry.corp.example:5000",
                                 "*.mirror.example"]}
        pullgate = self.start(policy=policy)
        status, headers, pac = admin_request(pullgate, "GET", "/proxy.pac")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], PAC_TYPE)
        address, port = pullgate.listen
        through = f"PROXY {address}:{port}"
        text = pac.decode("ascii")
        self.assertIn("function FindProxyForURL(url, host)", text)
        self.assertIn(f'"{through}"', text)
        via_proxy = ["docker.io", "registry-1.docker.io", "index.docker.io", "auth.docker.io",
                     "registry.hub.docker.com", "production.cloudflare.docker.com",
                     "abc123.r2.cloudflarestorage.com", "ghcr.io", "GHCR.IO",
                     "registry.corp.example", "eu.mirror.example"]
        direct = ["example.com", "github.com", "ghcr.io.evil.example", "mirror.example",
                  "notdocker.io", "hub.docker.com"]
        answers = self.evaluate_pac(pac, via_proxy + direct)
        if answers is None:  # no JavaScript engine: the text must name every host
            for host in via_proxy[:8] + ["ghcr.io", "registry.corp.example"]:
                self.assertIn(f'"{host.lower()}"', text)
            self.assertIn('return "DIRECT";', text)
            return
        for host in via_proxy:
            with self.subTest(host=host):
                self.assertEqual(answers[host], through)
        for host in direct:
            with self.subTest(host=host):
                self.assertEqual(answers[host], "DIRECT")

    def test_proxy_pac_sends_everything_through_pullgate_when_other_hosts_are_denied(self):
        pullgate = self.start(policy={"registries": ["docker.io"],
                                      "other_hosts": {"action": "deny",
                                                      "allow": ["*.docker.com"]}})
        status, _, pac = admin_request(pullgate, "GET", "/proxy.pac")
        self.assertEqual(status, 200)
        address, port = pullgate.listen
        answers = self.evaluate_pac(pac, ["registry-1.docker.io", "example.com",
                                          "desktop.docker.com"])
        if answers is None:
            self.assertNotIn("DIRECT", pac.decode("ascii"))
            return
        self.assertEqual(set(answers.values()), {f"PROXY {address}:{port}"},
                         "pullgate is the egress allow-list: it must see every host")

    def test_proxy_pac_on_a_wildcard_listener_names_the_host_the_client_used(self):
        # A container or a shared gateway listens on 0.0.0.0; the PAC file
        # must then name the address clients reached the admin listener by.
        address = net.loopback_address()
        port = net.free_port(address)
        pullgate = self.start(listen=f"0.0.0.0:{port}")
        status, _, pac = admin_request(pullgate, "GET", "/proxy.pac",
                                       headers={"Host": "pullgate.corp.example:9128"})
        self.assertEqual(status, 200)
        self.assertIn(f'"PROXY pullgate.corp.example:{port}"', pac.decode("ascii"))
        answers = self.evaluate_pac(pac, ["registry-1.docker.io"])
        if answers is not None:
            self.assertEqual(answers["registry-1.docker.io"], f"PROXY pullgate.corp.example:{port}")


if __name__ == "__main__":
    testing.main()
