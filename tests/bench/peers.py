"""The four ways the benchmark reaches the registry.

- pullgate, with the configuration an operator would run: the registry
  listed, the policy enforcing (with rules), upstream TLS verified against
  the registry's root (`upstream.ca_file`), the name mapped to the loopback
  registry (`upstream.resolve`), the audit log written to a file.
- Squid 5 (Debian's squid-openssl) bumping every CONNECT with its own CA
  (`ssl_bump bump all`, leaves minted by security_file_certgen), verifying
  the registry (`tls_outgoing_options cafile=`, `sslproxy_cert_error deny
  all`), with caching off (`cache deny all`: pullgate does not cache, and
  a cache would answer the repeated GETs without the registry), and its
  access log written to a file.
- mitmdump (Debian's mitmproxy) with its own CA, verifying the registry
  (`ssl_verify_upstream_trusted_ca`), streaming bodies over 1 MiB instead
  of holding them, and its per-flow log written to a file.
- direct: no proxy; clients connect to the registry's address themselves.

Every proxy gets its own loopback address and port, and maps the
registry's names to the registry's address without touching /etc/hosts:
pullgate with upstream.resolve, Squid with a private hosts_file, mitmdump
with a small addon (mitm_resolve.py).
"""

import os
import pwd
import shutil
import socket
import time

import proctree
from harness import net, pki, procs, proxy

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY_HOST = "registry.bench.example"
# Fresh names for "a new host's first handshake"; the registry's
# certificate covers them with *.HOSTS_SUFFIX.
HOSTS_SUFFIX = "hosts.bench.example"
READY_TIMEOUT = 30


class Upstream:
    """What every peer needs to know about the registry: its loopback
    `address` (port 443), the root that verifies it, and the host names
    that lead to it."""

    def __init__(self, address, public_ca, names):
        self.address = address
        self.public_ca = public_ca
        self.names = names


def _wait_ready(process, ready, what):
    """Poll `ready` every millisecond until it is true."""
    deadline = time.perf_counter() + READY_TIMEOUT
    while not ready():
        if not process.running():
            raise AssertionError(f"{what} exited with {process.returncode()} while starting\n"
                                 + process.log_tail())
        if time.perf_counter() > deadline:
            raise AssertionError(f"{what} not ready after {READY_TIMEOUT}s\n" + process.log_tail())
        time.sleep(0.001)


def _port_open(address, port):
    try:
        with socket.create_connection((address, port), timeout=0.2):
            return True
    except OSError:
        return False


class Peer:
    """A proxy process (or, for direct, none). Subclasses set `name`,
    write their configuration in __init__ and implement `_spawn` and
    `_ready`."""

    name = "?"
    proxied = True

    def __init__(self, workdir, upstream):
        self.workdir = os.path.join(workdir, self.name)
        os.makedirs(self.workdir, exist_ok=True)
        self.upstream = upstream
        self.address = net.loopback_address()
        self.port = net.free_port(self.address)
        self.process = None
        self.starts = 0

    @property
    def endpoint(self):
        return f"{self.address}:{self.port}"

    @property
    def pid(self):
        return self.process.pid

    def start(self):
        """Start the proxy; returns seconds from spawn to ready."""
        self.starts += 1
        start = time.perf_counter()
        self.process = self._spawn()
        _wait_ready(self.process, self._ready, self.name)
        return time.perf_counter() - start

    def stop(self):
        if self.process:
            self.process.stop()
            self.process = None

    def restart(self):
        self.stop()
        return self.start()

    def client_ca(self):
        """The CA a client must trust to talk through this peer."""
        raise NotImplementedError

    def cert_dir(self):
        """A directory with client_ca() as ca.crt, for skopeo."""
        return pki.cert_dir(os.path.join(self.workdir, "client-certs"), self.client_ca())

    # -- how clients reach the registry through this peer ---------------
    def curl_args(self):
        return ["--proxy", f"http://{self.endpoint}", "--cacert", self.client_ca()]

    def loadgen_args(self):
        return ["--proxy", self.endpoint, "--cafile", self.client_ca()]

    def skopeo(self, repository):
        """(source reference, proxy URL, certificate directory)."""
        return (f"docker://{REGISTRY_HOST}/{repository}", f"http://{self.endpoint}",
                self.cert_dir())

    # -- cost ------------------------------------------------------------
    def cpu_seconds(self):
        return proctree.cpu_seconds(self.pid)

    def rss_kib(self):
        return proctree.rss_kib(self.pid)


class Pullgate(Peer):
    name = "pullgate"

    def __init__(self, workdir, upstream):
        super().__init__(workdir, upstream)
        self.admin = (self.address, net.free_port(self.address))
        ca_dir = os.path.join(self.workdir, "ca")
        # The CA exists before the first start, so "startup to ready" never
        # includes creating it.
        proxy.run_cli("ca", "init", "--dir", ca_dir, check=True)
        self.config = {
            "listen": self.endpoint,
            "admin": f"{self.admin[0]}:{self.admin[1]}",
            "tls": {"ca_cert": os.path.join(ca_dir, "ca.crt"),
                    "ca_key": os.path.join(ca_dir, "ca.key")},
            "upstream": {"ca_file": upstream.public_ca,
                         "resolve": {f"{n}:443": f"{upstream.address}:443"
                                     for n in upstream.names}},
            "audit_log": os.path.join(self.workdir, "audit.log"),
            "policy": {
                "mode": "enforce",
                "registries": [REGISTRY_HOST, f"*.{HOSTS_SUFFIX}"],
                "rules": [
                    {"image": f"{REGISTRY_HOST}/bench/*", "action": "allow", "name": "bench"},
                    {"image": f"{REGISTRY_HOST}/*", "action": "deny", "name": "others",
                     "reason": "only bench/ images"},
                ],
            },
        }
        self.config_path = os.path.join(self.workdir, "pullgate.yaml")
        proxy.write_config(self.config_path, self.config)

    def _spawn(self):
        return procs.Process([proxy.binary(), "serve", "--config", self.config_path],
                             name=f"pullgate-{self.starts}", log_dir=self.workdir,
                             cwd=self.workdir)

    def _ready(self):
        return proxy.http_get(*self.admin, "/readyz", timeout=1)[0] == 200

    def client_ca(self):
        return self.config["tls"]["ca_cert"]


