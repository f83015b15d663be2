#!/usr/bin/env python3
"""The command line of SPEC "Command line": `ca init` creates the CA and
never overwrites, `check` reports every error as FILE:LINE:COL and exits 1
(an unknown key is an error), `explain` exits 0 or 3, `--version` and
`--help` exit 0 (issue 2)."""

import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import pki, proxy, testing  # noqa: E402


def files_of(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = f.read()
    return out


class CaInit(testing.E2ETestCase):
    def test_it_creates_a_p256_root_and_a_key_readable_only_by_its_owner(self):
        d = os.path.join(self.tmp, "ca")
        os.makedirs(d)
        result = proxy.run_cli("ca", "init", "--dir", d)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(os.listdir(d)), ["ca.crt", "ca.key"])
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "ca.key")).st_mode), 0o600)
        text = pki.openssl("x509", "-in", os.path.join(d, "ca.crt"), "-noout", "-text")
        self.assertIn("CA:TRUE", text)
        self.assertIn("Certificate Sign, CRL Sign", text)
        self.assertIn("NIST CURVE: P-256", text)
        pki.openssl("verify", "-CAfile", os.path.join(d, "ca.crt"), os.path.join(d, "ca.crt"))

    def test_it_refuses_to_overwrite_and_leaves_both_files_as_they_were(self):
        d = os.path.join(self.tmp, "ca")
        os.makedirs(d)
        self.assertEqual(proxy.run_cli("ca", "init", "--dir", d).returncode, 0)
        before = files_of(d)
        again = proxy.run_cli("ca", "init", "--dir", d)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("ca.crt", again.stdout + again.stderr, "the refusal names the file")
        self.assertEqual(files_of(d), before)

    def test_it_refuses_when_only_the_key_exists(self):
        d = os.path.join(self.tmp, "half")
        os.makedirs(d)
        with open(os.path.join(d, "ca.key"), "w") as f:
            f.write("precious\n")
        self.assertNotEqual(proxy.run_cli("ca", "init", "--dir", d).returncode, 0)
        self.assertEqual(files_of(d), {"ca.key": b"precious\n"})

    def test_without_dir_it_writes_to_certs_in_the_working_directory(self):
        result = proxy.run_cli("ca", "init", cwd=self.tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.tmp, "certs"))),
                         ["ca.crt", "ca.key"])


BAD_CONFIG = """\
listen: "127.0.0.1:3128"
policy:
  registires: [docker.io]
  mode: enforce
limts: {}
"""


class Check(testing.E2ETestCase):
    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_a_valid_file_exits_0(self):
        path = self.write("good.yaml", 'listen: "127.0.0.1:3128"\npolicy:\n  registries: '
                                       '[docker.io, ghcr.io]\n')
        result = proxy.run_cli("check", "--config", path)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_shipped_default_configuration_is_valid(self):
        root = os.environ.get("SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
        for name in ("default.yaml", "pullgate.example.yaml"):
            with self.subTest(name=name):
                result = proxy.run_cli("check", "--config", os.path.join(root, "config", name))
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_unknown_key_is_an_error_at_its_line_and_column(self):
        path = self.write("bad.yaml", BAD_CONFIG)
        result = proxy.run_cli("check", "--config", path)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, output)
        located = re.findall(rf"^{re.escape(path)}:(\d+):(\d+): (.*)$", output, re.M)
        self.assertIn(("3", "3"), [(line, col) for line, col, _ in located], output)
        self.assertIn(("5", "1"), [(line, col) for line, col, _ in located], output)
        messages = " ".join(m for _, _, m in located)
        self.assertIn("registires", messages)
        self.assertIn("limts", messages)

    def test_a_missing_file_is_an_error(self):
        result = proxy.run_cli("check", "--config", os.path.join(self.tmp, "absent.yaml"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("absent.yaml", result.stdout + result.stderr)


class VersionHelpAndExplain(testing.E2ETestCase):
    def test_version_prints_the_version_and_exits_0(self):
        result = proxy.run_cli("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^pullgate \d+\.\d+\.\d+")

    def test_help_names_every_command_and_exits_0(self):
        result = proxy.run_cli("--help")
        self.assertEqual(result.returncode, 0)
        for command in ("serve", "ca init", "check", "explain", "--version"):
            self.assertIn(command, result.stdout)

    def test_an_unknown_command_is_a_usage_error(self):
        result = proxy.run_cli("frobnicate")
        self.assertEqual(result.returncode, 2)
        self.assertIn("frobnicate", result.stderr)

    def test_explain_exits_0_for_an_official_image_and_3_for_a_community_one(self):
        allowed = proxy.run_cli("explain", "nginx", cwd=self.tmp)
        self.assertEqual(allowed.returncode, 0, allowed.stdout + allowed.stderr)
        denied = proxy.run_cli("explain", "randomuser/tool", cwd=self.tmp)
        self.assertEqual(denied.returncode, 3, denied.stdout + denied.stderr)
        self.assertIn("docker_hub.community", denied.stdout)


if __name__ == "__main__":
    testing.main()
