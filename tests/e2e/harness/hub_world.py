"""A small internet with token authentication: Docker Hub, ghcr.io, an
unlisted registry and a plain-HTTP one, each holding known images.

World (world.py) plays Docker Hub with an open registry; the real one
asks for a bearer token first, and pullgate decides that token request
by its scopes (SPEC "What is checked"). Here every registry that has one
on the internet has token authentication:

- Docker Hub: Debian's docker-registry with `auth: token:` (realm
  https://auth.docker.io/token, service registry.docker.io) answering under
  registry-1.docker.io and index.docker.io, and the token stand-in
  (token_server.py, TLS) under auth.docker.io;
- ghcr.io: another docker-registry with realm https://ghcr.io/token, on
  the same host name as the registry, as on the real ghcr.io. Debian's
  haproxy terminates TLS for ghcr.io and sends /token to a second token
  stand-in and everything else to the registry, so pullgate must learn the
  realm from the 401 on /v2/ to know that ghcr.io/token is a token request;
- registry.unlisted.test: an open TLS registry that no policy lists;
- registry.plain.test:PORT: an open plain-HTTP registry.

All certificates come from one throwaway "public" root; pullgate reaches
every name through `upstream.resolve` and trusts the root through
`upstream.ca_file`, as an operator would for a private registry.

Images are pushed straight to the registries with skopeo (no proxy).
The token-authenticated registries are seeded before their authentication
is switched on (a restart on the same storage), so seeding needs no token.
Each image has its own random layer, so no client can skip a download
because it already holds a layer from another image.
"""

import json
import os
import sys

from . import image, net, pki, procs, proxy
from .registry import Registry

HUB = "registry-1.docker.io"
HUB_NAMES = [HUB, "index.docker.io"]
HUB_AUTH = "auth.docker.io"
GHCR = "ghcr.io"
UNLISTED = "registry.unlisted.test"
PLAIN = "registry.plain.test"

HUB_SERVICE = "registry.docker.io"
HUB_REALM = f"https://{HUB_AUTH}/token"
GHCR_REALM = f"https://{GHCR}/token"

# The one Docker Hub account the token stand-in knows.
HUB_USER = "pullgate-e2e-user"
HUB_PASSWORD = "Pw-4be0c2e7-never-logged"

START_TIMEOUT = 20

# name -> (registry, repository, tag, multi-arch); categories as the
# default policy below sees them.
IMAGES = {
    "official": ("hub", "library/alpine", "3.19", True),
    "verified_publisher": ("hub", "bitnami/redis", "7", False),
    "sponsored_oss": ("hub", "jenkins/agent", "1", False),
    "organization": ("hub", "acme/app", "1", False),
    "community": ("hub", "randomuser/tool", "latest", False),
    "ghcr_allowed": ("ghcr", "acme/app", "1", False),
    "ghcr_denied": ("ghcr", "other/app", "1", False),
    "unlisted": ("unlisted", "tools/app", "1", False),
    "plain": ("plain", "team/app", "1", False),
}

# How HubWorld.policy() decides each of IMAGES: (category, rule, allowed).
DECISIONS = {
    "official": ("official", "docker_hub.official", True),
    "verified_publisher": ("verified_publisher", "docker_hub.verified_publishers", True),
    "sponsored_oss": ("sponsored_oss", "docker_hub.sponsored_oss", True),
    "organization": ("organization", "docker_hub.organizations", True),
    "community": ("community", "docker_hub.community", False),
    "ghcr_allowed": (None, "acme-ghcr", True),
    "ghcr_denied": (None, "ghcr-others", False),
    "unlisted": (None, "registries", False),
    "plain": (None, "default", True),
}


def signing_certificate(directory, name):
    """A self-signed RSA certificate for signing tokens (RS256): the token
    stand-in signs with its key, docker-registry trusts it as its
    rootcertbundle."""
    os.makedirs(directory, exist_ok=True)
    key = os.path.join(directory, f"{name}.key")
    cert = os.path.join(directory, f"{name}.crt")
    pki.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                "-days", "2", "-subj", f"/CN={name}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,digitalSignature,keyCertSign")
    os.chmod(key, 0o600)
    return pki.Certificate(cert, key)


