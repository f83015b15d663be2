#!/usr/bin/env python3
"""STAND-IN: Docker Hub's search API (https://hub.docker.com/api/search/v4).

Docker Hub cannot be reached from this machine, and no package provides
its search API, so this script plays it for pullgate's badge look-ups
(`policy.docker_hub.lookup`, issue 6 "Docker Hub categories from Docker Hub
itself"). Everything else is real: pullgate reaches it over verified TLS
under the name hub.docker.com, with a certificate from the test's
throwaway "public" root, through the ordinary settings `upstream.resolve`
and `upstream.ca_file`, never a test switch.

What it answers, as Docker Hub does:

    GET /api/search/v4?query=NS%2FREPO&type=image

    {"total": N, "results": [{"id": "…", "name": "NS/REPO", "slug": "NS/REPO",
      "type": "image", "publisher": {"id": "…", "name": "NS"},
      "badge": "official" | "verified_publisher" | "open_source" | "none",
      "short_description": "…", "star_count": 0, "pull_count": "0", …}, …]}

The results also hold look-alikes from other namespaces (`NSx/REPO`,
`other/REPO`) with a verified publisher badge, listed *before* the real
one, as a fuzzy search would: whoever reads the answer must pick the
result of the namespace asked about, not the first one.

Behaviour per namespace comes from a JSON file (--config) that is read
again on every request, so a test changes it while the server runs:

    {"namespaces": {"NS": {"badge": "verified_publisher",  # or null: no badge field
                           "delay": 3.0,        # seconds before answering
                           "status": 500,       # an error instead of results
                           "body": "<html>",    # raw body instead of results (garbage)
                           "results": false,    # no result for NS at all
                           "decoys": false}},   # leave the look-alikes out
     "default": {...}}                          # for namespaces not listed

A namespace in neither is answered with the look-alikes only (Docker Hub
knows no such repository). Requests elsewhere get 404.

Every request is appended to --requests-log as one JSON line when it
arrives ({"event": "request", "namespace", "repository", "query", "type",
"host", "user_agent", "time"}) and again when its answer has been sent
({"event": "answered", "namespace", "status", "time"}), so a test counts
look-ups and knows when a slow one finished.

Standard library only. Run by the HubSearchStandin class below:

    hub_search_standin.py --listen ADDR:PORT --tls-cert C --tls-key K
                          --config FILE --requests-log FILE
"""

import argparse
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

HOST = "hub.docker.com"
SEARCH_PATH = "/api/search/v4"
START_TIMEOUT = 20


# -- the server ---------------------------------------------------------------

