#!/usr/bin/env python3
"""pullgate's benchmark (issue 5); run it with tests/bench/run.sh.

Sets up a registry on loopback (Debian's docker-registry with TLS from a
throwaway public root, a large blob and a small multi-platform image),
starts pullgate, Squid with ssl-bump and mitmdump beside each other, and
runs each workload through every peer and direct, round after round, the
peers' order rotating each round so that none is always first after a
neighbour's burst of load. Prints and writes a markdown table of medians
and ratios (report.py), with the raw numbers as JSON beside it.

Reuses the e2e harness (tests/e2e/harness): certificates, the registry,
images and skopeo, processes that cannot outlive the run.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "e2e"))

import peers  # noqa: E402
import report  # noqa: E402
import workloads  # noqa: E402
from harness import image, net, pki, procs, proxy  # noqa: E402
from harness.registry import Registry  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(prog="tests/bench/run.sh", description=__doc__.split("\n")[0])
    p.add_argument("--size-mib", type=int, help="size of the large blob (default 1024)")
    p.add_argument("--duration", type=float, help="seconds per timed workload (default 15)")
    p.add_argument("--rounds", type=int, help="rounds, peers alternating (default 3)")
    p.add_argument("--out", default=os.path.join(SOURCE_ROOT, "tests/bench/results/latest.md"),
                   help="the markdown table to write (JSON beside it)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes, one short round: checks the script, measures nothing")
    p.add_argument("--peers", default=",".join(report.PEERS),
                   help="comma-separated subset of " + ",".join(report.PEERS))
    p.add_argument("--idle-connections", type=int, help="for (f) (default 1000)")
    p.add_argument("--loadgen", required=True, help="the built loadgen (run.sh passes it)")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {"size_mib": 4 if quick else 1024, "duration": 2 if quick else 15,
                "rounds": 1 if quick else 3, "idle_connections": 50 if quick else 1000}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.peers = [n for n in args.peers.split(",") if n]
    unknown = set(args.peers) - set(report.PEERS)
    if unknown or "pullgate" not in args.peers:
        p.error(f"--peers must include pullgate and only name {', '.join(report.PEERS)}")
    return args


def _first_line(command):
    try:
        r = subprocess.run(command, capture_output=True, text=True, timeout=30, shell=True)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def describe_machine():
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f
                    if line.startswith("model name")), "unknown")
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    binary = proxy.binary()
    flags = _first_line(f"readelf --debug-dump=info {binary} 2>/dev/null "
                        "| grep -m1 -o 'GNU C++.*'")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory": f"{mem_kib / 1048576:.0f} GiB RAM",
        "kernel": os.uname().release,
        "openssl": _first_line("openssl version"),
        "loadavg": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "pullgate": f"{_first_line(binary + ' --version')} ({binary}; {flags})",
        "squid": _first_line("squid -v") + " (squid-openssl)",
        "mitmproxy": _first_line("mitmdump --version").replace("Mitmproxy:", "mitmproxy"),
        "registry": _first_line("docker-registry --version"),
        "clients": "; ".join([" ".join(_first_line("curl --version").split()[:2]),
                              _first_line("skopeo --version"),
                              "tests/bench/loadgen.cpp (g++ -O2)"]),
    }


class Upstream:
    """The registry and what was pushed to it."""

    def __init__(self, workdir, names, blob_size, layer_size):
        self.public_ca = pki.CertificateAuthority(os.path.join(workdir, "public-ca"),
                                                  name="pullgate bench public root")
        address = net.loopback_address()
        cert = self.public_ca.issue(peers.REGISTRY_HOST,
                                    dns=[peers.REGISTRY_HOST, f"*.{peers.HOSTS_SUFFIX}"],
                                    ips=[address], file_stem="registry")
        # Port 443, so every peer reaches it as NAME:443 with only the
        # address mapped (Squid's hosts_file maps names, not ports).
        self.registry = Registry(workdir, address=address, port=443, tls=cert,
                                 ca_file=self.public_ca.cert_path).start()
        self.peer_view = peers.Upstream(address, self.public_ca.cert_path,
                                        [peers.REGISTRY_HOST, *names])
        big = os.path.join(workdir, "big.bin")
        self.blob_digest = image.random_file(big, blob_size)
        self.registry.upload_blob(workloads.BIG_REPOSITORY, big, self.blob_digest,
                                  timeout=max(120, blob_size >> 20))
        os.remove(big)
        layout = image.make_multiarch_image(os.path.join(workdir, "layout"),
                                            layer_size=layer_size)
        image.push_direct(layout, self.registry, workloads.SMALL_REPOSITORY,
                          cert_dir=pki.cert_dir(os.path.join(workdir, "public-certs"),
                                                self.public_ca.cert_path),
                          workdir=workdir)


def log(text):
    print(text, file=sys.stderr, flush=True)


def run_rounds(args, settings, running):
    """Every workload through every peer, `args.rounds` times; returns
    ({peer: {metric: [values]}}, notes, failure count)."""
    samples = {p.name: {} for p in running}
    notes, failures = [], 0
    for r in range(args.rounds):
        order = running[r % len(running):] + running[:r % len(running)]
        for name, run, fresh in workloads.WORKLOADS:
            for peer in order:
                where = f"round {r + 1}, {peer.name}, {name}"
                try:
                    if fresh and peer.proxied:
                        peer.restart()
                        workloads.warm_up(settings, peer)
                    result = run(settings, peer, r)
                    values = dict(result)
                    notes += [f"{where}: {n}" for n in result.notes]
                except Exception as e:  # noqa: BLE001 - reported, and the run goes on
                    failures += 1
                    reason = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
                    notes.append(f"{where}: FAILED: {reason}")
                    log(f"{where}: FAILED\n{traceback.format_exc()}")
                    continue
                for key, value in values.items():
                    samples[peer.name].setdefault(key, []).append(value)
                shown = ", ".join(f"{k}={v:.3g}" for k, v in values.items())
                log(f"[{where}] {shown or 'n/a'}")
    return samples, notes, failures


def main(argv):
    args = parse_args(argv)
    began = time.monotonic()
    missing = peers.missing_tools(args.peers)
    if missing:
        log(f"missing: {', '.join(missing)}; install them with "
            "scripts/install-deps.sh --bench")
        return 1
    machine = describe_machine()
    workdir = procs.temp_dir("pullgate-bench-")
    os.chmod(workdir, 0o755)  # Squid's helpers run as the proxy user
    # Every restart runs the same pullgate, even if the file is rebuilt
    # while the benchmark runs.
    pinned = os.path.join(workdir, "pullgate-under-test")
    shutil.copy2(proxy.binary(), pinned)
    os.environ["PULLGATE"] = pinned
    handshake_hosts = 3 if args.quick else 10
    names = workloads.handshake_hosts(args.rounds, handshake_hosts)
    log(f"setting up the registry in {workdir} ({args.size_mib} MiB blob)")
    upstream = Upstream(workdir, names, args.size_mib << 20,
                        (64 << 10) if args.quick else (3 << 20))
    settings = workloads.Settings(
        loadgen=args.loadgen, workdir=workdir, blob_digest=upstream.blob_digest,
        blob_size=args.size_mib << 20, duration=args.duration,
        idle_connections=args.idle_connections, handshake_hosts=handshake_hosts)
    running = []
    try:
        for name in args.peers:
            peer = peers.PEERS[name](workdir, upstream.peer_view)
            peer.start()
            running.append(peer)
        samples, notes, failures = run_rounds(args, settings, running)
    finally:
        for peer in running:
            peer.stop()
        upstream.registry.stop()
    table_settings = {
        "blob_mib": args.size_mib, "duration": args.duration, "rounds": args.rounds,
        "image": "two-platform (index, 2 × manifest + config + "
                 f"{'64 KiB' if args.quick else '3 MiB'} layer)",
        "keepalive_clients": settings.keepalive_clients,
        "newconn_clients": settings.newconn_clients,
        "idle_connections": settings.idle_connections,
    }
    command = os.environ.get("BENCH_COMMAND") or "tests/bench/run.sh " + " ".join(argv)
    values = report.medians(samples)
    if args.quick:
        notes.insert(0, "--quick: a smoke run on tiny sizes; its numbers mean nothing.")
    text = report.document(values, table_settings, machine, command, notes,
                           time.monotonic() - began)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({"machine": machine, "settings": table_settings, "command": command,
                   "samples": samples, "medians": values, "notes": notes}, f, indent=2)
    print(text)
    log(f"wrote {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