class TokenRegistry(Registry):
    """docker-registry with `auth: token:` once `token_auth` is set (it
    starts without, for seeding; enable_token_auth() restarts it)."""

    def __init__(self, workdir, *, realm, service, issuer, signing_cert, **kwargs):
        super().__init__(workdir, **kwargs)
        self.realm, self.service, self.issuer = realm, service, issuer
        self.signing_cert = signing_cert
        self.token_auth = False

    def config(self):
        config = super().config()
        if self.token_auth:
            config["auth"] = {"token": {"realm": self.realm, "service": self.service,
                                        "issuer": self.issuer,
                                        "rootcertbundle": self.signing_cert.cert_path}}
            if not self.tls:
                # Behind a TLS front: build upload URLs for https.
                config["http"]["host"] = f"https://{GHCR}"
        return config

    def start(self):
        path = os.path.join(self.workdir, "config.yml")
        with open(path, "w") as f:
            json.dump(self.config(), f, indent=2)
        self.process = procs.Process(["docker-registry", "serve", path], name=self.name,
                                     log_dir=self.workdir)
        net.wait_for_port(self.address, self.port, START_TIMEOUT, process=self.process)
        expected = 401 if self.token_auth else 200
        net.wait_until(lambda: self._ping() == expected, START_TIMEOUT,
                       f"{self.name} to answer GET /v2/ with {expected}", process=self.process)
        return self

    def enable_token_auth(self):
        self.stop()
        self.token_auth = True
        return self.start()


