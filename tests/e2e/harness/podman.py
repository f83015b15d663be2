"""Rootful podman (4.3) and skopeo (1.9) with private storage and configuration, through pullgate.

    with Podman(workdir, "http://127.0.0.1:3128", "pg/ca.crt",
                insecure_registries=["registry.plain.test:5080"]) as p:
        rc, out, err = p.pull("docker.io/library/alpine:3.19")
        rc, out, err = p.skopeo("copy", "docker://...", "oci:...")

No daemon: every podman/skopeo command runs as

    unshare --mount --propagation private -- sh -c '<mounts>; exec "$@"' podman \
      --root R --runroot RR --storage-driver vfs --cgroup-manager cgroupfs \
      --events-backend none --tmpdir T pull --cert-dir C REF

with these mounts, which keep every write inside our temp dir (found with strace:
podman and skopeo as root otherwise write /var/lib/containers/cache/
blob-info-cache-v1.boltdb, /dev/shm/libpod_lock and /var/tmp/*):
  - a temp dir bound on /etc/containers, holding registries.conf (short names
    resolve to docker.io only: no prompt; plain-HTTP registries marked
    insecure), policy.json (insecureAcceptAnything), storage.conf, containers.conf
  - a private dir on /var/lib/containers and on /var/cache/containers
  - tmpfs on /run and /dev/shm
and the environment HTTPS_PROXY=HTTP_PROXY=PROXY, NO_PROXY="", TMPDIR=T,
CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF.

Trust: `--cert-dir C` (C/ca.crt = pullgate's CA, added to the system pool)
for podman pull/push and --src-cert-dir/--dest-cert-dir (or --cert-dir) for
skopeo -- the caller adds those to skopeo commands (cert_dir attribute), or
sets trust="env" to use SSL_CERT_FILE (replaces the system pool) for both.
"""

import json
import os
import shutil
import tempfile

try:
    from . import containerd as _ctd
except ImportError:
    import containerd as _ctd

CommandTimeout = _ctd.CommandTimeout

__all__ = ["Podman", "CommandTimeout"]


