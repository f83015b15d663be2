#!/usr/bin/env python3
"""Checks the container files without a container engine (issue 6,
"Container image and compose", "Scale-out gateway"): none can build or run
an image on the test machines, so what can be known from the files is
checked here.

- docker/Dockerfile, with rules in the spirit of hadolint: a pinned base
  (a point-release tag or a digest, never `latest` or no tag), the same base
  for both stages, no ADD of URLs, apt lists removed in the RUN that filled
  them, a non-root USER with a fixed uid, a HEALTHCHECK on /healthz,
  EXPOSE 3128 9128, STOPSIGNAL SIGTERM, exec-form ENTRYPOINT/CMD. Its build
  stage runs exactly the README's build commands, and its runtime stage
  installs what the built binary links against (ldd + dpkg -S).
- docker/pullgate.yaml: valid (`pullgate check`), with the paths the image
  and the manifests mount.
- docker/compose.yaml: parses, one pullgate service built from the
  Dockerfile, its configuration and CA volumes, both ports, a stop grace
  period longer than limits.drain.
- docker/k8s/*.yaml: every document parses and has what an operator
  relies on: probes, resources, a restricted security context, a grace
  period longer than the drain, a PodDisruptionBudget, an HPA on CPU, and a
  CA Secret that is generated from uncommitted files, never committed.

Run: tests/static/check_container_files.py (SOURCE_ROOT and PULLGATE name
the tree and the binary; meson passes both). Exits non-zero on any failure.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

try:
    import yaml
except ImportError:  # a failure, not a skip: install-deps.sh --test installs it
    sys.exit("check_container_files: needs PyYAML (Debian package python3-yaml)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("SOURCE_ROOT") or os.path.abspath(os.path.join(HERE, "..", ".."))
DOCKER = os.path.join(ROOT, "docker")
K8S = os.path.join(DOCKER, "k8s")

# What debian:12-slim already has that the binary links against: the C and
# C++ runtimes (apt itself needs libstdc++6).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
SANITIZER_RUNTIME = re.compile(r"lib(asan|ubsan|lsan|tsan|hwasan)\.so")
CONFIG_IN_IMAGE = "/etc/pullgate/pullgate.yaml"
CA_DIR = "/etc/pullgate/ca"


def binary():
    path = os.environ.get("PULLGATE") or os.path.join(ROOT, "build", "proxy", "pullgate")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"no pullgate binary at {path}; build it or set PULLGATE")
    return path


def run(args, timeout=30, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def duration_seconds(text):
    """pullgate's durations (configuration.md: 250ms, 30s, 5m, 1h30m) and
    compose's (40s, 1m30s), in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+)(ms|h|m|s)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise AssertionError(f"not a duration: {text!r}")
    return sum(int(n) * units[u] for n, u in parts)


# -- a Dockerfile reader ---------------------------------------------------

class Instruction:
    def __init__(self, line, keyword, args, comments):
        self.line = line          # where the instruction starts (1-based)
        self.keyword = keyword    # upper case
        self.args = args          # the rest, continuation lines joined
        self.comments = comments  # comment lines right above it

    def exec_form(self):
        """The JSON array of an exec-form instruction, or None."""
        try:
            value = json.loads(self.args)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) \
            else None

    def __repr__(self):
        return f"line {self.line}: {self.keyword} {self.args}"


def parse_dockerfile(text):
    """Instructions with continuations (a trailing backslash) joined and
    comments dropped; a comment inside a continued RUN is skipped, as
    BuildKit does."""
    instructions, comments = [], []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i].strip()
        start = i + 1
        i += 1
        if not raw:
            comments = []
            continue
        if raw.startswith("#"):
            comments.append(raw)
            continue
        parts = [raw]
        while parts[-1].endswith("\\") and i < len(lines):
            parts[-1] = parts[-1][:-1]
            nxt = lines[i].strip()
            i += 1
            if nxt.startswith("#"):
                parts.append("")
                continue
            parts.append(nxt)
        joined = " ".join(p.strip() for p in parts if p.strip())
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(start, keyword.upper(), args.strip(), comments))
        comments = []
    return instructions


