"""A private Docker Engine (dockerd 20.10 from Debian's docker.io) that pulls through pullgate.

    with DockerDaemon(workdir, "http://127.0.0.1:3128", "pg/ca.crt",
                      insecure_registries=["registry.plain.test:5080"]) as d:
        rc, out, err = d.pull("docker.io/library/alpine:3.19")

What it runs (see start()):

1. a private containerd (containerd.Containerd: own config, root, state and
   socket, CRI and the /opt plugin disabled), handed to dockerd with
   `--containerd SOCK` -- so dockerd never looks for, or starts, a containerd
   that uses /run/containerd or creates /opt/containerd;
2. `dockerd --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false
   --bridge=none --storage-driver=vfs --data-root D --exec-root E --pidfile P
   -H unix://SOCK --config-file F --containerd SOCK` inside
   `unshare --mount --propagation private` with
     - tmpfs on /run                  (dockerd creates /run/docker/plugins)
     - a temp dir bound on /etc/docker  (dockerd writes /etc/docker/key.json)
     - a private /etc/hosts with only localhost: trap (a) -- dockerd treats a
       registry whose name resolves into 127.0.0.0/8 as insecure and skips
       certificate checks; behind a proxy it never needs to resolve registries
     - a private /etc/resolv.conf (nameserver 127.0.0.1, timeout 1, attempts 1)
       so the lookups dockerd does for non-Hub registries fail at once
   and the environment HTTPS_PROXY=HTTP_PROXY=PROXY, NO_PROXY="" and
   SSL_CERT_FILE=pullgate's CA, and /proc/sys read-only (for Docker Hub dockerd uses only the system
   pool -- certs.d is not consulted for docker.io -- so SSL_CERT_FILE is the
   one knob that works for every registry). `--ip-forward=false` matters: by
   default dockerd writes 1 to the host's /proc/sys/net/ipv4/ip_forward even
   with --bridge=none.

dockerd 20.10 pulls with its own (graphdriver) image store, in the dockerd
process: the proxy environment belongs to dockerd, not to the CLI. The CLI
(/usr/bin/docker, the Debian 20.10 one, unless docker_cli= says otherwise) gets
a private DOCKER_CONFIG and no proxy variables.

Name registries by host name (registry-1.docker.io, ghcr.io,
registry.unlisted.test): Go never sends localhost or loopback literals
through a proxy (trap (b)).
"""

import json
import os
import shutil
import socket
import tempfile
import time

try:
    from . import containerd as _ctd
except ImportError:  # imported as a top-level module (harness dir on sys.path)
    import containerd as _ctd

CommandTimeout = _ctd.CommandTimeout
StartError = _ctd.StartError

__all__ = ["DockerDaemon", "CommandTimeout", "StartError"]


def _default_cli():
    # The Debian package's CLI matches the daemon; a newer /usr/local/bin/docker
    # would also work (it negotiates API 1.41) but prints errors its own way.
    for c in ("/usr/bin/docker", shutil.which("docker")):
        if c and os.access(c, os.X_OK):
            return c
    raise FileNotFoundError("docker CLI not found")


