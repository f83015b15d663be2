#!/usr/bin/env python3
"""Manual proof that the real-client launchers work through pullgate.

Not a registered test. Run as root from anywhere:

    python3 tests/e2e/harness/selfcheck_clients.py [--report FILE] [--keep] [--verbose]

It builds a small world on loopback, self-contained (no other harness module):
  - a "public" CA and a leaf for registry-1.docker.io, auth.docker.io,
    index.docker.io, ghcr.io and registry.unlisted.test (openssl CLI);
  - a TLS docker-registry answering under those names, and a plain-HTTP one
    named registry.plain.test:PORT;
  - docker.io/library/alpine:3.19 (a two-platform OCI index), randomuser/tool
    (a community image) and team/app:1 on the plain registry, pushed with
    skopeo straight to the registries (no proxy);
  - pullgate in front of them (upstream.resolve), default Docker Hub policy,
    registries [docker.io, ghcr.io, registry.plain.test:PORT].
Then, through pullgate, with dockerd+docker, containerd+ctr, podman and skopeo:
allowed pulls (and --all-platforms), denied pulls (community image, unlisted
registry), a plain-HTTP pull, allowed and denied pushes; each step's audit
records are checked and every denial text is recorded verbatim. Finally the
two dockerd traps are demonstrated and the host's global state is compared
with a snapshot taken before.

Exit status 0 when every check passed. The report (text on stdout, JSON with
--report) holds timings and the verbatim client outputs.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import containerd as ctd  # noqa: E402  (the launchers, imported as top-level modules)
import dockerd  # noqa: E402
import podman  # noqa: E402

REG_ADDR = "127.0.0.21"          # the fake public registries
PROXY_ADDR = "127.0.0.1"
HUB_NAMES = ["registry-1.docker.io", "auth.docker.io", "index.docker.io"]
TLS_NAMES = HUB_NAMES + ["ghcr.io", "registry.unlisted.test"]


def pullgate_binary():
    if os.environ.get("PULLGATE"):
        return os.environ["PULLGATE"]
    return os.path.abspath(os.path.join(HERE, "..", "..", "..", "build", "proxy", "pullgate"))


def free_port(addr):
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def port_open(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=0.5):
            return True
    except OSError:
        return False


def sh(argv, timeout=60, **kw):
    rc, out, err = ctd.run_cmd(argv, env=ctd.clean_env(), timeout=timeout, **kw)
    if rc != 0:
        raise RuntimeError("%s failed (%s):\n%s\n%s" % (" ".join(argv), rc, out, err))
    return out


# --------------------------------------------------------------------------
# world

def make_pki(d):
    os.makedirs(d)
    sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", d + "/pubca.key", "-out", d + "/pubca.crt", "-days", "2",
        "-subj", "/CN=selfcheck public root", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", d + "/reg.key", "-out", d + "/reg.csr", "-subj", "/CN=" + TLS_NAMES[0]])
    with open(d + "/ext.cnf", "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
                % ",".join("DNS:" + n for n in TLS_NAMES))
    sh(["openssl", "x509", "-req", "-in", d + "/reg.csr", "-CA", d + "/pubca.crt",
        "-CAkey", d + "/pubca.key", "-CAcreateserial", "-days", "2", "-out", d + "/reg.crt",
        "-extfile", d + "/ext.cnf"])


def make_oci_layout(out, archs=("amd64", "arm64"), size=64 * 1024, tag="latest"):
    """An OCI image layout holding one index with one image per architecture."""
    os.makedirs(out + "/blobs/sha256")

    def put(data):
        dg = hashlib.sha256(data).hexdigest()
        with open("%s/blobs/sha256/%s" % (out, dg), "wb") as f:
            f.write(data)
        return "sha256:" + dg, len(data)

    manifests = []
    for arch in archs:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            payload = arch.encode() + os.urandom(size)
            ti = tarfile.TarInfo("hello-" + arch)
            ti.size, ti.mtime = len(payload), 0
            t.addfile(ti, io.BytesIO(payload))
        raw = buf.getvalue()
        layer, lsize = put(gzip.compress(raw, mtime=0))
        cfg = {"architecture": arch, "os": "linux", "config": {"Cmd": ["/hello"]},
               "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
               "history": [{"created_by": "selfcheck"}]}
        c, csize = put(json.dumps(cfg).encode())
        m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": c, "size": csize},
             "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                         "digest": layer, "size": lsize}]}
        md, msize = put(json.dumps(m).encode())
        manifests.append({"mediaType": m["mediaType"], "digest": md, "size": msize,
                          "platform": {"architecture": arch, "os": "linux"}})
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": manifests}
    idd, isize = put(json.dumps(idx).encode())
    with open(out + "/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": idx["mediaType"], "digest": idd, "size": isize,
            "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    with open(out + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    return idd


def start_registry(d, name, addr, port, cert=None, key=None):
    os.makedirs(d + "/data")
    tls = ""
    if cert:
        tls = "\n  tls: {certificate: %s, key: %s}" % (cert, key)
    with open(d + "/config.yml", "w") as f:
        f.write("version: 0.1\nlog: {level: warn}\n"
                "storage: {filesystem: {rootdirectory: %s/data}, delete: {enabled: true}}\n"
                "http:\n  addr: %s:%d%s\n" % (d, addr, port, tls))
    daemon = ctd.Daemon(name, ["docker-registry", "serve", d + "/config.yml"], ctd.clean_env(),
                        d + "/log").start()
    daemon.wait_until(lambda: port_open(addr, port), 20, "%s listening on %s:%d" % (name, addr, port))
    return daemon


def start_pullgate(d, listen_port, admin_port, pubca, resolve, registries):
    os.makedirs(d)
    conf = {
        "listen": "%s:%d" % (PROXY_ADDR, listen_port),
        "admin": "%s:%d" % (PROXY_ADDR, admin_port),
        "tls": {"ca_cert": d + "/ca.crt", "ca_key": d + "/ca.key"},
        "upstream": {"ca_file": pubca, "resolve": resolve},
        "audit_log": d + "/audit.log",
        "policy": {"registries": registries},
    }
    with open(d + "/pullgate.yaml", "w") as f:
        json.dump(conf, f, indent=2)   # JSON is YAML
    daemon = ctd.Daemon("pullgate", [pullgate_binary(), "serve", "--config", d + "/pullgate.yaml"],
                        ctd.clean_env(), d + "/pullgate.log").start()

    def ready():
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                "http://%s:%d/readyz" % (PROXY_ADDR, admin_port), timeout=1) as r:
            return r.status == 200
    daemon.wait_until(ready, 20, "pullgate /readyz")
    return daemon


class Audit:
    """pullgate's audit log, read in slices: mark() before a step, since() after."""

    def __init__(self, path):
        self.path = path

    def size(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def mark(self):
        time.sleep(0.05)
        return self.size()

    def since(self, offset, settle=0.3, timeout=5):
        # Records are written off the I/O threads: wait until the file stops growing.
        deadline = time.monotonic() + timeout
        last, stable_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            s = self.size()
            if s != last:
                last, stable_since = s, time.monotonic()
            elif time.monotonic() - stable_since >= settle:
                break
            time.sleep(0.05)
        with open(self.path, "rb") as f:
            f.seek(offset)
            data = f.read().decode(errors="replace")
        return [json.loads(l) for l in data.splitlines() if l.strip()]


def summarize(records):
    return ["%s %s %s %s %s -> %s %s (%s)" % (r.get("method"), r.get("host"), r.get("kind"),
                                              r.get("repository") or "-", r.get("reference") or "-",
                                              r.get("decision"), r.get("status"), r.get("rule"))
            for r in records]


# --------------------------------------------------------------------------
# host state: what the launchers must never change

WATCHED_PATHS = ["/run/mount", "/run/docker", "/run/docker.sock", "/var/run/docker.sock", "/run/containerd",
                 "/opt/containerd", "/var/lib/docker", "/var/lib/containerd",
                 "/var/lib/containers/storage", "/etc/docker/key.json", "/etc/docker/daemon.json",
                 "/dev/shm/libpod_lock", "/run/libpod", "/run/containers", "/var/cache/containers",
                 os.path.expanduser("~/.docker"), os.path.expanduser("~/.local/share/containers")]


def host_state():
    st = {}
    for p in WATCHED_PATHS:
        st[p] = os.path.lexists(p)
    for p in ["/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/keys/root_maxkeys",
              "/proc/sys/kernel/keys/root_maxbytes"]:
        try:
            st[p] = open(p).read().strip()
        except OSError:
            st[p] = None
    # New names in these directories would be global state we created.
    for d in ["/run", "/opt", "/etc", "/etc/docker", "/etc/containers", "/var/lib", "/var/cache",
              "/dev/shm", "/var/lib/containers"]:
        st[d + "/*"] = sorted(os.listdir(d)) if os.path.isdir(d) else None
    st["/var/tmp storage*"] = sorted(n for n in os.listdir("/var/tmp") if n.startswith("storage"))
    st["mounts"] = sorted(l.split()[4] for l in open("/proc/self/mountinfo"))
    return st


# --------------------------------------------------------------------------
# checks

class Run:
    def __init__(self, verbose):
        self.verbose = verbose
        self.checks = []
        self.steps = []
        self.denials = {}
        self.timings = {}

    def check(self, name, ok, detail=""):
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail})
        print("  [%s] %s%s" % ("ok" if ok else "FAIL", name,
                               "" if ok and not self.verbose else "\n      " + str(detail)[:3000].replace("\n", "\n      ")))
        return ok

    def step(self, client, what, fn, audit, expect, deny_key=None):
        """Run fn() -> (rc, out, err); check rc and the audit slice.
        expect: "allow" (rc 0, records allowed, none denied) or a rule name
        (rc != 0, a denial record by that rule with status 403)."""
        off = audit.mark()
        t0 = time.monotonic()
        try:
            rc, out, err = fn()
        except ctd.CommandTimeout as e:
            rc, out, err = "timeout", e.stdout, e.stderr
        dt = time.monotonic() - t0
        recs = audit.since(off)
        entry = {"client": client, "what": what, "rc": rc, "seconds": round(dt, 3),
                 "stdout": out, "stderr": err, "audit": summarize(recs)}
        self.steps.append(entry)
        name = "%s: %s" % (client, what)
        denied = [r for r in recs if r.get("decision") == "deny"]
        if expect == "allow":
            ok = (rc == 0 and recs and not denied
                  and any(r.get("status") in (200, 201, 202, 204, 307) for r in recs))
        else:
            ok = (rc not in (0, "timeout") and any(r.get("rule") == expect and r.get("status") == 403
                                                   for r in denied))
        detail = "rc=%s %.2fs\n%s\n%s\naudit:\n%s" % (rc, dt, ctd.strip_ansi(out)[-1500:],
                                                     err[-1500:], "\n".join(entry["audit"]))
        self.check(name, ok, detail)
        if deny_key:
            self.denials[deny_key] = (err.strip() + ("\n" + out.strip() if rc and "denied" in out else "")).strip()
        return rc, out, err


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", help="parent for the scratch dir (default /tmp)", default="/tmp")
    ap.add_argument("--report", help="write the JSON report here")
    ap.add_argument("--keep", action="store_true", help="keep the scratch dir")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--skip-traps", action="store_true", help="skip the dockerd trap demonstrations")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("run as root (mount namespaces, dockerd)")
    for b in ["dockerd", "containerd", "ctr", "podman", "skopeo", "docker-registry", "openssl",
              "unshare", pullgate_binary()]:
        if not shutil.which(b):
            sys.exit("missing: " + b)

    before = host_state()
    run = Run(args.verbose)
    scratch = tempfile.mkdtemp(prefix="pg-selfcheck-", dir=args.workdir)
    daemons = []
    launchers = []
    print("scratch dir", scratch)
    try:
        # ---- world
        make_pki(scratch + "/pki")
        pubca = scratch + "/pki/pubca.crt"
        tls_port, plain_port = free_port(REG_ADDR), free_port(REG_ADDR)
        plain_name = "registry.plain.test:%d" % plain_port
        daemons.append(start_registry(scratch + "/reg", "registry", REG_ADDR, tls_port,
                                      scratch + "/pki/reg.crt", scratch + "/pki/reg.key"))
        daemons.append(start_registry(scratch + "/regplain", "registry-plain", REG_ADDR, plain_port))
        make_oci_layout(scratch + "/img")

        seeder = podman.Podman(scratch, None, None)
        seeder.start()
        launchers.append(seeder)
        for src_tag, dst in [("latest", "%s:%d/library/alpine:3.19" % (REG_ADDR, tls_port)),
                             ("latest", "%s:%d/randomuser/tool:latest" % (REG_ADDR, tls_port)),
                             ("latest", "%s:%d/team/app:1" % (REG_ADDR, plain_port))]:
            rc, out, err = seeder.skopeo("copy", "--all", "--dest-tls-verify=false",
                                         "oci:%s/img:%s" % (scratch, src_tag), "docker://" + dst,
                                         proxy=False, timeout=120)
            if rc != 0:
                raise RuntimeError("seeding %s failed: %s" % (dst, err))

        listen_port, admin_port = free_port(PROXY_ADDR), free_port(PROXY_ADDR)
        resolve = {"%s:443" % n: "%s:%d" % (REG_ADDR, tls_port) for n in TLS_NAMES}
        resolve[plain_name] = "%s:%d" % (REG_ADDR, plain_port)
        pg = start_pullgate(scratch + "/pg", listen_port, admin_port, pubca, resolve,
                            ["docker.io", "ghcr.io", plain_name])
        daemons.append(pg)
        proxy = "http://%s:%d" % (PROXY_ADDR, listen_port)
        pgca = scratch + "/pg/ca.crt"
        audit = Audit(scratch + "/pg/audit.log")
        print("pullgate", proxy, "registry %s:%d, plain %s" % (REG_ADDR, tls_port, plain_name))

        ALPINE = "docker.io/library/alpine:3.19"
        TOOL = "docker.io/randomuser/tool:latest"
        UNLISTED = "registry.unlisted.test/library/alpine:3.19"
        PLAIN = plain_name + "/team/app:1"

        # ---- docker
        print("\n== dockerd 20.10 + docker CLI")
        t0 = time.monotonic()
        d = dockerd.DockerDaemon(scratch, proxy, pgca, insecure_registries=[plain_name])
        d.start()
        launchers.append(d)
        run.timings["dockerd_total_start_s"] = round(time.monotonic() - t0, 3)
        run.timings["dockerd_containerd_start_s"] = round(d.containerd_startup_seconds, 3)
        run.timings["dockerd_start_s"] = round(d.startup_seconds, 3)
        run.step("docker", "pull " + ALPINE, lambda: d.pull(ALPINE), audit, "allow")
        run.check("docker: image listed", "alpine:3.19" in d.images(), d.images())
        run.step("docker", "pull ghcr.io/library/alpine:3.19",
                 lambda: d.pull("ghcr.io/library/alpine:3.19"), audit, "allow")
        run.step("docker", "pull " + PLAIN + " (insecure-registry, plain HTTP)",
                 lambda: d.pull(PLAIN), audit, "allow")
        run.step("docker", "pull randomuser/tool (short name, community)",
                 lambda: d.pull("randomuser/tool"), audit, "docker_hub.community", "docker pull community")
        run.step("docker", "pull " + UNLISTED, lambda: d.pull(UNLISTED), audit, "registries",
                 "docker pull unlisted registry")
        d.tag(ALPINE, "ghcr.io/acme/docker-app:1")
        run.step("docker", "push ghcr.io/acme/docker-app:1", lambda: d.push("ghcr.io/acme/docker-app:1"),
                 audit, "allow")
        d.tag(ALPINE, "registry.unlisted.test/acme/docker-app:1")
        run.step("docker", "push registry.unlisted.test/acme/docker-app:1",
                 lambda: d.push("registry.unlisted.test/acme/docker-app:1"), audit, "registries",
                 "docker push unlisted registry")
        d.tag(ALPINE, "docker.io/randomuser/docker-app:1")
        run.step("docker", "push docker.io/randomuser/docker-app:1",
                 lambda: d.push("docker.io/randomuser/docker-app:1"), audit, "docker_hub.community",
                 "docker push community")
        if os.access("/usr/local/bin/docker", os.X_OK) and d.docker_cli != "/usr/local/bin/docker":
            cli = d.docker_cli
            d.docker_cli = "/usr/local/bin/docker"
            v = d.docker("version", "--format", "{{.Client.Version}}")[1].strip()
            run.step("docker", "pull randomuser/tool with CLI %s" % v, lambda: d.pull("randomuser/tool"),
                     audit, "docker_hub.community", "docker pull community (CLI %s)" % v)
            d.docker_cli = cli
        d.stop()
        launchers.remove(d)
        run.check("docker: temp dir removed", not any(n.startswith("dockerd-") for n in os.listdir(scratch)),
                  os.listdir(scratch))

        # ---- containerd / ctr
        print("\n== containerd 1.6 + ctr")
        c = ctd.Containerd(scratch)
        c.start()
        launchers.append(c)
        run.timings["containerd_start_s"] = round(c.startup_seconds, 3)
        run.step("ctr", "image pull " + ALPINE, lambda: c.pull(ALPINE, proxy, pgca), audit, "allow")
        run.step("ctr", "image pull --all-platforms " + ALPINE,
                 lambda: c.pull(ALPINE, proxy, pgca, all_platforms=True), audit, "allow")
        run.step("ctr", "image pull --plain-http " + PLAIN,
                 lambda: c.pull(PLAIN, proxy, None, plain_http=True), audit, "allow")
        run.step("ctr", "image pull " + TOOL, lambda: c.pull(TOOL, proxy, pgca), audit,
                 "docker_hub.community", "ctr pull community")
        run.step("ctr", "image pull " + UNLISTED, lambda: c.pull(UNLISTED, proxy, pgca), audit,
                 "registries", "ctr pull unlisted registry")
        run.step("ctr", "image push ghcr.io/acme/ctr-app:1",
                 lambda: c.push("ghcr.io/acme/ctr-app:1", ALPINE, proxy, pgca), audit, "allow")
        run.step("ctr", "image push registry.unlisted.test/acme/ctr-app:1",
                 lambda: c.push("registry.unlisted.test/acme/ctr-app:1", ALPINE, proxy, pgca), audit,
                 "registries", "ctr push unlisted registry")
        run.step("ctr", "image push docker.io/randomuser/ctr-app:1",
                 lambda: c.push("docker.io/randomuser/ctr-app:1", ALPINE, proxy, pgca), audit,
                 "docker_hub.community", "ctr push community")
        imgs = c.images()
        run.check("ctr: images listed", ALPINE in imgs and PLAIN in imgs, imgs)
        rc, out, err = c.pull("ghcr.io/library/alpine:3.19", proxy, None)
        run.check("ctr: without --tlscacert pullgate's certificate is refused (x509)",
                  rc != 0 and "x509" in err, err)
        c.stop()
        launchers.remove(c)

        # ---- podman
        print("\n== podman 4.3")
        p = podman.Podman(scratch, proxy, pgca, insecure_registries=[plain_name])
        p.start()
        launchers.append(p)
        run.step("podman", "pull " + ALPINE, lambda: p.pull(ALPINE), audit, "allow")
        run.step("podman", "pull alpine:3.19 --platform linux/arm64",
                 lambda: p.pull("alpine:3.19", platform="linux/arm64"), audit, "allow")
        run.step("podman", "pull (all platforms, one by one) " + ALPINE,
                 lambda: p.pull(ALPINE, all_platforms=True), audit, "allow")
        run.step("podman", "pull " + PLAIN + " (insecure in registries.conf)", lambda: p.pull(PLAIN),
                 audit, "allow")
        run.step("podman", "pull randomuser/tool (short name)", lambda: p.pull("randomuser/tool"), audit,
                 "docker_hub.community", "podman pull community")
        run.step("podman", "pull " + UNLISTED, lambda: p.pull(UNLISTED), audit, "registries",
                 "podman pull unlisted registry")
        p.tag(ALPINE, "ghcr.io/acme/podman-app:1")
        run.step("podman", "push ghcr.io/acme/podman-app:1", lambda: p.push("ghcr.io/acme/podman-app:1"),
                 audit, "allow")
        p.tag(ALPINE, "registry.unlisted.test/acme/podman-app:1")
        run.step("podman", "push registry.unlisted.test/acme/podman-app:1",
                 lambda: p.push("registry.unlisted.test/acme/podman-app:1"), audit, "registries",
                 "podman push unlisted registry")
        p.tag(ALPINE, "docker.io/randomuser/podman-app:1")
        run.step("podman", "push docker.io/randomuser/podman-app:1",
                 lambda: p.push("docker.io/randomuser/podman-app:1"), audit, "docker_hub.community",
                 "podman push community")
        imgs = p.images()
        run.check("podman: images listed", ALPINE in imgs, imgs)

        # ---- skopeo (same sandbox as podman)
        print("\n== skopeo 1.9")
        oci = "oci:%s/tmp/out:x" % p.dir
        run.step("skopeo", "copy --all docker://%s" % ALPINE,
                 lambda: p.skopeo("copy", "--all", "--src-cert-dir", p.cert_dir, "docker://" + ALPINE, oci),
                 audit, "allow")
        run.step("skopeo", "copy docker://" + TOOL,
                 lambda: p.skopeo("copy", "--src-cert-dir", p.cert_dir, "docker://" + TOOL, oci),
                 audit, "docker_hub.community", "skopeo copy community")
        run.step("skopeo", "copy docker://" + UNLISTED,
                 lambda: p.skopeo("copy", "--src-cert-dir", p.cert_dir, "docker://" + UNLISTED, oci),
                 audit, "registries", "skopeo copy unlisted registry")
        run.step("skopeo", "copy to docker://registry.unlisted.test/acme/skopeo-app:1",
                 lambda: p.skopeo("copy", "--dest-cert-dir", p.cert_dir, "oci:%s/img:latest" % scratch,
                                  "docker://registry.unlisted.test/acme/skopeo-app:1"),
                 audit, "registries", "skopeo push unlisted registry")
        p.close()
        launchers.remove(p)

        # ---- the dockerd traps
        if not args.skip_traps:
            print("\n== dockerd traps (demonstrations)")
            # dockerd trusting only the *public* CA must refuse pullgate's leaf...
            with dockerd.DockerDaemon(scratch, proxy, pubca) as bad:
                rc, out, err = bad.pull("ghcr.io/library/alpine:3.19")
                run.check("trap (a): dockerd verifies pullgate's certificate when ghcr.io does not "
                          "resolve (wrong CA => x509 error)", rc != 0 and "x509" in err, err)
            # ...unless the registry name resolves to loopback: then it skips verification.
            with dockerd.DockerDaemon(scratch, proxy, pubca, hosts_entries=["127.0.0.1 ghcr.io"]) as bad:
                rc, out, err = bad.pull("ghcr.io/library/alpine:3.19")
                run.check("trap (a): with ghcr.io -> 127.0.0.1 in /etc/hosts dockerd skips "
                          "certificate checks (wrong CA, pull still succeeds)", rc == 0, err or out)
            # Go clients never proxy loopback literals: a pull of 127.0.0.21:PORT goes direct.
            with dockerd.DockerDaemon(scratch, proxy, pgca,
                                      insecure_registries=["%s:%d" % (REG_ADDR, tls_port)]) as dd:
                off = audit.mark()
                rc, out, err = dd.pull("%s:%d/library/alpine:3.19" % (REG_ADDR, tls_port))
                recs = audit.since(off)
                run.check("trap (b): a loopback-literal registry bypasses the proxy (pull ok, no "
                          "audit record)", rc == 0 and not recs, "rc=%s %s\naudit: %s" % (rc, err, summarize(recs)))

        run.check("pullgate still running", pg.alive(), pg.log_tail())
    finally:
        for l in reversed(launchers):
            try:
                l.stop()
            except Exception as e:
                print("stop failed:", e)
        for dmn in reversed(daemons):
            dmn.stop(10)
        leftovers = [n for n in os.listdir(scratch) if n.startswith(("dockerd-", "containerd-", "podman-"))]
        run.check("launchers removed their temp dirs", not leftovers, leftovers)
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    after = host_state()
    diff = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    run.check("host state unchanged (%d watched items)" % len(before), not diff, diff)

    print("\n== timings")
    for k, v in run.timings.items():
        print("  %-32s %s" % (k, v))
    print("\n== denial texts (verbatim stderr)")
    for k, v in run.denials.items():
        print("--- %s\n%s" % (k, v))
    failed = [c for c in run.checks if not c["ok"]]
    print("\n%d checks, %d failed" % (len(run.checks), len(failed)))
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"checks": run.checks, "steps": run.steps, "denials": run.denials,
                       "timings": run.timings}, f, indent=2)
        print("report:", args.report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