def stages(instructions):
    """[(FROM instruction, [instructions of the stage])]"""
    out = []
    for ins in instructions:
        if ins.keyword == "FROM":
            out.append((ins, []))
        elif out:
            out[-1][1].append(ins)
    return out


def readme_build_commands():
    """The README's first sh block under "Two commands", split at `&&`:
    the steps before the one that runs the binary are the build."""
    text = read(os.path.join(ROOT, "README.md"))
    section = text.split("## Two commands", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1).strip()
    steps = [s.strip() for s in block.split("&&")]
    return [s for s in steps if s.startswith("./scripts/")]


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = os.path.join(DOCKER, "Dockerfile")
        cls.instructions = parse_dockerfile(read(cls.path))
        cls.stages = stages(cls.instructions)
        cls.build_from, cls.build = cls.stages[0]
        cls.final_from, cls.final = cls.stages[-1]

    def final_only(self, keyword):
        found = [i for i in self.final if i.keyword == keyword]
        self.assertEqual(len(found), 1, f"the runtime stage has one {keyword}: {found}")
        return found[0]

    def test_it_has_a_named_build_stage_and_a_runtime_stage(self):
        self.assertEqual(len(self.stages), 2, [f for f, _ in self.stages])
        self.assertRegex(self.build_from.args, r"\sAS\s+build$")

    def test_every_base_image_is_pinned_to_a_point_release_or_a_digest(self):
        names = set()
        for from_, _ in self.stages:
            image = from_.args.split()[0]
            with self.subTest(from_=from_):
                if image in names:  # FROM an earlier stage
                    continue
                self.assertNotIn("$", image, "a variable hides the base from review")
                repository, _, tag = image.partition("@")[0].partition(":")
                digest = image.partition("@")[2]
                self.assertTrue(tag or digest, f"{image} has no tag: it means latest")
                self.assertNotEqual(tag, "latest")
                if digest:
                    self.assertRegex(digest, r"^sha256:[0-9a-f]{64}$")
                else:
                    self.assertRegex(tag, r"^12\.\d+-slim$",
                                     "a Debian 12 point release, e.g. debian:12.11-slim")
                self.assertEqual(repository, "debian")
            parts = from_.args.split()
            if len(parts) == 3:
                names.add(parts[2])

    def test_both_stages_use_the_same_base(self):
        # The binary links against the libraries of the release it was
        # built on; a runtime stage on another release may lack them.
        self.assertEqual(self.build_from.args.split()[0], self.final_from.args.split()[0])

    def test_no_add_and_no_urls_fetched_at_build_time(self):
        for ins in self.instructions:
            with self.subTest(ins=ins):
                self.assertNotEqual(ins.keyword, "ADD", "COPY, or a package: ADD fetches URLs "
                                                       "and unpacks archives implicitly")
                if ins.keyword == "RUN":
                    self.assertNotRegex(ins.args, r"\b(curl|wget)\b[^|&;]*https?://",
                                        "nothing is downloaded outside Debian's packages")

    def test_apt_installs_skip_recommends_and_remove_their_lists(self):
        installs = [i for i in self.instructions
                    if i.keyword == "RUN" and "apt-get install" in i.args]
        self.assertTrue(installs, "the runtime stage installs its libraries with apt-get")
        for ins in installs:
            with self.subTest(ins=ins):
                self.assertIn("apt-get update", ins.args, "update and install in one layer")
                self.assertIn("--no-install-recommends", ins.args)
                self.assertRegex(ins.args, r"apt-get install -y\b")
                self.assertIn("rm -rf /var/lib/apt/lists/*", ins.args)
        for ins in self.instructions:
            if ins.keyword == "RUN":
                self.assertNotRegex(ins.args, r"apt-get (dist-)?upgrade", ins)

    def test_the_build_stage_runs_exactly_the_readme_build_commands(self):
        readme = readme_build_commands()
        self.assertEqual([s.split()[0] for s in readme],
                         ["./scripts/install-deps.sh", "./scripts/build.sh"],
                         "the README's build: install the packages, then build")
        runs = [i.args for i in self.build if i.keyword == "RUN"]
        # The same commands; build.sh only names the build directory the
        # README's default uses and leaves the unit tests out.
        self.assertEqual(runs, [readme[0], f"{readme[1]} build -Dtests=false"])

    def test_the_build_stage_copies_files_that_exist(self):
        copies = [i for i in self.build if i.keyword == "COPY"]
        self.assertTrue(copies)
        for ins in copies:
            for source in shlex.split(ins.args)[:-1]:
                with self.subTest(source=source):
                    self.assertTrue(os.path.exists(os.path.join(ROOT, source)), source)

    def test_the_runtime_stage_runs_as_a_fixed_non_root_uid(self):
        user = self.final_only("USER").args
        uid, _, gid = user.partition(":")
        self.assertRegex(uid, r"^\d+$", "a numeric uid, so runAsNonRoot can verify it")
        self.assertGreaterEqual(int(uid), 1000)
        self.assertTrue(gid.isdigit() and int(gid) != 0, "a non-root group too")
        # USER is the last word: nothing after it runs as root.
        after = self.final[self.final.index(next(i for i in self.final if i.keyword == "USER")):]
        self.assertFalse([i for i in after if i.keyword == "RUN"], after)
        setup = " ".join(i.args for i in self.final if i.keyword == "RUN")
        self.assertIn(f"--uid {uid}", setup, "the user is created with that uid")
        self.assertRegex(setup, rf"install -d -o {uid} -g {gid} -m 0700 {CA_DIR}\b",
                         "the CA directory belongs to the user (a new volume inherits it)")

    def test_healthcheck_probes_healthz_on_the_admin_port(self):
        check = self.final_only("HEALTHCHECK").args
        self.assertNotEqual(check.upper(), "NONE")
        self.assertRegex(check, r"--interval=\d+s")
        self.assertRegex(check, r"--timeout=\d+s")
        # `pullgate health` asks the configured admin listener for /healthz
        # and exits non-zero unless it answers 200.
        self.assertIn('"/usr/local/bin/pullgate", "health", "--config", "' + CONFIG_IN_IMAGE + '"',
                      check)

    def test_ports_signal_and_command(self):
        self.assertEqual(sorted(self.final_only("EXPOSE").args.split()), ["3128", "9128"])
        self.assertEqual(self.final_only("STOPSIGNAL").args, "SIGTERM")
        self.assertEqual(self.final_only("ENTRYPOINT").exec_form(), ["/usr/local/bin/pullgate"])
        self.assertEqual(self.final_only("CMD").exec_form(),
                         ["serve", "--config", CONFIG_IN_IMAGE])
        copies = [shlex.split(i.args) for i in self.final if i.keyword == "COPY"]
        self.assertIn(["--from=build", "/src/build/proxy/pullgate", "/usr/local/bin/pullgate"],
                      copies)
        self.assertIn(["docker/pullgate.yaml", CONFIG_IN_IMAGE], copies)

    def test_the_runtime_packages_provide_every_library_the_binary_links(self):
        setup = " ".join(i.args for i in self.final if i.keyword == "RUN")
        packages = set(re.search(r"--no-install-recommends\s+(.*?)\s*&&", setup).group(1).split())
        # Besides libraries: the trust store for upstream TLS.
        self.assertIn("ca-certificates", packages)
        ldd = run(["ldd", binary()])
        self.assertEqual(ldd.returncode, 0, ldd.stderr)
        needed = {}
        for line in ldd.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (/\S+)", line)
            # The suite also runs against the ASan+UBSan build, whose
            # sanitizer runtimes the image's (plain) build never links.
            if m and not SANITIZER_RUNTIME.match(m.group(1)):
                needed[m.group(1)] = owner_package(m.group(2))
        self.assertTrue(needed)
        for library, package in needed.items():
            with self.subTest(library=library):
                self.assertIn(package, packages | BASE_IMAGE_PACKAGES,
                              f"{library} comes from {package}, which the image lacks")
        unused = packages - {"ca-certificates"} - set(needed.values())
        self.assertFalse(unused, f"the image installs libraries the binary does not use: {unused}")

    def test_the_build_context_never_carries_private_keys(self):
        ignore = read(os.path.join(DOCKER, "Dockerfile.dockerignore")).splitlines()
        self.assertIn("**/*.key", ignore)
        self.assertIn("build*/", ignore)


