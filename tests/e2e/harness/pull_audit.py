"""What pullgate's audit log must hold after one client command.

Each real client walks the distribution API its own way, and the tests
compare the records of one command with exactly what that client asks
for (observed with docker 20.10, containerd 1.6, podman 4.3 and skopeo
1.9; a change in a client shows up here first):

- docker: GET /v2/ (401 from a token registry), the token, HEAD of the
  tag, GET of the index and of its own platform's manifest by digest,
  its platform's blobs; for an unlisted registry, HEAD and then GET by
  tag (docker falls back to GET when the HEAD is refused);
- ctr: no ping; HEAD of the tag (401), the token, HEAD again, GET of the
  first digest (401 again: the fetcher authorizes anew), the token again,
  then the rest; with --all-platforms every platform;
- podman and skopeo (containers/image): GET /v2/, the token, GET of the
  tag, then the platform manifest(s) and blobs; skopeo --all takes every
  platform.

Denials stop the command at the first request pullgate refuses; those
lists are in DENIED_FLOWS. A tuple is (method, kind, reference, status,
decision, enforced); AuditTail gives a command's records.
"""

import collections
import json
import os
import time

from . import image, proxy

# (method, kind, reference, status) of a denied pull, by client and by
# where the registry puts the first decided request: "token" for a
# registry with token authentication (decided at the token request),
# "open" for one without (decided at the ping or the manifest).
DENIED_FLOWS = {
    ("docker", "token"): [("GET", "ping", None, 401, "allow"),
                          ("GET", "token", None, 403, "deny")],
    ("docker", "open"): [("GET", "ping", None, 403, "deny"),
                         ("HEAD", "manifest", "TAG", 403, "deny"),
                         ("GET", "manifest", "TAG", 403, "deny")],
    ("ctr", "token"): [("HEAD", "manifest", "TAG", 403, "deny")],
    ("ctr", "open"): [("HEAD", "manifest", "TAG", 403, "deny")],
    # containers/image clients get 401 for a refused ping or token request
    # (proxy/service/denial_status.hpp), so that they print the message.
    ("podman", "token"): [("GET", "ping", None, 401, "allow"),
                          ("GET", "token", None, 401, "deny")],
    ("podman", "open"): [("GET", "ping", None, 401, "deny"),
                         ("GET", "manifest", "TAG", 403, "deny")],
}
DENIED_FLOWS[("skopeo", "token")] = DENIED_FLOWS[("podman", "token")]
DENIED_FLOWS[("skopeo", "open")] = DENIED_FLOWS[("podman", "open")]

CLIENTS = ("docker", "ctr", "podman", "skopeo")


def ignorable(record):
    """A connection-level record of a client that gave up a connection it
    opened (Go clients dial spare connections and close them unused)."""
    error = record.get("error") or ""
    return (record.get("kind") == "connect" and record.get("decision") == "allow"
            and ("client went away" in error or "client TLS handshake failed" in error))


class AuditTail:
    """The records pullgate writes from mark() on. Records are written
    off the I/O threads when a response is finished, so take() waits
    until the file has stopped growing for a moment (bounded)."""

    def __init__(self, pullgate):
        self.pullgate = pullgate
        self.offset = 0

    def _size(self):
        try:
            return os.path.getsize(self.pullgate.audit_path)
        except FileNotFoundError:
            return 0

    def mark(self):
        self.take(settle=0.2)
        self.offset = self._size()

    def take(self, settle=0.4, timeout=10):
        """Every record since mark(), ignorable ones left out."""
        deadline = time.monotonic() + timeout
        last, stable_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            size = self._size()
            if size != last:
                last, stable_since = size, time.monotonic()
            elif time.monotonic() - stable_since >= settle:
                break
            time.sleep(0.05)
        try:
            with open(self.pullgate.audit_path, "rb") as f:
                f.seek(self.offset)
                data = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        records = [json.loads(line) for line in data.splitlines() if line.strip()]
        return [r for r in records if not ignorable(r)]


def summary(records):
    """One line a record, for failure messages."""
    return "\n".join(
        f"  {r.get('method')} {r.get('host')} {r.get('kind')} {r.get('repository')} "
        f"{r.get('reference')} -> {r.get('decision')}/{r.get('enforced')} {r.get('status')} "
        f"({r.get('rule')}) {r.get('error') or ''}" for r in records)


def manifest_blobs(layout, manifest_digest):
    """The config and layer digests an image manifest of `layout` names."""
    with open(os.path.join(layout.path, "blobs", "sha256", manifest_digest[7:])) as f:
        manifest = json.load(f)
    return [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]


