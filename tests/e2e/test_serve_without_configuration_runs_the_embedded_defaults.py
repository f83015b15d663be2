#!/usr/bin/env python3
"""`pullgate serve` with no configuration, in an empty working directory,
runs the embedded defaults: it creates the organization CA in certs/
(CA:TRUE, EC P-256, key mode 0600), answers /healthz and /readyz on
127.0.0.1:9128, proxies on 127.0.0.1:3128 and writes the audit log to
stdout (SPEC "Embedded defaults", issue 2 "Done when").

These are fixed ports, so meson runs this file alone (is_parallel: false),
and the test fails, rather than guesses, when something else holds them.
"""

import json
import os
import signal
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, net, pki, procs, proxy, testing  # noqa: E402

LISTEN = ("127.0.0.1", 3128)
ADMIN = ("127.0.0.1", 9128)


class ServeWithoutConfigurationRunsTheEmbeddedDefaults(testing.E2ETestCase):
    def setUp(self):
        super().setUp()
        testing.require_tools("curl", "openssl")
        for address, port in (LISTEN, ADMIN):
            if net.port_is_open(address, port):
                self.fail(f"{address}:{port} is in use by another process; this test needs the "
                          f"embedded defaults' fixed ports")
        self.cwd = os.path.join(self.tmp, "empty")
        os.makedirs(self.cwd)

    def start(self, name="pullgate"):
        process = procs.Process([proxy.binary(), "serve"], name=name, log_dir=self.tmp,
                                cwd=self.cwd)
        self.stop_later(process)
        net.wait_until(lambda: proxy.http_get(*ADMIN, "/readyz", 1)[0] == 200, 20,
                       "/readyz on 127.0.0.1:9128", process=process)
        return process

    def stop(self, process):
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(30), 0, "SIGTERM ends serve with status 0")

    def test_it_creates_a_p256_ca_with_a_private_key_only_its_owner_can_read(self):
        self.stop(self.start())
        cert = os.path.join(self.cwd, "certs", "ca.crt")
        key = os.path.join(self.cwd, "certs", "ca.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        text = pki.openssl("x509", "-in", cert, "-noout", "-text")
        self.assertRegex(text, r"CA:TRUE")
        self.assertRegex(text, r"Certificate Sign, CRL Sign")
        self.assertIn("NIST CURVE: P-256", text)
        self.assertIn("NIST CURVE: P-256", pki.openssl("pkey", "-in", key, "-noout", "-text"))
        self.assertEqual(pki.openssl("x509", "-in", cert, "-noout", "-pubkey"),
                         pki.openssl("pkey", "-in", key, "-pubout"),
                         "the key is the certificate's")
        # Self-signed and valid for about ten years.
        pki.openssl("verify", "-CAfile", cert, cert)
        self.assertEqual(procs.run(["openssl", "x509", "-in", cert, "-noout",
                                    "-checkend", str(9 * 365 * 86400)], 10, check=False)
                         .returncode, 0, "valid for at least nine more years")

    def test_a_second_start_keeps_the_ca_it_created(self):
        self.stop(self.start("first"))
        with open(os.path.join(self.cwd, "certs", "ca.crt"), "rb") as f:
            first = f.read()
        self.stop(self.start("second"))
        with open(os.path.join(self.cwd, "certs", "ca.crt"), "rb") as f:
            self.assertEqual(f.read(), first)

    def test_the_admin_listener_answers_health_readiness_and_the_ca(self):
        process = self.start()
        self.assertEqual(proxy.http_get(*ADMIN, "/healthz")[0], 200)
        self.assertEqual(proxy.http_get(*ADMIN, "/readyz")[0], 200)
        status, body = proxy.http_get(*ADMIN, "/ca.crt")
        self.assertEqual(status, 200)
        with open(os.path.join(self.cwd, "certs", "ca.crt"), "rb") as f:
            self.assertEqual(body.strip(), f.read().strip())
        self.stop(process)

    def test_a_connect_to_an_unreachable_host_gets_a_clear_502_and_a_record_on_stdout(self):
        process = self.start()
        ca = os.path.join(self.cwd, "certs", "ca.crt")
        result = clients.curl("https://nothing.invalid/v2/", workdir=os.path.join(self.tmp, "c"),
                              proxy=f"http://{LISTEN[0]}:{LISTEN[1]}", cacert=ca)
        self.assertEqual(result.connect_status, 502, result)
        phrase = result.status_lines()[0].split(" ", 2)[2]
        self.assertTrue(phrase.startswith("pullgate: "), phrase)
        self.assertIn("nothing.invalid", phrase)

        def connect_record():
            for line in process.stdout_text().splitlines():
                if line.startswith("{"):
                    record = json.loads(line)
                    if record.get("host") == "nothing.invalid":
                        return record
            return None
        record = net.wait_until(connect_record, 10, "the CONNECT's audit record on stdout",
                                process=process)
        self.assertEqual((record["kind"], record["decision"], record["status"]),
                         ("connect", "deny", 502))
        self.stop(process)

    def test_only_docker_hub_is_an_approved_registry(self):
        process = self.start()
        result = clients.curl("http://registry.example.invalid/v2/acme/app/manifests/1",
                              workdir=os.path.join(self.tmp, "c"),
                              proxy=f"http://{LISTEN[0]}:{LISTEN[1]}")
        self.assertEqual(result.status, 403, result)
        message = json.loads(result.body)["errors"][0]["message"]
        self.assertIn("registry.example.invalid", message)
        self.assertIn("docker.io", message)
        self.assertIn("(rule: registries)", message)
        self.stop(process)


class ServeFindsConfigPullgateYaml(testing.E2ETestCase):
    """Without --config, config/pullgate.yaml in the working directory wins
    over the embedded defaults (SPEC "Command line"). No fixed ports."""

    def test_config_pullgate_yaml_is_used_when_it_exists(self):
        cwd = os.path.join(self.tmp, "work")
        os.makedirs(os.path.join(cwd, "config"))
        address = net.loopback_address()
        port = net.free_port(address)
        with open(os.path.join(cwd, "config", "pullgate.yaml"), "w") as f:
            f.write(f'listen: "{address}:{port}"\nadmin: null\naudit_log: audit.log\n')
        process = self.stop_later(procs.Process([proxy.binary(), "serve"], name="pullgate",
                                                log_dir=self.tmp, cwd=cwd))
        net.wait_for_port(address, port, 20, process=process)
        self.assertTrue(os.path.exists(os.path.join(cwd, "certs", "ca.crt")))
        self.assertFalse(net.port_is_open(*ADMIN), "admin: null keeps the admin listener off")
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(30), 0)


if __name__ == "__main__":
    testing.main()