def owner_package(path):
    """The Debian package that installed `path` (merged /usr: try the path,
    its real path and its /usr twin)."""
    for candidate in (path, os.path.realpath(path), "/usr" + path):
        out = run(["dpkg", "-S", candidate])
        if out.returncode == 0:
            return out.stdout.split(":")[0].strip()
    raise AssertionError(f"dpkg -S: no package owns {path}")


# -- the configuration the image ships -------------------------------------

def pullgate_check(text, name):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        out = run([binary(), "check", "--config", path])
    return out.returncode, out.stdout + out.stderr


class ImageConfiguration(unittest.TestCase):
    def test_docker_pullgate_yaml_is_valid_and_fits_the_image(self):
        text = read(os.path.join(DOCKER, "pullgate.yaml"))
        code, out = pullgate_check(text, "pullgate.yaml")
        self.assertEqual(code, 0, out)
        self.assertNotIn("warning", out)
        config = yaml.safe_load(text)
        self.assertEqual(config["listen"], "0.0.0.0:3128")
        self.assertEqual(config["admin"], "0.0.0.0:9128", "the HEALTHCHECK probes port 9128")
        self.assertEqual(config["tls"], {"ca_cert": f"{CA_DIR}/ca.crt",
                                         "ca_key": f"{CA_DIR}/ca.key"})
        self.assertEqual(config["audit_log"], "-", "the audit log goes to the container log")
        self.assertIn("10.0.0.0/8", config["clients"])