def platform_manifests(layout):
    """{"os/arch": manifest digest} of an index layout; {} for one image."""
    if layout.media_type != image.INDEX:
        return {}
    with open(os.path.join(layout.path, "blobs", "sha256", layout.digest[7:])) as f:
        index = json.load(f)
    return {f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
            for m in index["manifests"]}


def host_platform():
    machine = os.uname().machine
    return "linux/" + {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def content_requests(client, layout, all_platforms=False):
    """[(method, kind, reference)] of the manifests and blobs `client`
    fetches (status 200) for a pull of `layout`'s tag."""
    tag = layout.tag
    platforms = platform_manifests(layout)
    if platforms:
        chosen = list(platforms.values()) if all_platforms else [platforms[host_platform()]]
    else:
        chosen = [layout.digest]
    blobs = [("GET", "blob", b) for m in chosen for b in manifest_blobs(layout, m)]
    manifests = [("GET", "manifest", m) for m in chosen]
    if client in ("docker", "ctr"):
        # HEAD resolves the tag; an index is then fetched by its digest.
        first = [("HEAD", "manifest", tag)]
        if platforms:
            first.append(("GET", "manifest", layout.digest))
    elif client in ("podman", "skopeo"):
        first = [("GET", "manifest", tag)]
        if not platforms:
            manifests = []  # the GET by tag was the manifest itself
    else:
        raise ValueError(client)
    return first + manifests + blobs


def allowed_flow(client, layout, *, auth, all_platforms=False, ping_decision=("allow", True),
                 content_decision=("allow", True), token_method="GET", plain_http=False):
    """Counter of (method, kind, reference, status, decision, enforced) for
    a pull that goes through. auth: the registry has token
    authentication; ping_decision: how the /v2/ ping is decided (a listed
    registry's ping is allowed, an unlisted one's denied);
    content_decision: how everything else is decided (in audit mode a
    would-be denial is ("deny", False)); plain_http: the client first
    tried TLS and was refused (the CONNECT record)."""
    d, e = content_decision
    out = []
    content = content_requests(client, layout, all_platforms)
    if plain_http and client != "ctr":
        out.append(("CONNECT", "connect", None, 200, "allow", True))
    if client == "ctr":
        if auth:
            head, first_get = content[0], content[1]
            out += [head + (401, d, e), ("POST" if token_method == "POST" else "GET",
                                         "token", None, 200, d, e),
                    first_get + (401, d, e), ("POST" if token_method == "POST" else "GET",
                                              "token", None, 200, d, e)]
    else:
        out.append(("GET", "ping", None, 401 if auth else 200) + ping_decision)
        if auth:
            out.append((token_method, "token", None, 200, d, e))
    out += [c + (200, d, e) for c in content]
    return collections.Counter(out)


def denied_flow(client, layout, *, auth):
    """Counter of the tuples of a pull refused in enforce mode."""
    flow = DENIED_FLOWS[(client, "token" if auth else "open")]
    return collections.Counter(
        (m, k, layout.tag if ref == "TAG" else ref, status, decision,
         True) for m, k, ref, status, decision in flow)


def as_tuples(records):
    return collections.Counter(
        (r.get("method"), r.get("kind"), r.get("reference"), r.get("status"), r.get("decision"),
         r.get("enforced")) for r in records)


def field_problems(record, *, registry, host, repository, tag, category, rule, layout=None,
                   token_host=None):
    """What is wrong in one record of a pull of registry/repository:tag,
    besides the tuple compared above."""
    problems = list(proxy.audit_shape_problems(record))
    kind = record.get("kind")
    if kind == "connect":
        return problems

    def want(field, value):
        if record.get(field) != value:
            problems.append(f"{field}={record.get(field)!r}, expected {value!r}")

    want("registry", registry)
    want("host", token_host if kind == "token" and token_host else host)
    if not isinstance(record.get("reason"), str) or not record.get("reason"):
        problems.append(f"reason={record.get('reason')!r} is not a short text")
    if kind == "ping":
        want("repository", None)
        want("image", None)
        want("action", "other")
        if record.get("decision") == "allow":
            want("rule", "default")
            want("category", None)
        else:
            want("rule", rule)
        return problems
    want("repository", repository)
    want("category", category)
    want("rule", rule)
    want("action", "pull")
    reference = record.get("reference")
    if kind == "manifest":
        separator = "@" if reference and reference.startswith("sha256:") else ":"
        want("image", f"{registry}/{repository}{separator}{reference}")
    else:
        want("image", f"{registry}/{repository}")
    if kind == "blob" and record.get("status") == 200 and layout is not None:
        want("bytes", layout.blobs.get(reference))
    if record.get("decision") == "deny" and record.get("enforced"):
        if record.get("method") == "HEAD":
            want("bytes", 0)
        elif not record.get("bytes"):
            problems.append("a refused GET carries the error body, bytes must be > 0")
    return problems