def _http_unix_get(sock, path, timeout=2):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(("GET %s HTTP/1.0\r\nHost: docker\r\n\r\n" % path).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, body
    finally:
        s.close()


class DockerDaemon:
    def __init__(self, workdir, proxy_url, ca_file, insecure_registries=(),
                 registry_mirrors=(), extra_args=(), env=None, dockerd_bin="dockerd",
                 docker_cli=None, start_timeout=60, stop_timeout=30, keep=False,
                 log_level="info", hosts_entries=()):
        """workdir: parent for our temp dir (removed by stop() unless keep).
        proxy_url: http://127.0.0.1:PORT, or None for no proxy (e.g. to prove a point).
        ca_file: PEM file dockerd trusts (SSL_CERT_FILE) -- pullgate's CA.
        insecure_registries: e.g. ["registry.plain.test:5080"]: dockerd then tries
            HTTPS and falls back to plain HTTP (pullgate refuses the client's TLS
            for a plain-HTTP upstream so that the fallback happens).
        env: extra environment for dockerd.
        hosts_entries: extra "ADDRESS NAME..." lines for dockerd's private /etc/hosts --
            only to demonstrate trap (a); never give registry names a loopback address
            in a real test, dockerd would then skip certificate verification."""
        self.workdir = workdir
        self.proxy_url = proxy_url
        self.ca_file = ca_file
        self.insecure_registries = list(insecure_registries)
        self.registry_mirrors = list(registry_mirrors)
        self.extra_args = list(extra_args)
        self.extra_env = dict(env or {})
        self.dockerd_bin = dockerd_bin
        self.docker_cli = docker_cli or _default_cli()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.keep = keep
        self.log_level = log_level
        self.hosts_entries = list(hosts_entries)
        self.dir = None
        self.sock = None
        self.containerd = None
        self.daemon = None
        self.startup_seconds = None          # dockerd alone, until /_ping answers
        self.containerd_startup_seconds = None
        self._sockdir_created = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        if not os.path.isdir("/etc/docker"):
            raise FileNotFoundError("/etc/docker is missing: the docker.io package creates it; "
                                    "we bind a private directory over it")
        os.makedirs(self.workdir, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="dockerd-", dir=self.workdir)
        _ctd.register_owner(self)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        d = self.dir
        self.containerd = _ctd.Containerd(d, keep=True)  # removed with self.dir
        self.containerd.start()
        _ctd.unregister_owner(self.containerd)  # ours: stopped after dockerd, by stop()
        self.containerd_startup_seconds = self.containerd.startup_seconds

        sockdir, created = _ctd.short_socket_dir(d, "pg-dockerd-")
        self._sockdir_created = sockdir if created else None
        self.sock = os.path.join(sockdir, "docker.sock")
        for sub in ("data", "exec", "etc-docker", "cli-config"):
            os.makedirs(os.path.join(d, sub), mode=0o700)
        with open(os.path.join(d, "hosts"), "w") as f:
            # Deliberately no registry names (trap (a) above).
            f.write("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
            for line in self.hosts_entries:
                f.write(line.rstrip("\n") + "\n")
        with open(os.path.join(d, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        conf = os.path.join(d, "daemon.json")
        with open(conf, "w") as f:
            json.dump({}, f)  # everything is on the command line; keeps /etc/docker/daemon.json out
        ca_bundle = None
        if self.ca_file:
            ca_bundle = os.path.join(d, "ca-bundle.crt")
            shutil.copyfile(self.ca_file, ca_bundle)

        argv = [self.dockerd_bin,
                "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
                "--bridge=none", "--storage-driver=vfs",
                "--data-root", os.path.join(d, "data"),
                "--exec-root", os.path.join(d, "exec"),
                "--pidfile", os.path.join(d, "docker.pid"),
                "-H", "unix://" + self.sock,
                "--config-file", conf,
                "--containerd", self.containerd.sock,
                "--containerd-namespace", "moby",
                "--containerd-plugins-namespace", "plugins.moby",
                "--log-level", self.log_level]
        for r in self.insecure_registries:
            argv += ["--insecure-registry", r]
        for m in self.registry_mirrors:
            argv += ["--registry-mirror", m]
        argv += self.extra_args

        env = _ctd.proxy_env(self.proxy_url)
        if ca_bundle:
            env["SSL_CERT_FILE"] = ca_bundle
        env.update(self.extra_env)
        binds = [(os.path.join(d, "etc-docker"), "/etc/docker"),
                 (os.path.join(d, "hosts"), "/etc/hosts")]
        if not os.path.realpath("/etc/resolv.conf").startswith("/run/"):
            binds.append((os.path.join(d, "resolv.conf"), "/etc/resolv.conf"))
        # else: resolv.conf is a symlink into /run (systemd-resolved), which our
        # tmpfs hides: Go then falls back to 127.0.0.1:53, just as good.
        # /proc/sys read-only: dockerd writes sysctls it thinks it needs (ip_forward,
        # kernel/keys/root_maxkeys when below 1000000); they are the host's.
        wrapped = _ctd.ns_argv(argv, binds=binds, tmpfs=["/run"], readonly=["/proc/sys"])
        self.daemon = _ctd.Daemon("dockerd", wrapped, env, os.path.join(d, "dockerd.log"))
        t0 = time.monotonic()
        self.daemon.start()
        self.daemon.wait_until(lambda: _http_unix_get(self.sock, "/_ping")[0] == 200,
                               self.start_timeout, "answer to /_ping on " + self.sock)
        self.startup_seconds = time.monotonic() - t0

    def stop(self):
        if self.daemon is not None:
            self.daemon.stop(self.stop_timeout)
            self.daemon = None
        if self.containerd is not None:
            self.containerd.stop()
            self.containerd = None
        if self._sockdir_created:
            shutil.rmtree(self._sockdir_created, ignore_errors=True)
            self._sockdir_created = None
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        _ctd.unregister_owner(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        """dockerd's log so far (its registry errors are there, at level info/error)."""
        return self.daemon.log_tail(100000) if self.daemon else ""

    # -- docker CLI --------------------------------------------------------
    def docker(self, *args, timeout=120):
        """Run `docker -H unix://SOCK ARGS...`; (rc, stdout, stderr)."""
        env = _ctd.clean_env({"DOCKER_CONFIG": os.path.join(self.dir, "cli-config")})
        env.pop("DOCKER_HOST", None)
        env.pop("DOCKER_CONTEXT", None)
        return _ctd.run_cmd([self.docker_cli, "-H", "unix://" + self.sock] + list(args),
                            env=env, timeout=timeout)

    def pull(self, image, timeout=120, platform=None, all_tags=False, quiet=False):
        """docker pull IMAGE. A denial reads (stderr):
        `Error response from daemon: pull access denied for NAME, repository does not
        exist or may require 'docker login': denied: pullgate: ...`"""
        args = ["pull"]
        if platform:
            args += ["--platform", platform]
        if all_tags:
            args.append("--all-tags")
        if quiet:
            args.append("--quiet")
        return self.docker(*(args + [image]), timeout=timeout)

    def push(self, image, timeout=120):
        return self.docker("push", image, timeout=timeout)

    def tag(self, src, dst, timeout=60):
        return self.docker("tag", src, dst, timeout=timeout)

    def rmi(self, *images, timeout=60):
        return self.docker("rmi", "--force", *images, timeout=timeout)

    def images(self, timeout=60):
        """["repo:tag", ...] of the images in this daemon (untagged ones as repo@digest or id)."""
        rc, out, err = self.docker("images", "--no-trunc", "--format",
                                   "{{.Repository}}:{{.Tag}}|{{.ID}}", timeout=timeout)
        if rc != 0:
            raise RuntimeError("docker images failed: %s" % err)
        names = []
        for line in out.splitlines():
            name, _, iid = line.partition("|")
            names.append(iid if name == "<none>:<none>" else name)
        return names

    def image_id(self, image, timeout=60):
        rc, out, err = self.docker("image", "inspect", "--format", "{{.Id}}", image,
                                   timeout=timeout)
        return out.strip() if rc == 0 else None