SQUID_CONF = """\
http_port {endpoint} ssl-bump generate-host-certificates=on \
dynamic_cert_mem_cache_size=16MB tls-cert={ca_cert} tls-key={ca_key}
sslcrtd_program {certgen} -s {dir}/ssl_db -M 16MB
sslcrtd_children 8 startup=2 idle=1
ssl_bump bump all
tls_outgoing_options cafile={public_ca}
sslproxy_cert_error deny all
hosts_file {dir}/hosts
acl bench_clients src 127.0.0.0/8
acl SSL_ports port 443
acl CONNECT method CONNECT
http_access deny CONNECT !SSL_ports
http_access allow bench_clients
http_access deny all
cache deny all
access_log stdio:{dir}/access.log
cache_log {dir}/cache.log
pid_filename {dir}/squid.pid
coredump_dir {dir}
netdb_filename none
pinger_enable off
max_filedescriptors 65536
shutdown_lifetime 1 seconds
visible_hostname pullgate-bench
"""

CERTGEN = "/usr/lib/squid/security_file_certgen"


class Squid(Peer):
    name = "squid"

    def __init__(self, workdir, upstream):
        super().__init__(workdir, upstream)
        self.ca = pki.CertificateAuthority(os.path.join(self.workdir, "ca"),
                                           name="squid bench ssl-bump CA")
        with open(os.path.join(self.workdir, "hosts"), "w") as f:
            f.write(f"{upstream.address} {' '.join(upstream.names)}\n")
        procs.run([CERTGEN, "-c", "-s", os.path.join(self.workdir, "ssl_db"), "-M", "16MB"], 30)
        self.conf = os.path.join(self.workdir, "squid.conf")
        with open(self.conf, "w") as f:
            f.write(SQUID_CONF.format(endpoint=self.endpoint, ca_cert=self.ca.cert_path,
                                      ca_key=self.ca.key_path, certgen=CERTGEN,
                                      dir=self.workdir, public_ca=upstream.public_ca))
        # Squid started as root works as cache_effective_user (proxy): its
        # logs, certificate database and CA must be that user's.
        user = pwd.getpwnam("proxy")
        for root, dirs, files in os.walk(self.workdir):
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
        os.chown(self.workdir, user.pw_uid, user.pw_gid)

    def _spawn(self):
        # -N: foreground, no SMP workers; helpers are its children.
        return procs.Process(["squid", "-N", "-f", self.conf], name=f"squid-{self.starts}",
                             log_dir=self.workdir, cwd=self.workdir)

    def _ready(self):
        return _port_open(self.address, self.port)

    def client_ca(self):
        return self.ca.cert_path


class Mitmproxy(Peer):
    name = "mitmproxy"

    def __init__(self, workdir, upstream):
        super().__init__(workdir, upstream)
        self.confdir = os.path.join(self.workdir, "confdir")
        os.makedirs(self.confdir, exist_ok=True)
        names = ",".join([f"{REGISTRY_HOST}={upstream.address}",
                          f"*.{HOSTS_SUFFIX}={upstream.address}"])
        self.args = [
            "mitmdump", "--listen-host", self.address, "--listen-port", str(self.port),
            "--set", f"confdir={self.confdir}",
            "--set", f"ssl_verify_upstream_trusted_ca={upstream.public_ca}",
            "--set", "connection_strategy=lazy",
            "--set", "stream_large_bodies=1m",
            "-s", os.path.join(HERE, "mitm_resolve.py"), "--set", f"bench_resolve={names}",
        ]

    def _spawn(self):
        return procs.Process(self.args, name=f"mitmdump-{self.starts}", log_dir=self.workdir,
                             env=procs.clean_env({"HOME": self.workdir}))

    def _ready(self):
        return _port_open(self.address, self.port)

    def client_ca(self):
        # Written by mitmdump on its first start.
        return os.path.join(self.confdir, "mitmproxy-ca-cert.pem")


class Direct(Peer):
    """No proxy: the client resolves the name to the registry itself."""

    name = "direct"
    proxied = False

    def start(self):
        return None

    def stop(self):
        pass

    def client_ca(self):
        return self.upstream.public_ca

    def curl_args(self):
        return ["--resolve", f"{REGISTRY_HOST}:443:{self.upstream.address}",
                "--cacert", self.client_ca()]

    def loadgen_args(self):
        return ["--direct", f"{self.upstream.address}:443", "--cafile", self.client_ca()]

    def skopeo(self, repository):
        # skopeo has no --resolve; the registry's certificate also names
        # its address.
        return f"docker://{self.upstream.address}/{repository}", None, self.cert_dir()


PEERS = {"pullgate": Pullgate, "squid": Squid, "mitmproxy": Mitmproxy, "direct": Direct}


def missing_tools(names):
    """The programs the chosen peers and workloads need that are not
    installed."""
    wanted = ["docker-registry", "skopeo", "curl", "openssl", "g++"]
    if "squid" in names:
        wanted += ["squid", CERTGEN]
    if "mitmproxy" in names:
        wanted.append("mitmdump")
    return [t for t in wanted if not (shutil.which(t) or os.access(t, os.X_OK))]