# -- compose ------------------------------------------------------------------

class Compose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.compose = yaml.safe_load(read(os.path.join(DOCKER, "compose.yaml")))
        cls.service = cls.compose["services"]["pullgate"]

    def test_one_pullgate_service_built_from_the_dockerfile(self):
        self.assertEqual(list(self.compose["services"]), ["pullgate"])
        build = self.service["build"]
        self.assertEqual((build["context"], build["dockerfile"]), ("..", "docker/Dockerfile"))
        self.assertTrue(os.path.exists(os.path.join(DOCKER, build["context"],
                                                    build["dockerfile"])))

    def test_the_proxy_and_admin_ports_are_published(self):
        targets = sorted(p.rsplit(":", 1)[1] for p in self.service["ports"])
        self.assertEqual(targets, ["3128", "9128"])
        admin = next(p for p in self.service["ports"] if p.endswith(":9128"))
        self.assertTrue(admin.startswith("127.0.0.1:"), "the admin port stays on loopback")

    def test_configuration_and_ca_are_mounted_and_the_ca_volume_is_declared(self):
        mounts = {m.split(":")[1]: m for m in self.service["volumes"]}
        config = mounts[CONFIG_IN_IMAGE]
        self.assertTrue(config.endswith(":ro"), config)
        self.assertTrue(os.path.exists(os.path.join(DOCKER, config.split(":")[0])))
        ca_volume = mounts[CA_DIR].split(":")[0]
        self.assertIn(ca_volume, self.compose["volumes"], "a named volume keeps the CA")

    def test_it_runs_read_only_unprivileged_and_drains_on_stop(self):
        s = self.service
        self.assertIs(s["read_only"], True)
        self.assertEqual(s["user"], "10001:10001")
        self.assertEqual(s["cap_drop"], ["ALL"])
        self.assertEqual(s["stop_signal"], "SIGTERM")
        drain = duration_seconds(yaml.safe_load(read(os.path.join(DOCKER, "pullgate.yaml")))
                                 ["limits"]["drain"])
        self.assertGreater(duration_seconds(s["stop_grace_period"]), drain)


# -- Kubernetes ------------------------------------------------------------------

def k8s_documents():
    docs = {}
    for name in sorted(os.listdir(K8S)):
        if name.endswith((".yaml", ".yml")):
            docs[name] = [d for d in yaml.safe_load_all(read(os.path.join(K8S, name))) if d]
    return docs


