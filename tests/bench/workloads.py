"""The workloads of issue 5, each run against one peer; each returns a
dict of metric name to value (see report.METRICS) and notes.

Costs come from the proxy's side (proctree: CPU before and after, RSS);
speeds and latencies from the client's side (curl's own timing, loadgen's
per-request clock, skopeo's wall time). For `direct` there is no proxy,
so only the client-side figures exist.
"""

import json
import os
import select
import shutil
import subprocess
import time

import proctree
from harness import image, procs
from peers import HOSTS_SUFFIX, REGISTRY_HOST

SMALL_REPOSITORY = "bench/small"
BIG_REPOSITORY = "bench/big"
MANIFEST_PATH = f"/v2/{SMALL_REPOSITORY}/manifests/latest"
MANIFEST_ACCEPT = f"{image.INDEX}, {image.MANIFEST}"


class Settings:
    """What the workloads share: the loadgen binary, a scratch directory,
    the blob, durations and client counts."""

    def __init__(self, *, loadgen, workdir, blob_digest, blob_size, duration,
                 keepalive_clients=32, newconn_clients=16, idle_connections=1000,
                 handshake_hosts=10):
        self.loadgen = loadgen
        self.workdir = workdir
        self.blob_digest = blob_digest
        self.blob_size = blob_size
        self.duration = duration
        self.keepalive_clients = keepalive_clients
        self.newconn_clients = newconn_clients
        self.idle_connections = idle_connections
        self.handshake_hosts = handshake_hosts


class Result(dict):
    """Metrics, plus `notes`: things the reader should know (errors that
    did not stop the workload)."""

    def __init__(self, **metrics):
        super().__init__(**metrics)
        self.notes = []


def _loadgen(s, peer, mode, *args, timeout):
    """Run loadgen to completion; its JSON lines."""
    r = procs.run([s.loadgen, "--mode", mode, "--host", REGISTRY_HOST, *peer.loadgen_args(),
                   *args], timeout)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def _note_errors(result, what, out):
    if out.get("errors"):
        result.notes.append(f"{what}: {out['errors']} failed, first: {out.get('first_error')}")


def _cost_before(peer):
    return (peer.cpu_seconds(), peer.rss_kib()) if peer.proxied else (0, 0)


def warm_up(s, peer):
    """One manifest GET, so the peer has minted the registry's leaf and
    loaded what it loads lazily before anything is measured."""
    procs.run(["curl", "-sSf", "--http1.1", "-o", "/dev/null", "-H", f"Accept: {MANIFEST_ACCEPT}",
               *peer.curl_args(), f"https://{REGISTRY_HOST}{MANIFEST_PATH}"], 60)


