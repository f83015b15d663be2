"""Debian's docker-registry (CNCF distribution 2.8), started by the test.

It is the real upstream: pullgate must relay what a real registry says
(redirect-free blob GETs, upload Locations, Docker-Content-Digest, 404
bodies). Each instance has its own storage in a temporary directory and
listens on its own loopback address, with TLS from a test certificate or
in plain HTTP. The configuration is written as JSON, which YAML readers
(distribution's included) accept, so the harness needs no YAML library.
"""

import http.client
import json
import os
import secrets
import ssl
import urllib.parse

from . import net, procs
from .image import sha256_file

START_TIMEOUT = 20


class Registry:
    """One docker-registry process. `tls` is a pki.Certificate or None
    (plain HTTP); `ca_file` is the root that verifies `tls`, used by the
    harness's own direct requests."""

    def __init__(self, workdir, *, address=None, port=None, tls=None, ca_file=None,
                 name="registry"):
        self.name = name
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        self.address = address or net.loopback_address()
        self.port = port or net.free_port(self.address)
        self.tls = tls
        self.ca_file = ca_file
        self.process = None

    @property
    def endpoint(self):
        """"address:port", the form upstream.resolve maps host names to."""
        return f"{self.address}:{self.port}"

    def config(self):
        http_section = {"addr": self.endpoint, "secret": secrets.token_hex(16),
                        "headers": {"X-Content-Type-Options": ["nosniff"]}}
        if self.tls:
            http_section["tls"] = {"certificate": self.tls.cert_path, "key": self.tls.key_path}
        return {
            "version": 0.1,
            "log": {"level": "info", "formatter": "text"},
            "storage": {
                "filesystem": {"rootdirectory": os.path.join(self.workdir, "data")},
                "delete": {"enabled": True},
                # No background purge walking the storage mid-test.
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": http_section,
        }

    def start(self):
        path = os.path.join(self.workdir, "config.yml")
        with open(path, "w") as f:
            json.dump(self.config(), f, indent=2)
        self.process = procs.Process(["docker-registry", "serve", path], name=self.name,
                                     log_dir=self.workdir)
        net.wait_for_port(self.address, self.port, START_TIMEOUT, process=self.process)
        net.wait_until(lambda: self._ping() == 200, START_TIMEOUT,
                       f"{self.name} to answer GET /v2/", process=self.process)
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def connection(self, timeout=60, verify=True):
        """An http.client connection straight to the registry (no proxy).
        verify=False is for the readiness probe only: some test registries
        present deliberately bad certificates."""
        if not self.tls:
            return http.client.HTTPConnection(self.address, self.port, timeout=timeout)
        if verify:
            # The certificate names the address too (IP SAN), so the direct
            # connection verifies like any other client's.
            context = ssl.create_default_context(cafile=self.ca_file)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(self.address, self.port, timeout=timeout,
                                           context=context)

    def _ping(self):
        try:
            c = self.connection(timeout=2, verify=False)
            c.request("GET", "/v2/")
            status = c.getresponse().status
            c.close()
            return status
        except (OSError, http.client.HTTPException):
            return None

    def upload_blob(self, repository, path, digest=None, timeout=120):
        """Push the file at `path` as a blob of `repository` with the
        registry's monolithic upload API (POST, then PUT ?digest=), the
        body streamed from the file. Returns the digest."""
        digest = digest or "sha256:" + sha256_file(path)
        c = self.connection(timeout=timeout)
        c.request("POST", f"/v2/{repository}/blobs/uploads/", headers={"Content-Length": "0"})
        r = c.getresponse()
        r.read()
        if r.status != 202:
            raise AssertionError(f"{self.name}: upload start returned {r.status}")
        # distribution answers with an absolute URL built from Host; only
        # its path and query matter for a direct connection.
        location = urllib.parse.urlsplit(r.getheader("Location"))
        target = location.path + (f"?{location.query}&" if location.query else "?")
        with open(path, "rb") as body:
            c.request("PUT", f"{target}digest={digest}", body=body,
                      headers={"Content-Length": str(os.path.getsize(path)),
                               "Content-Type": "application/octet-stream"})
            r = c.getresponse()
            r.read()
        c.close()
        if r.status != 201:
            raise AssertionError(f"{self.name}: upload of {path} returned {r.status}")
        return digest