class Kubernetes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = k8s_documents()
        cls.by_kind = {}
        for name, docs in cls.files.items():
            for d in docs:
                cls.by_kind.setdefault(d.get("kind"), []).append(d)
        cls.deployment = cls.only("Deployment")
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        cls.container = cls.pod["containers"][0]
        configmap = cls.only("ConfigMap")
        cls.config_text = configmap["data"]["pullgate.yaml"]
        cls.config = yaml.safe_load(cls.config_text)

    @classmethod
    def only(cls, kind):
        found = cls.by_kind.get(kind, [])
        if len(found) != 1:
            raise AssertionError(f"expected one {kind}, found {len(found)}")
        return found[0]

    def test_every_document_parses_and_names_itself(self):
        self.assertTrue(self.files)
        for name, docs in self.files.items():
            for d in docs:
                with self.subTest(file=name, kind=d.get("kind")):
                    self.assertIn("apiVersion", d)
                    self.assertIn("kind", d)
                    if d["kind"] != "Kustomization":
                        self.assertTrue(d["metadata"]["name"])
                    if d["kind"] not in ("Kustomization", "Namespace"):
                        self.assertEqual(d["metadata"].get("namespace"), "pullgate")

    def test_the_deployment_runs_three_replicas_with_probes(self):
        self.assertEqual(self.deployment["spec"]["replicas"], 3)
        readiness = self.container["readinessProbe"]["httpGet"]
        liveness = self.container["livenessProbe"]["httpGet"]
        self.assertEqual((readiness["path"], readiness["port"]), ("/readyz", "admin"))
        self.assertEqual((liveness["path"], liveness["port"]), ("/healthz", "admin"))
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(ports, {"proxy": 3128, "admin": 9128})
        self.assertEqual(self.config["admin"], "0.0.0.0:9128")
        self.assertEqual(self.config["listen"], "0.0.0.0:3128")
        rolling = self.deployment["spec"]["strategy"]["rollingUpdate"]
        self.assertEqual(rolling["maxUnavailable"], 0)

    def test_resources_are_requested_and_memory_is_limited(self):
        resources = self.container["resources"]
        self.assertIn("cpu", resources["requests"], "the HPA needs a CPU request")
        self.assertIn("memory", resources["requests"])
        self.assertIn("memory", resources["limits"])

    def test_the_security_context_is_restricted(self):
        pod, c = self.pod["securityContext"], self.container["securityContext"]
        self.assertIs(pod["runAsNonRoot"], True)
        self.assertIs(c["runAsNonRoot"], True)
        self.assertIs(c["readOnlyRootFilesystem"], True)
        self.assertIs(c["allowPrivilegeEscalation"], False)
        self.assertEqual(c["capabilities"]["drop"], ["ALL"])
        self.assertEqual(pod["seccompProfile"]["type"], "RuntimeDefault")
        user = next(i for i in parse_dockerfile(read(os.path.join(DOCKER, "Dockerfile")))
                    if i.keyword == "USER").args
        self.assertEqual(f"{c['runAsUser']}:{c['runAsGroup']}", user,
                         "the manifest's uid is the image's")
        self.assertIs(self.pod["automountServiceAccountToken"], False)

    def test_the_grace_period_outlasts_the_pre_stop_pause_and_the_drain(self):
        drain = duration_seconds(self.config["limits"]["drain"])
        pause = self.container["lifecycle"]["preStop"]["exec"]["command"]
        self.assertEqual(pause[0], "sleep")
        self.assertGreater(self.pod["terminationGracePeriodSeconds"], int(pause[1]) + drain)

    def test_configuration_and_ca_come_from_the_configmap_and_the_secret(self):
        mounts = {m["name"]: m for m in self.container["volumeMounts"]}
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        config_dir = mounts["config"]["mountPath"]
        self.assertEqual(volumes["config"]["configMap"]["name"],
                         self.only("ConfigMap")["metadata"]["name"])
        self.assertEqual(self.container["args"],
                         ["serve", "--config", f"{config_dir}/pullgate.yaml"])
        self.assertEqual(mounts["ca"]["mountPath"], CA_DIR)
        self.assertIs(mounts["ca"]["readOnly"], True)
        self.assertEqual(volumes["ca"]["secret"]["secretName"], "pullgate-ca")
        self.assertEqual(volumes["ca"]["secret"]["defaultMode"], 0o440,
                         "the key is readable by the pod's group, nobody else")
        self.assertEqual(self.config["tls"], {"ca_cert": f"{CA_DIR}/ca.crt",
                                              "ca_key": f"{CA_DIR}/ca.key"})

    def test_the_configmap_holds_a_valid_configuration(self):
        code, out = pullgate_check(self.config_text, "configmap-pullgate.yaml")
        self.assertEqual(code, 0, out)
        self.assertNotIn("warning", out)
        self.assertEqual(self.config["audit_log"], "-")

    def test_services_select_the_pods_and_name_their_ports(self):
        labels = self.deployment["spec"]["template"]["metadata"]["labels"]
        names = {p["name"] for p in self.container["ports"]}
        services = self.by_kind["Service"]
        self.assertEqual(sorted(p["targetPort"] for s in services for p in s["spec"]["ports"]),
                         ["admin", "proxy"])
        for s in services:
            with self.subTest(service=s["metadata"]["name"]):
                self.assertTrue(set(s["spec"]["selector"].items()) <= set(labels.items()))
                for p in s["spec"]["ports"]:
                    self.assertIn(p["targetPort"], names)

    def test_the_disruption_budget_keeps_two_of_three_replicas(self):
        pdb = self.only("PodDisruptionBudget")
        self.assertEqual(pdb["apiVersion"], "policy/v1")
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"],
                         self.deployment["spec"]["selector"]["matchLabels"])
        spec = pdb["spec"]
        available = spec.get("minAvailable", 3 - spec.get("maxUnavailable", 3))
        self.assertGreaterEqual(available, 2)

    def test_the_autoscaler_scales_the_deployment_on_cpu(self):
        hpa = self.only("HorizontalPodAutoscaler")
        self.assertEqual(hpa["apiVersion"], "autoscaling/v2")
        target = hpa["spec"]["scaleTargetRef"]
        self.assertEqual((target["kind"], target["name"]),
                         ("Deployment", self.deployment["metadata"]["name"]))
        self.assertGreaterEqual(hpa["spec"]["minReplicas"], self.deployment["spec"]["replicas"])
        self.assertGreater(hpa["spec"]["maxReplicas"], hpa["spec"]["minReplicas"])
        cpu = [m for m in hpa["spec"]["metrics"]
               if m["type"] == "Resource" and m["resource"]["name"] == "cpu"]
        self.assertEqual(len(cpu), 1)
        self.assertEqual(cpu[0]["resource"]["target"]["type"], "Utilization")

    def test_the_ca_secret_is_generated_from_files_that_are_never_committed(self):
        self.assertNotIn("Secret", self.by_kind, "no Secret manifest: it would hold the key")
        kustomization = self.only("Kustomization")
        listed = set(kustomization["resources"])
        present = {n for n in self.files if n != "kustomization.yaml"}
        self.assertEqual(listed, present, "kustomization.yaml lists every manifest")
        generator = next(g for g in kustomization["secretGenerator"] if g["name"] == "pullgate-ca")
        sources = dict(f.split("=", 1) for f in generator["files"])
        self.assertEqual(set(sources), {"ca.crt", "ca.key"})
        ignored = read(os.path.join(K8S, ".gitignore")).split()
        for path in sources.values():
            self.assertEqual(path.split("/")[0] + "/", "ca/")
        self.assertIn("ca/", ignored)
        for directory, _, names in os.walk(DOCKER):
            for name in names:
                path = os.path.join(directory, name)
                with open(path, "rb") as f:
                    self.assertNotIn(b"PRIVATE KEY", f.read(), f"{path} holds a private key")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    ok = result.wasSuccessful() and not result.skipped and result.testsRun > 0
    sys.exit(0 if ok else 1)