def _read_config(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _result(name, badge):
    ns = name.split("/", 1)[0]
    item = {
        "id": f"{name}-id", "name": name, "slug": name, "type": "image",
        "publisher": {"id": f"{ns}-publisher", "name": ns},
        "created_at": "2020-01-01T00:00:00.000000Z", "updated_at": "2026-01-01T00:00:00.000000Z",
        "short_description": f"{name} (stand-in)", "star_count": 0, "pull_count": "0",
        "operating_systems": [{"name": "linux", "label": "Linux"}],
        "architectures": [{"name": "amd64", "label": "x86-64"}],
        "logo_url": {}, "categories": [],
    }
    if badge is not None:
        item["badge"] = badge
    return item


def search_answer(repository, entry):
    ns, _, repo = repository.partition("/")
    results = []
    if entry.get("decoys", True):
        results += [_result(f"{ns}x/{repo}", "verified_publisher"),
                    _result(f"other/{repo}", "verified_publisher")]
    if entry.get("results", True) and "badge" in entry:
        results.append(_result(repository, entry["badge"]))
    return {"total": len(results), "results": results}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hub-search-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _log(self, record):
        record["time"] = time.time()
        with self.server.log_lock, open(self.server.requests_log, "a") as f:
            f.write(json.dumps(record) + "\n")

    def _send(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        repository = query.get("query", [""])[0]
        ns = repository.split("/", 1)[0]
        self._log({"event": "request", "method": self.command, "path": url.path,
                   "raw_query": url.query, "query": repository, "namespace": ns,
                   "repository": repository, "type": query.get("type", [None])[0],
                   "host": self.headers.get("Host"),
                   "user_agent": self.headers.get("User-Agent")})
        if url.path.rstrip("/") != SEARCH_PATH or not repository:
            self._send(404, json.dumps({"message": "not found"}))
            self._log({"event": "answered", "namespace": ns, "status": 404})
            return
        config = _read_config(self.server.config_path)
        entry = config.get("namespaces", {}).get(ns, config.get("default", {}))
        delay = float(entry.get("delay", 0))
        if delay > 0:
            time.sleep(delay)
        status = int(entry.get("status", 200))
        if "body" in entry:
            body = entry["body"]
        elif status != 200:
            body = json.dumps({"message": "internal server error (stand-in)"})
        else:
            body = json.dumps(search_answer(repository, entry))
        try:
            self._send(status, body)
        except OSError as e:  # the asker gave up; record it all the same
            self._log({"event": "answered", "namespace": ns, "status": status,
                       "error": str(e)})
            return
        self._log({"event": "answered", "namespace": ns, "status": status})

    do_HEAD = do_GET


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(argv=None):
    parser = argparse.ArgumentParser(description="Docker Hub search API stand-in")
    parser.add_argument("--listen", required=True)
    parser.add_argument("--tls-cert", required=True)
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--requests-log", required=True)
    args = parser.parse_args(argv)
    address, port = args.listen.rsplit(":", 1)
    server = _Server((address, int(port)), _Handler)
    server.config_path = args.config
    server.requests_log = args.requests_log
    server.log_lock = threading.Lock()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"hub search stand-in on https://{args.listen}", file=sys.stderr, flush=True)
    server.serve_forever()


# -- the harness side ---------------------------------------------------------

if __package__:
    from . import net, procs


class HubSearchStandin:
    """The stand-in as a server process under HOST, with a certificate
    from `public_ca` (a pki.CertificateAuthority). Configure namespaces
    with set(); count look-ups with queries(). stop() and start() again
    keep the address, port and configuration."""

    def __init__(self, workdir, public_ca, *, name="hub-search", address=None):
        self.name = name
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        self.address = address or net.loopback_address()
        self.port = net.free_port(self.address)
        self.cert = public_ca.issue(HOST, ips=[self.address], file_stem=f"{name}-{HOST}")
        self.config_path = os.path.join(self.workdir, "config.json")
        self.requests_log = os.path.join(self.workdir, "requests.jsonl")
        self.namespaces = {}
        self.default = {}
        self._write()
        self.process = None

    @property
    def endpoint(self):
        return f"{self.address}:{self.port}"

    @property
    def url(self):
        return f"https://{HOST}"

    def resolve(self):
        """The upstream.resolve entry that sends pullgate's look-ups here."""
        return {f"{HOST}:443": self.endpoint}

    def start(self):
        self.process = procs.Process(
            [sys.executable, os.path.abspath(__file__), "--listen", self.endpoint,
             "--tls-cert", self.cert.cert_path, "--tls-key", self.cert.key_path,
             "--config", self.config_path, "--requests-log", self.requests_log],
            name=self.name, log_dir=self.workdir)
        net.wait_for_port(self.address, self.port, START_TIMEOUT, process=self.process)
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def running(self):
        return self.process is not None and self.process.running()

    # -- behaviour ---------------------------------------------------------
    def set(self, namespace, **entry):
        """How NAMESPACE is answered from now on (replaces what was set):
        badge=, delay=, status=, body=, results=, decoys= (see the module
        text)."""
        self.namespaces[namespace] = entry
        self._write()

    def _write(self):
        temporary = self.config_path + ".tmp"
        with open(temporary, "w") as f:
            json.dump({"namespaces": self.namespaces, "default": self.default}, f)
        os.replace(temporary, self.config_path)

    # -- observation -------------------------------------------------------
    def log(self):
        try:
            with open(self.requests_log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def queries(self, namespace=None):
        """The search requests received (for NAMESPACE), in order."""
        return [r for r in self.log() if r["event"] == "request"
                and (namespace is None or r["namespace"] == namespace)]

    def answered(self, namespace=None):
        return [r for r in self.log() if r["event"] == "answered"
                and (namespace is None or r["namespace"] == namespace)]

    def wait_answered(self, namespace, count=1, timeout=15):
        return net.wait_until(lambda: len(self.answered(namespace)) >= count or None, timeout,
                              f"{self.name} to answer {count} look-up(s) of {namespace}",
                              process=self.process)


if __name__ == "__main__":
    serve()
