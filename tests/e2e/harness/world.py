"""A small internet on loopback: a throwaway "public" root CA and a real
registry answering under Docker Hub's (and other registries') names.

Docker Hub is unreachable from the tests, and pullgate must never carry
a test-only switch, so the test plays the internet instead: the registry's
certificate is issued for registry-1.docker.io (and any other names the
test asks for) by a root that only this test trusts, and pullgate is
pointed at it with the two ordinary settings an operator would use for a
private registry: `upstream.resolve` and `upstream.ca_file`.
"""

import os

from . import net, pki, proxy
from .registry import Registry

HUB = "registry-1.docker.io"


class World:
    """`public_ca` (pki.CertificateAuthority), `hub` (the registry under
    HUB and `extra_names`, started), and helpers to configure pullgate
    against them."""

    def __init__(self, workdir, extra_names=()):
        self.workdir = workdir
        self.public_ca = pki.CertificateAuthority(os.path.join(workdir, "public-ca"))
        self.names = [HUB, *extra_names]
        address = net.loopback_address()
        cert = self.public_ca.issue(HUB, dns=self.names, ips=[address], file_stem="hub")
        self.hub = Registry(workdir, address=address, tls=cert, ca_file=self.public_ca.cert_path,
                            name="hub-registry").start()
        # skopeo's --dest-cert-dir for pushing straight to the registry.
        self.public_cert_dir = pki.cert_dir(os.path.join(workdir, "public-certs"),
                                            self.public_ca.cert_path)

    def resolve(self, names=None):
        """upstream.resolve entries sending NAME:443 to the registry."""
        return {f"{n}:443": self.hub.endpoint for n in (names or self.names)}

    def pullgate_config(self, workdir, name="pullgate", **overrides):
        """A complete configuration for a pullgate in WORKDIR/NAME: its own
        loopback address and free ports, its CA created on first start,
        the audit log in a file, and Docker Hub reached through the fake.
        Top-level keys in `overrides` replace the defaults here."""
        return pullgate_config(workdir, name=name, ca_file=self.public_ca.cert_path,
                               resolve=self.resolve(), **overrides)

    def start_pullgate(self, workdir, name="pullgate", **overrides):
        """A started pullgate (see pullgate_config); the caller stops it."""
        return proxy.Pullgate(workdir, self.pullgate_config(workdir, name, **overrides),
                              name=name).start()

    def stop(self):
        self.hub.stop()


def pullgate_config(workdir, *, name="pullgate", ca_file=None, resolve=None, **overrides):
    """The configuration every test starts from; see World.pullgate_config."""
    address = net.loopback_address()
    home = os.path.join(workdir, name)
    config = {
        "listen": f"{address}:{net.free_port(address)}",
        "admin": f"{address}:{net.free_port(address)}",
        "tls": {"ca_cert": os.path.join(home, "ca", "ca.crt"),
                "ca_key": os.path.join(home, "ca", "ca.key")},
        "upstream": {"ca_file": ca_file, "resolve": resolve or {}},
        "audit_log": os.path.join(home, "audit.log"),
        "policy": {"mode": "enforce", "registries": ["docker.io"]},
        # Small, so a wedged transfer fails a test quickly instead of
        # hanging it; generous enough for a loaded CI machine.
        "limits": {"connect_timeout": "5s", "handshake_timeout": "5s", "drain": "20s"},
    }
    config.update(overrides)
    return config