def _toml_str(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


class Podman:
    def __init__(self, workdir, proxy_url, ca_file, insecure_registries=(),
                 unqualified_search=("docker.io",), trust="cert-dir",
                 podman_bin="podman", skopeo_bin="skopeo", keep=False):
        """workdir: parent of our temp dir (removed by close()).
        proxy_url: http://127.0.0.1:PORT, or None for a direct connection.
        ca_file: pullgate's CA (PEM).
        insecure_registries: host[:port] names marked insecure=true in
            registries.conf: podman/skopeo try HTTPS without verification and
            fall back to plain HTTP.
        trust: "cert-dir" (podman --cert-dir, default) or "env" (SSL_CERT_FILE)."""
        if trust not in ("cert-dir", "env"):
            raise ValueError("trust must be 'cert-dir' or 'env'")
        self.workdir = workdir
        self.proxy_url = proxy_url
        self.ca_file = ca_file
        self.insecure_registries = list(insecure_registries)
        self.unqualified_search = list(unqualified_search)
        self.trust = trust
        self.podman_bin = podman_bin
        self.skopeo_bin = skopeo_bin
        self.keep = keep
        self.dir = None
        self.cert_dir = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        self.dir = d = tempfile.mkdtemp(prefix="podman-", dir=self.workdir)
        _ctd.register_owner(self)
        try:
            for sub in ("etc", "root", "runroot", "tmp", "certs", "varlib", "varcache", "net"):
                os.makedirs(os.path.join(d, sub), mode=0o700)
            self.cert_dir = os.path.join(d, "certs")
            if self.ca_file:
                shutil.copyfile(self.ca_file, os.path.join(self.cert_dir, "ca.crt"))
            self._write_configs()
            with open(self._p("auth.json"), "w") as f:   # podman stats REGISTRY_AUTH_FILE
                json.dump({"auths": {}}, f)
        except BaseException:
            self.close()
            raise
        return self

    # Podman has nothing running between commands; close() just removes files.
    def close(self):
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        _ctd.unregister_owner(self)

    def stop(self):
        self.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def _p(self, *parts):
        return os.path.join(self.dir, *parts)

    def _write_configs(self):
        etc = self._p("etc")
        lines = ["unqualified-search-registries = [%s]"
                 % ", ".join(_toml_str(r) for r in self.unqualified_search),
                 # enforcing + a single search registry = no prompt, no alias recorded
                 'short-name-mode = "enforcing"', ""]
        for r in self.insecure_registries:
            lines += ["[[registry]]", "location = %s" % _toml_str(r), "insecure = true", ""]
        with open(os.path.join(etc, "registries.conf"), "w") as f:
            f.write("\n".join(lines))
        with open(os.path.join(etc, "policy.json"), "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        with open(os.path.join(etc, "storage.conf"), "w") as f:
            f.write("[storage]\ndriver = \"vfs\"\ngraphroot = %s\nrunroot = %s\n"
                    % (_toml_str(self._p("root")), _toml_str(self._p("runroot"))))
        with open(os.path.join(etc, "containers.conf"), "w") as f:
            f.write("\n".join([
                "[engine]",
                'cgroup_manager = "cgroupfs"',
                'events_logger = "none"',
                "tmp_dir = %s" % _toml_str(self._p("tmp")),
                "static_dir = %s" % _toml_str(self._p("root", "libpod")),
                "volume_path = %s" % _toml_str(self._p("root", "volumes")),
                "image_copy_tmp_dir = %s" % _toml_str(self._p("tmp")),
                "[network]",
                "network_config_dir = %s" % _toml_str(self._p("net")),
                ""]))

    # -- running -----------------------------------------------------------
    def env(self, proxy=True):
        etc = self._p("etc")
        extra = {"TMPDIR": self._p("tmp"),
                 "CONTAINERS_CONF": os.path.join(etc, "containers.conf"),
                 "CONTAINERS_STORAGE_CONF": os.path.join(etc, "storage.conf"),
                 "CONTAINERS_REGISTRIES_CONF": os.path.join(etc, "registries.conf"),
                 "REGISTRY_AUTH_FILE": self._p("auth.json")}
        if self.trust == "env" and self.ca_file:
            extra["SSL_CERT_FILE"] = os.path.join(self.cert_dir, "ca.crt")
        return _ctd.proxy_env(self.proxy_url if proxy else None, extra)

    def wrap(self, argv):
        """argv wrapped in the private mount namespace (see module doc)."""
        return _ctd.ns_argv(argv,
                            binds=[(self._p("etc"), "/etc/containers")],
                            tmpfs=["/run", "/dev/shm"],
                            masks=[(self._p("varlib"), "/var/lib/containers"),
                                   (self._p("varcache"), "/var/cache/containers")])

    def podman(self, *args, timeout=120, proxy=True):
        """Run podman with our storage and config; (rc, out, err)."""
        argv = [self.podman_bin, "--root", self._p("root"), "--runroot", self._p("runroot"),
                "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                "--events-backend", "none", "--tmpdir", self._p("tmp")] + list(args)
        return _ctd.run_cmd(self.wrap(argv), env=self.env(proxy), timeout=timeout)

    def skopeo(self, *args, timeout=120, proxy=True):
        """Run skopeo in the same sandbox (same registries.conf, proxy env, no writes
        to /var/lib/containers). Add --src-cert-dir/--dest-cert-dir self.cert_dir
        yourself (or use trust="env")."""
        return _ctd.run_cmd(self.wrap([self.skopeo_bin] + list(args)),
                            env=self.env(proxy), timeout=timeout)

    def _trust_args(self):
        return ["--cert-dir", self.cert_dir] if self.trust == "cert-dir" else []

    def pull(self, ref, all_platforms=False, platform=None, tls_verify=None, quiet=False,
             timeout=120):
        """podman pull REF. A denial reads (stderr):
        `Error: initializing source docker://NAME:TAG: reading manifest TAG in NAME:
        denied: pullgate: ...`

        podman 4.3 has no --all-platforms: with all_platforms=True we read the
        index with skopeo (through the proxy) and pull each platform in turn
        (`--platform os/arch[/variant]`); the results are concatenated and rc is
        the first non-zero one."""
        if all_platforms:
            return self._pull_all_platforms(ref, tls_verify, timeout)
        args = ["pull"] + self._trust_args()
        if platform:
            args += ["--platform", platform]
        if tls_verify is not None:
            args.append("--tls-verify=%s" % ("true" if tls_verify else "false"))
        if quiet:
            args.append("--quiet")
        return self.podman(*(args + [ref]), timeout=timeout)

    def platforms(self, ref, timeout=120):
        """The platforms ("os/arch[/variant]") of a remote index, [] for a plain manifest."""
        rc, out, err = self.skopeo("inspect", "--raw", *self._trust_args(), "docker://" + ref,
                                   timeout=timeout)
        if rc != 0:
            return rc, [], err
        doc = json.loads(out)
        plats = []
        for m in doc.get("manifests", []):
            p = m.get("platform") or {}
            if p.get("os") and p.get("architecture") and p.get("os") != "unknown":
                plats.append("/".join(filter(None, [p["os"], p["architecture"], p.get("variant")])))
        return 0, plats, err

    def _pull_all_platforms(self, ref, tls_verify, timeout):
        rc, plats, err = self.platforms(ref, timeout)
        if rc != 0:
            return rc, "", err
        if not plats:
            return self.pull(ref, tls_verify=tls_verify, timeout=timeout)
        outs, errs, first_rc = [], [], 0
        for p in plats:
            r, o, e = self.pull(ref, platform=p, tls_verify=tls_verify, timeout=timeout)
            outs.append("## %s\n%s" % (p, o))
            errs.append(e)
            first_rc = first_rc or r
        return first_rc, "".join(outs), "".join(errs)

    def push(self, src, dst=None, tls_verify=None, timeout=120):
        """podman push SRC [DST] (DST like docker://host/repo:tag or host/repo:tag)."""
        args = ["push"] + self._trust_args()
        if tls_verify is not None:
            args.append("--tls-verify=%s" % ("true" if tls_verify else "false"))
        args.append(src)
        if dst:
            args.append(dst)
        return self.podman(*args, timeout=timeout)

    def tag(self, src, dst, timeout=60):
        return self.podman("tag", src, dst, timeout=timeout, proxy=False)

    def rmi(self, *images, timeout=60):
        return self.podman("rmi", "--force", *images, timeout=timeout, proxy=False)

    def images(self, timeout=60):
        """["registry/repo:tag", ...] of local images."""
        rc, out, err = self.podman("images", "--format", "{{.Repository}}:{{.Tag}}",
                                   timeout=timeout, proxy=False)
        if rc != 0:
            raise RuntimeError("podman images failed: %s" % err)
        return [l for l in out.splitlines() if l.strip()]
