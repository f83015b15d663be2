"""The benchmark's table: medians over rounds, the ratios pullgate/squid,
pullgate/mitmproxy and pullgate/direct, and issue 5's target for each row
with whether this run met it. Pure functions of the collected numbers, so
the table can be rebuilt from the JSON file a run writes beside it."""

import statistics

PEERS = ("pullgate", "squid", "mitmproxy", "direct")
RATIOS = (("squid", "pullgate/squid"), ("mitmproxy", "pullgate/mitmproxy"),
          ("direct", "pullgate/direct"))

# A target is a list of conditions on pullgate's median, all to be met:
# ("max", value): at most value; ("min", value): at least value;
# ("max×", peer, factor) / ("min×", peer, factor): against a peer's median.
# key, label, unit, decimals, target text, target conditions
METRICS = [
    ("blob_mb_s", "(a) blob GET throughput", "MB/s", 0,
     "≥ 4× squid, ≥ 0.6× direct", [("min×", "squid", 4), ("min×", "direct", 0.6)]),
    ("blob_s", "(a) blob GET wall time", "s", 2, "", []),
    ("blob_cpu_s_per_gb", "(e) proxy CPU per GB relayed, in (a)", "CPU-s/GB", 2,
     "≤ 1.2, ≤ 0.2× squid", [("max", 1.2), ("max×", "squid", 0.2)]),
    ("blob_peak_above_idle_mib", "(f) peak RSS during (a), above idle", "MiB", 1,
     "≤ 16", [("max", 16)]),
    ("ka_rps", "(b) keep-alive manifest GETs, {keepalive_clients} clients", "req/s", 0,
     "≥ 0.85× direct", [("min×", "direct", 0.85)]),
    ("ka_p50_ms", "(b) p50 latency", "ms", 2, "", []),
    ("ka_p99_ms", "(b) p99 latency", "ms", 2, "≤ 1.3× direct", [("max×", "direct", 1.3)]),
    ("ka_cpu_ms_per_req", "(e) proxy CPU per request, in (b)", "CPU-ms", 3,
     "≤ 0.5× squid", [("max×", "squid", 0.5)]),
    ("nc_cps", "(c) new connection + handshake per request, {newconn_clients} clients",
     "conn/s", 0, "≥ 1.2× squid", [("min×", "squid", 1.2)]),
    ("nc_p50_ms", "(c) p50 latency", "ms", 2, "", []),
    ("nc_p99_ms", "(c) p99 latency", "ms", 2, "", []),
    ("nc_cpu_ms_per_conn", "(e) proxy CPU per connection, in (c)", "CPU-ms", 2,
     "≤ 1× squid", [("max×", "squid", 1)]),
    ("pull_s", "(d) skopeo image pull", "s", 3, "", []),
    ("pull_cpu_ms", "(e) proxy CPU per image pull, in (d)", "CPU-ms", 0, "", []),
    ("idle_base_mib", "(f) RSS before the idle connections", "MiB", 1, "", []),
    ("idle_kib_per_conn", "(f) RSS per idle intercepted keep-alive connection "
     "({idle_connections})", "KiB", 1, "≤ 32", [("max", 32)]),
    ("hs_new_tls_ms", "new host: TLS handshake after CONNECT (leaf minted)", "ms", 2,
     "< 2", [("max", 2)]),
    ("hs_seen_tls_ms", "same host again: TLS handshake after CONNECT", "ms", 2, "", []),
    ("hs_new_total_ms", "new host: TCP + CONNECT + TLS", "ms", 2, "", []),
    ("hs_seen_total_ms", "same host again: TCP + CONNECT + TLS", "ms", 2, "", []),
    ("startup_ms", "startup to ready, spawn to /readyz (others: port open)", "ms", 1,
     "< 100", [("max", 100)]),
]


def medians(samples):
    """{peer: {metric: [values over rounds]}} -> {peer: {metric: median}}."""
    return {peer: {k: statistics.median(v) for k, v in metrics.items() if v}
            for peer, metrics in samples.items()}


def _ratio(values, peer, key):
    mine, theirs = values.get("pullgate", {}).get(key), values.get(peer, {}).get(key)
    if mine is None or not theirs:
        return None
    return mine / theirs


def verdict(values, key, conditions):
    """'met', 'missed', or '' when there is no target or no number."""
    results = []
    for condition in conditions:
        if condition[0] in ("max", "min"):
            value, bound = values.get("pullgate", {}).get(key), condition[1]
        else:
            value, bound = _ratio(values, condition[1], key), condition[2]
        if value is None:
            return ""
        results.append(value <= bound if condition[0].startswith("max") else value >= bound)
    if not results:
        return ""
    return "met" if all(results) else "missed"


def _fmt(value, decimals):
    if value is None:
        return "—"
    if decimals == 0:
        return f"{value:,.0f}"
    return f"{value:,.{decimals}f}"


def _fmt_ratio(value):
    return "—" if value is None else f"{value:.2f}×"


def table(values, settings):
    """The markdown table of medians, ratios and targets."""
    peers = [p for p in PEERS if p in values]
    ratios = [(p, title) for p, title in RATIOS if p in values]
    head = ["workload", "unit", *peers, *[t for _, t in ratios], "target", "this run"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---", "---", *["---:"] * (len(peers) + len(ratios)), "---", "---"])
             + "|"]
    for key, label, unit, decimals, target_text, conditions in METRICS:
        if not any(key in values[p] for p in peers):
            continue
        cells = [label.format(**settings), unit]
        cells += [_fmt(values[p].get(key), decimals) for p in peers]
        cells += [_fmt_ratio(_ratio(values, p, key)) for p, _ in ratios]
        cells += [target_text, verdict(values, key, conditions)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def document(values, settings, machine, command, notes, elapsed_s):
    """The whole markdown file: what ran where, the table, the notes."""
    out = [
        f"## pullgate benchmark, {machine['date']}",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']}, "
        f"Linux {machine['kernel']}, {machine['openssl']}; load average at start "
        f"{machine['loadavg']}.",
        f"- Peers: {machine['pullgate']}; {machine['squid']}; {machine['mitmproxy']}; "
        f"direct (no proxy). Registry: {machine['registry']}. Clients: {machine['clients']}.",
        f"- Workloads: a {settings['blob_mib']} MiB blob, a {settings['image']} image; "
        f"{settings['duration']} s per timed workload; {settings['rounds']} round(s), "
        "peers alternating within each workload; every figure is the median over rounds. "
        "Client, registry and proxy share the machine's CPUs.",
        f"- Command: `{command}` ({elapsed_s / 60:.1f} minutes)",
        "",
        table(values, settings),
        "",
        "MB/s and GB are decimal (10^6, 10^9 bytes). CPU is the proxy's whole process tree "
        "(user + system, from /proc), so Squid's certificate helpers count. Latencies and "
        "rates are measured by the client. A ratio is pullgate's median over the other "
        "peer's.",
    ]
    if notes:
        out += ["", "Notes from this run:", ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"