def blob(s, peer, _round):
    """(a) One large blob GET with curl (HTTP/1.1 for every peer: the
    registry would speak HTTP/2 to a direct client); (e) CPU per GB; (f)
    peak RSS above the RSS before the transfer."""
    url = f"https://{REGISTRY_HOST}/v2/{BIG_REPOSITORY}/blobs/{s.blob_digest}"
    cpu, rss = _cost_before(peer)
    if peer.proxied:
        proctree.reset_peak(peer.pid)
    limit = max(120, s.blob_size // (2 << 20))  # even at 2 MB/s
    r = procs.run(["curl", "-sS", "--http1.1", "-o", "/dev/null", "--max-time", str(limit),
                   "-w", "%{http_code} %{size_download} %{time_total}", *peer.curl_args(), url],
                  limit + 10)
    status, size, seconds = r.stdout.split()
    if status != "200" or int(size) != s.blob_size:
        raise AssertionError(f"blob GET answered {status} with {size} of {s.blob_size} bytes")
    seconds = float(seconds)
    result = Result(blob_mb_s=s.blob_size / seconds / 1e6, blob_s=seconds)
    if peer.proxied:
        result["blob_cpu_s_per_gb"] = (peer.cpu_seconds() - cpu) / (s.blob_size / 1e9)
        result["blob_peak_above_idle_mib"] = (proctree.peak_kib(peer.pid) - rss) / 1024
    return result


def keepalive(s, peer, _round):
    """(b) Manifest GETs on keep-alive connections, fixed duration."""
    cpu, _ = _cost_before(peer)
    out = _loadgen(s, peer, "keepalive", "--clients", s.keepalive_clients,
                   "--duration", s.duration, "--path", MANIFEST_PATH,
                   "--accept", MANIFEST_ACCEPT, timeout=s.duration + 120)[-1]
    if not out["requests"]:
        raise AssertionError(f"no request succeeded: {out}")
    result = Result(ka_rps=out["per_second"], ka_p50_ms=out["p50_ms"], ka_p99_ms=out["p99_ms"])
    _note_errors(result, "keep-alive GETs", out)
    if peer.proxied:
        result["ka_cpu_ms_per_req"] = (peer.cpu_seconds() - cpu) * 1000 / out["requests"]
    return result


def newconn(s, peer, _round):
    """(c) A new connection and full TLS handshake for every request."""
    cpu, _ = _cost_before(peer)
    # Client addresses spread over 127.77.0.1-16 keep TIME_WAIT sockets
    # from exhausting one address's ephemeral ports.
    out = _loadgen(s, peer, "newconn", "--clients", s.newconn_clients,
                   "--duration", s.duration, "--path", MANIFEST_PATH,
                   "--accept", MANIFEST_ACCEPT, "--source-addresses", 16,
                   timeout=s.duration + 120)[-1]
    if not out["connections"]:
        raise AssertionError(f"no connection succeeded: {out}")
    result = Result(nc_cps=out["per_second"], nc_p50_ms=out["p50_ms"], nc_p99_ms=out["p99_ms"])
    _note_errors(result, "new connections", out)
    if peer.proxied:
        result["nc_cpu_ms_per_conn"] = (peer.cpu_seconds() - cpu) * 1000 / out["connections"]
    return result


def pull(s, peer, _round):
    """(d) A complete image pull with skopeo into an OCI layout."""
    cpu, _ = _cost_before(peer)
    source, proxy_url, cert_dir = peer.skopeo(f"{SMALL_REPOSITORY}:latest")
    destination = os.path.join(s.workdir, f"pulled-{peer.name}")
    shutil.rmtree(destination, ignore_errors=True)
    start = time.perf_counter()
    image.skopeo_copy(source, f"oci:{destination}:latest", workdir=s.workdir,
                      proxy_url=proxy_url, src_cert_dir=cert_dir, timeout=300)
    result = Result(pull_s=time.perf_counter() - start)
    shutil.rmtree(destination, ignore_errors=True)
    if peer.proxied:
        result["pull_cpu_ms"] = (peer.cpu_seconds() - cpu) * 1000
    return result


def _read_json_line(process, timeout, what):
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line:
        raise AssertionError(f"loadgen gave no {what} line within {timeout}s")
    return json.loads(line)


def idle(s, peer, _round):
    """(f) RSS with idle intercepted keep-alive connections: open them,
    one GET each, hold them, read VmRSS, then check they are all still
    served. Client addresses are spread over 127.77.0.1-16 as an office's
    would be (a proxy may cap the connections of one address)."""
    if not peer.proxied:
        return Result()
    base = peer.rss_kib()
    p = subprocess.Popen([s.loadgen, "--mode", "idle", "--host", REGISTRY_HOST,
                          *peer.loadgen_args(), "--connections", str(s.idle_connections),
                          "--path", MANIFEST_PATH, "--accept", MANIFEST_ACCEPT,
                          "--source-addresses", "16"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env=procs.clean_env(), start_new_session=True)
    try:
        opened = _read_json_line(p, 300, "opened")
        time.sleep(1)  # let the proxy finish bookkeeping for the last ones
        held = peer.rss_kib()
        p.stdin.write("go\n")
        p.stdin.flush()
        alive = _read_json_line(p, 300, "alive")
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    if not opened["opened"]:
        raise AssertionError(f"no idle connection could be opened: {opened}")
    result = Result(idle_base_mib=base / 1024,
                    idle_kib_per_conn=(held - base) / opened["opened"])
    _note_errors(result, f"opening {s.idle_connections} idle connections", opened)
    if alive["alive"] != opened["opened"]:
        result.notes.append(f"only {alive['alive']} of {opened['opened']} idle connections "
                            f"still answered after the measurement")
    return result


def handshake(s, peer, round_number):
    """A new host's first handshake (the proxy mints its leaf) against the
    same hosts a second time: one connection at a time, names never used
    before in this run."""
    hosts = [f"r{round_number}n{i}.{HOSTS_SUFFIX}" for i in range(s.handshake_hosts)]
    passes = _loadgen(s, peer, "handshake", "--hosts", ",".join(hosts), "--path", "/v2/",
                      timeout=120)
    new, seen = passes
    if not new["hosts"] or not seen["hosts"]:
        raise AssertionError(f"handshakes failed: {passes}")
    result = Result(hs_new_tls_ms=new["tls_ms"], hs_seen_tls_ms=seen["tls_ms"],
                    hs_new_total_ms=new["total_ms"], hs_seen_total_ms=seen["total_ms"])
    _note_errors(result, "first handshakes", new)
    _note_errors(result, "repeated handshakes", seen)
    return result


def startup(s, peer, _round):
    """Startup to ready, over three restarts (the median); leaves a fresh
    process for the workloads after it."""
    if not peer.proxied:
        return Result()
    times = sorted(peer.restart() for _ in range(3))
    warm_up(s, peer)
    return Result(startup_ms=times[1] * 1000)


def handshake_hosts(rounds, per_round):
    """Every name handshake() will use, for the peers' name mappings."""
    return [f"r{r}n{i}.{HOSTS_SUFFIX}" for r in range(rounds) for i in range(per_round)]


# (name, function, restart the peer first). A restart gives a workload a
# fresh process, so what an earlier workload left in its heap does not
# hide the memory this one needs. `startup` restarts the peer itself, so
# "new host" and (a) also meet a fresh process.
WORKLOADS = [
    ("startup", startup, False),
    ("handshake", handshake, False),
    ("blob", blob, False),
    ("idle", idle, True),
    ("keepalive", keepalive, False),
    ("newconn", newconn, False),
    ("pull", pull, False),
]
