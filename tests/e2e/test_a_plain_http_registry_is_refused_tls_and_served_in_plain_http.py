#!/usr/bin/env python3
"""An upstream that speaks plain HTTP: pullgate answers the CONNECT 200 and
then fails the client's TLS handshake with an alert (never a blind tunnel),
which is what makes docker and skopeo fall back to plain HTTP; that plain
HTTP then comes through pullgate as absolute-form requests, decided and
logged like every other request (issue 2)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, image, proxy, testing, world  # noqa: E402
from harness.registry import Registry  # noqa: E402

PLAIN = "registry.plain.test"
UNLISTED = "registry.other.test"


class APlainHttpRegistryIsRefusedTlsAndServedInPlainHttp(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("curl", "openssl", "skopeo", "docker-registry")
        tmp = cls.shared_tmp
        cls.registry = Registry(tmp, name="plain-registry").start()
        cls.addClassCleanup(cls.registry.stop)
        port = cls.registry.port
        cls.plain = f"{PLAIN}:{port}"
        cls.unlisted = f"{UNLISTED}:{port}"
        cls.app = image.make_image(os.path.join(tmp, "app"), tag="1")
        image.skopeo_copy(cls.app.reference, f"docker://{cls.registry.endpoint}/acme/app:1",
                          workdir=tmp, extra=["--dest-tls-verify=false"])
        config = world.pullgate_config(
            tmp, resolve={cls.plain: cls.registry.endpoint, cls.unlisted: cls.registry.endpoint},
            policy={"registries": ["docker.io", cls.plain]})
        cls.pullgate = proxy.Pullgate(tmp, config).start()
        cls.addClassCleanup(cls.pullgate.stop)

    def setUp(self):
        super().setUp()
        self.watch(self.pullgate.process)

    def curl(self, url, **kwargs):
        return clients.curl(url, workdir=os.path.join(self.tmp, "curl"),
                            proxy=self.pullgate.proxy_url, **kwargs)

    def test_curl_gets_the_connect_answered_200_and_then_a_tls_alert(self):
        result = self.curl(f"https://{self.plain}/v2/", cacert=self.pullgate.ca_cert)
        self.assertEqual(result.connect_status, 200, result)
        self.assertEqual(result.exit_code, 35, f"curl: TLS connect error expected: {result}")
        self.assertIn("alert handshake failure", result.stderr)
        self.assertEqual(result.status_lines(), ["HTTP/1.1 200 Connection established"])
        record = self.pullgate.wait_for_audit(
            lambda r: r.get("kind") == "connect" and r.get("host") == PLAIN,
            what="the CONNECT record")[-1]
        self.assertEqual(proxy.audit_shape_problems(record), [])
        self.assertEqual((record["method"], record["status"]), ("CONNECT", 200))

    def test_openssl_s_client_sees_the_same_alert(self):
        # s_client sends `CONNECT host:port HTTP/1.0` with no Host header,
        # which HTTP/1.0 allows (RFC 9112 3.2 requires Host of HTTP/1.1
        # requests only).
        code, output = clients.s_client(f"{self.pullgate.listen[0]}:{self.pullgate.listen[1]}",
                                        PLAIN, self.registry.port, cafile=self.pullgate.ca_cert)
        self.assertNotIn("HTTP CONNECT failed", output)
        self.assertNotEqual(code, 0, output)
        self.assertIn("alert handshake failure", output)

    def test_absolute_form_http_to_the_listed_registry_is_relayed_and_logged(self):
        result = self.curl(f"http://{self.plain}/v2/")
        self.assertEqual((result.exit_code, result.status), (0, 200), result)
        self.assertEqual(json.loads(result.body), {})
        self.assertIn("registry/2.0", result.header("Docker-Distribution-Api-Version") or "")
        record = self.pullgate.wait_for_audit(
            lambda r: r.get("kind") == "ping" and r.get("host") == PLAIN, what="the ping record")
        record = record[-1]
        self.assertEqual(proxy.audit_shape_problems(record), [])
        self.assertEqual((record["method"], record["registry"], record["decision"],
                          record["status"]), ("GET", self.plain, "allow", 200))

    def test_absolute_form_http_to_an_unlisted_registry_is_denied_with_the_oci_error(self):
        result = self.curl(f"http://{self.unlisted}/v2/acme/app/manifests/1")
        self.assertEqual(result.status, 403, result)
        body = json.loads(result.body)
        message = body["errors"][0]["message"]
        self.assertEqual(body["errors"][0]["code"], "DENIED")
        self.assertTrue(message.startswith("pullgate: "), message)
        self.assertIn(UNLISTED, message)
        self.assertIn("(rule: registries)", message)
        self.assertEqual(result.status_lines(), [f"HTTP/1.1 403 {message}"],
                         "the message is also the reason phrase")
        self.assertEqual(result.header("Content-Type"), "application/json")
        record = self.pullgate.wait_for_audit(
            lambda r: r.get("host") == UNLISTED and r.get("kind") == "manifest",
            what="the denied manifest record")[-1]
        self.assertEqual((record["decision"], record["rule"], record["status"],
                          record["repository"], record["reference"]),
                         ("deny", "registries", 403, "acme/app", "1"))

    def test_skopeo_falls_back_to_plain_http_through_pullgate_and_pulls(self):
        # What docker does with an insecure registry: try TLS, get the
        # alert, retry in plain HTTP (through HTTP_PROXY).
        out = os.path.join(self.tmp, "pulled")
        image.skopeo_copy(f"docker://{self.plain}/acme/app:1", f"oci:{out}:1", workdir=self.tmp,
                          proxy_url=self.pullgate.proxy_url, extra=["--src-tls-verify=false"])
        self.assertEqual(image.read_layout_top(out)[1], self.app.digest)
        records = self.pullgate.wait_for_audit(
            lambda r: r.get("host") == PLAIN and r.get("kind") == "blob",
            what="the plain-HTTP blob records", count=2)
        self.assertTrue(all(r["decision"] == "allow" and r["status"] == 200 for r in records))


if __name__ == "__main__":
    testing.main()