class TokenServer:
    """The token stand-in (token_server.py) as a server process."""

    def __init__(self, workdir, *, name, service, issuer, signing_cert, tls=None, address=None):
        self.name = name
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        self.address = address or net.loopback_address()
        self.port = net.free_port(self.address)
        self.service, self.issuer, self.tls = service, issuer, tls
        self.signing_cert = signing_cert
        self.requests_log = os.path.join(self.workdir, "requests.jsonl")
        self.process = None

    @property
    def endpoint(self):
        return f"{self.address}:{self.port}"

    def start(self):
        args = [sys.executable, os.path.join(os.path.dirname(__file__), "token_server.py"),
                "--listen", self.endpoint, "--signing-key", self.signing_cert.key_path,
                "--signing-cert", self.signing_cert.cert_path, "--issuer", self.issuer,
                "--service", self.service, "--account", f"{HUB_USER}:{HUB_PASSWORD}",
                "--requests-log", self.requests_log]
        if self.tls:
            args += ["--tls-cert", self.tls.cert_path, "--tls-key", self.tls.key_path]
        self.process = procs.Process(args, name=self.name, log_dir=self.workdir)
        net.wait_for_port(self.address, self.port, START_TIMEOUT, process=self.process)
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def requests(self):
        """Every token request it answered so far (JSON lines)."""
        try:
            with open(self.requests_log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []


class TlsFront:
    """Debian's haproxy terminating TLS for one host name, routing the
    path /token to one backend and everything else to another: ghcr.io's
    layout (registry and token service on one host)."""

    def __init__(self, workdir, *, name, cert, token_backend, registry_backend):
        self.name = name
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        self.address = net.loopback_address()
        self.port = net.free_port(self.address)
        self.pem = os.path.join(self.workdir, "front.pem")
        with open(self.pem, "w") as out:
            for path in (cert.cert_path, cert.key_path):
                with open(path) as f:
                    out.write(f.read())
        os.chmod(self.pem, 0o600)
        self.config_path = os.path.join(self.workdir, "haproxy.cfg")
        with open(self.config_path, "w") as f:
            f.write(f"""\
global
    log stdout format raw local0
    maxconn 512
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend front
    bind {self.endpoint} ssl crt {self.pem}
    http-request set-header X-Forwarded-Proto https
    use_backend token if {{ path /token }}
    default_backend registry
backend token
    server token {token_backend}
backend registry
    server registry {registry_backend}
""")
        self.process = None

    @property
    def endpoint(self):
        return f"{self.address}:{self.port}"

    def start(self):
        procs.run(["haproxy", "-c", "-q", "-f", self.config_path], 20)
        self.process = procs.Process(["haproxy", "-db", "-f", self.config_path], name=self.name,
                                     log_dir=self.workdir)
        net.wait_for_port(self.address, self.port, START_TIMEOUT, process=self.process)
        return self

    def stop(self):
        if self.process:
            self.process.stop()


def policy(mode="enforce", *, ghcr=True, plain_name=None):
    """The policy the issue-3 tests start from: Docker Hub's categories as
    Docker Business sets them up (community denied; bitnami a verified
    publisher, jenkins sponsored open source, acme the organization),
    ghcr.io with one organization allowed by a rule and the rest of it
    denied by another, the plain registry listed, registry.unlisted.test
    not. DECISIONS says how it decides IMAGES."""
    registries = ["docker.io"]
    if ghcr:
        registries.append(GHCR)
    if plain_name:
        registries.append(plain_name)
    rules = [
        {"image": "ghcr.io/acme/*", "name": "acme-ghcr", "action": "allow"},
        {"image": "ghcr.io/*", "name": "ghcr-others", "action": "deny",
         "reason": "only acme's images may come from ghcr.io"},
    ] if ghcr else []
    return {
        "mode": mode,
        "registries": registries,
        "docker_hub": {
            "official": True, "verified_publishers": True, "sponsored_oss": True,
            "organizations": ["acme"], "community": False,
            "verified_publisher_namespaces": ["bitnami"],
            "sponsored_oss_namespaces": ["jenkins"],
        },
        "rules": rules,
    }


class HubWorld:
    """Everything above, started, with the IMAGES pushed. `layouts` maps
    an IMAGES name to its image.Layout (digests, blobs). `extra` lets a
    test add its own images before authentication is switched on:
    {name: (registry key, repository, layout)}.

    Stop it with stop() (SharedWorldTestCase: addClassCleanup)."""

    def __init__(self, workdir, *, layer_size=2048, extra=None, ghcr=True, unlisted=True,
                 plain=True, extra_blobs=()):
        self.workdir = workdir
        self._stoppable = []
        self.public_ca = pki.CertificateAuthority(os.path.join(workdir, "public-ca"))
        self.public_cert_dir = pki.cert_dir(os.path.join(workdir, "public-certs"),
                                            self.public_ca.cert_path)
        keys = os.path.join(workdir, "token-keys")
        self.registries = {}
        self.token_servers = {}
        self.resolve = {}
        try:
            # Docker Hub: registry and token service on their own names.
            hub_signing = signing_certificate(keys, "hub-token-signer")
            address = net.loopback_address()
            cert = self.public_ca.issue(HUB, dns=HUB_NAMES, ips=[address], file_stem="hub")
            self.hub = self._start(TokenRegistry(
                workdir, address=address, tls=cert, ca_file=self.public_ca.cert_path,
                name="hub-registry", realm=HUB_REALM, service=HUB_SERVICE,
                issuer="auth.docker.io stand-in", signing_cert=hub_signing))
            self.registries["hub"] = self.hub
            self.hub_token = TokenServer(
                workdir, name="hub-token", service=HUB_SERVICE,
                issuer="auth.docker.io stand-in", signing_cert=hub_signing,
                tls=self.public_ca.issue(HUB_AUTH, file_stem="hub-auth"))
            self.token_servers["hub"] = self.hub_token
            for n in HUB_NAMES:
                self.resolve[f"{n}:443"] = self.hub.endpoint
            self.resolve[f"{HUB_AUTH}:443"] = self.hub_token.endpoint

            if ghcr:
                ghcr_signing = signing_certificate(keys, "ghcr-token-signer")
                self.ghcr = self._start(TokenRegistry(
                    workdir, name="ghcr-registry", realm=GHCR_REALM, service=GHCR,
                    issuer="ghcr.io stand-in", signing_cert=ghcr_signing))
                self.registries["ghcr"] = self.ghcr
                self.ghcr_token = TokenServer(workdir, name="ghcr-token", service=GHCR,
                                              issuer="ghcr.io stand-in",
                                              signing_cert=ghcr_signing)
                self.token_servers["ghcr"] = self.ghcr_token
            if unlisted:
                address = net.loopback_address()
                self.unlisted = self._start(Registry(
                    workdir, address=address, tls=self.public_ca.issue(UNLISTED, ips=[address]),
                    ca_file=self.public_ca.cert_path, name="unlisted-registry"))
                self.registries["unlisted"] = self.unlisted
                self.resolve[f"{UNLISTED}:443"] = self.unlisted.endpoint
            if plain:
                self.plain = self._start(Registry(workdir, name="plain-registry"))
                self.registries["plain"] = self.plain
                self.plain_name = f"{PLAIN}:{self.plain.port}"
                self.resolve[self.plain_name] = self.plain.endpoint

            self.layouts = {}
            self.locations = {}
            for name, (where, repository, tag, multiarch) in IMAGES.items():
                if where not in self.registries:
                    continue
                path = os.path.join(workdir, "images", name)
                make = image.make_multiarch_image if multiarch else image.make_image
                layout = make(path, tag=tag, layer_size=layer_size)
                self._push(layout, where, repository)
                self.layouts[name] = layout
                self.locations[name] = (where, repository, tag)
            for name, (where, repository, layout) in (extra or {}).items():
                self._push(layout, where, repository)
                self.layouts[name] = layout
                self.locations[name] = (where, repository, layout.tag)
            for where, repository, path in extra_blobs:
                self.registries[where].upload_blob(repository, path)

            # Authentication on, and the token services up.
            self.hub.enable_token_auth()
            self._start(self.hub_token)
            if ghcr:
                self.ghcr.enable_token_auth()
                self._start(self.ghcr_token)
                self.ghcr_front = self._start(TlsFront(
                    workdir, name="ghcr-front", cert=self.public_ca.issue(GHCR, file_stem="ghcr"),
                    token_backend=self.ghcr_token.endpoint,
                    registry_backend=self.ghcr.endpoint))
                self.resolve[f"{GHCR}:443"] = self.ghcr_front.endpoint
        except BaseException:
            self.stop()
            raise

    def _start(self, thing):
        thing.start()
        if thing not in self._stoppable:
            self._stoppable.append(thing)
        return thing

    def _push(self, layout, where, repository):
        registry = self.registries[where]
        if registry.tls:
            image.push_direct(layout, registry, repository, cert_dir=self.public_cert_dir,
                              workdir=self.workdir)
        else:
            image.skopeo_copy(layout.reference,
                              f"docker://{registry.endpoint}/{repository}:{layout.tag}",
                              workdir=self.workdir, all_images=layout.media_type == image.INDEX,
                              extra=["--dest-tls-verify=false"])

    def processes(self):
        """The server processes, for E2ETestCase.watch()."""
        return [t.process for t in self._stoppable if getattr(t, "process", None)]

    def stop(self):
        for thing in reversed(self._stoppable):
            thing.stop()

    # -- names ---------------------------------------------------------
    def place(self, where):
        """(registry as pullgate names it, host of its API, host of its
        token service or None, plain HTTP?) of a registry key."""
        return {
            "hub": ("docker.io", HUB, HUB_AUTH, False),
            "ghcr": (GHCR, GHCR, GHCR, False),
            "unlisted": (UNLISTED, UNLISTED, None, False),
            "plain": (getattr(self, "plain_name", PLAIN), PLAIN, None, True),
        }[where]

    def reference(self, name):
        """The full image reference of IMAGES[name] (or an extra image), as
        a person types it after `docker pull`."""
        where, repository, tag = self.locations[name]
        host = {"hub": "docker.io", "ghcr": GHCR, "unlisted": UNLISTED,
                "plain": getattr(self, "plain_name", PLAIN)}[where]
        return f"{host}/{repository}:{tag}"

    # -- pullgate ------------------------------------------------------
    def policy(self, mode="enforce"):
        """policy() for the registries this world runs."""
        return policy(mode, ghcr=hasattr(self, "ghcr"),
                      plain_name=getattr(self, "plain_name", None))

    def pullgate_config(self, workdir, name="pullgate", mode="enforce", **overrides):
        address = net.loopback_address()
        home = os.path.join(workdir, name)
        config = {
            "listen": f"{address}:{net.free_port(address)}",
            "admin": f"{address}:{net.free_port(address)}",
            "tls": {"ca_cert": os.path.join(home, "ca", "ca.crt"),
                    "ca_key": os.path.join(home, "ca", "ca.key")},
            "upstream": {"ca_file": self.public_ca.cert_path, "resolve": dict(self.resolve)},
            "audit_log": os.path.join(home, "audit.log"),
            "policy": self.policy(mode),
            "limits": {"connect_timeout": "5s", "handshake_timeout": "5s", "drain": "20s"},
        }
        config.update(overrides)
        return config

    def start_pullgate(self, workdir, name="pullgate", mode="enforce", **overrides):
        return proxy.Pullgate(workdir, self.pullgate_config(workdir, name, mode, **overrides),
                              name=name).start()
