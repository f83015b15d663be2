"""pullgate itself: configured, started, signalled and measured by tests.

The binary comes from $PULLGATE (meson passes the one it built), else
$SOURCE_ROOT/build/proxy/pullgate, else build/proxy/pullgate next to this
source tree. The configuration is a dict written as JSON (a subset of
YAML, so pullgate reads it as its YAML and the harness needs no YAML
library). Readiness is pullgate's own /readyz, not a sleep.
"""

import http.client
import json
import os
import re
import signal

from . import net, pki, procs

START_TIMEOUT = 20


def binary():
    if os.environ.get("PULLGATE"):
        return os.environ["PULLGATE"]
    root = os.environ.get("SOURCE_ROOT") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    return os.path.join(root, "build", "proxy", "pullgate")


def run_cli(*args, timeout=30, cwd=None, check=False):
    """`pullgate ARGS` as a command (check, ca init, explain, --version)."""
    return procs.run([binary(), *args], timeout, cwd=cwd, check=check)


def write_config(path, config):
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def http_get(address, port, path, timeout=5):
    """(status, body bytes) of a plain GET, or (None, b"") when nothing
    answers: for the admin listener."""
    try:
        c = http.client.HTTPConnection(address, port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body
    except (OSError, http.client.HTTPException):
        return None, b""


# The SPEC's audit record fields ("more may be added").
AUDIT_FIELDS = ("time", "client", "user", "method", "host", "registry", "kind", "action",
                "repository", "reference", "image", "category", "decision", "enforced", "rule",
                "reason", "status", "bytes", "duration_ms")
AUDIT_KINDS = {"ping", "manifest", "blob", "upload", "tags", "referrers", "catalog", "token",
               "other", "connect"}
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_CLIENT = re.compile(r"^(\d{1,3}\.){3}\d{1,3}:\d+$|^\[[0-9a-f:.]+\]:\d+$")


def audit_shape_problems(record):
    """What is wrong with `record` against the SPEC's field table: missing
    fields and values of the wrong form. An empty list means none."""
    problems = [f"missing field {f!r}" for f in AUDIT_FIELDS if f not in record]
    checks = [
        ("time", lambda v: isinstance(v, str) and _TIME.match(v), "UTC with milliseconds"),
        ("client", lambda v: isinstance(v, str) and _CLIENT.match(v), "address:port"),
        ("method", lambda v: isinstance(v, str) and v.isupper() and v, "an HTTP method"),
        ("host", lambda v: isinstance(v, str) and v, "a host name"),
        ("kind", lambda v: v in AUDIT_KINDS, f"one of {sorted(AUDIT_KINDS)}"),
        ("action", lambda v: v in ("pull", "push", "delete", "other"), "pull/push/delete/other"),
        ("decision", lambda v: v in ("allow", "deny"), "allow or deny"),
        ("enforced", lambda v: isinstance(v, bool), "a boolean"),
        ("status", lambda v: isinstance(v, int) and 100 <= v <= 599, "an HTTP status"),
        ("bytes", lambda v: isinstance(v, int) and v >= 0, "a byte count"),
        ("duration_ms", lambda v: isinstance(v, (int, float)) and v >= 0, "milliseconds"),
    ]
    for field, ok, what in checks:
        if field in record and not ok(record[field]):
            problems.append(f"{field}={record[field]!r} is not {what}")
    return problems


def split_address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Pullgate:
    """One `pullgate serve --config FILE` process.

    `config` must name `listen` and `audit_log` (a file); `admin`, when
    set, is used for readiness. Audit records are read back from the file,
    one JSON object a line.
    """

    def __init__(self, workdir, config, *, name="pullgate"):
        self.name = name
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        self.config = config
        self.config_path = os.path.join(self.workdir, "pullgate.yaml")
        self.process = None

    # -- addresses and files -------------------------------------------
    @property
    def listen(self):
        return split_address(self.config["listen"])

    @property
    def proxy_url(self):
        address, port = self.listen
        return f"http://{address}:{port}"

    @property
    def audit_path(self):
        return self.config["audit_log"]

    @property
    def ca_cert(self):
        return self.config["tls"]["ca_cert"]

    def cert_dir(self):
        """A directory with pullgate's CA as ca.crt, for skopeo."""
        return pki.cert_dir(os.path.join(self.workdir, "client-certs"), self.ca_cert)

    # -- life cycle ------------------------------------------------------
    def start(self):
        write_config(self.config_path, self.config)
        self.process = procs.Process([binary(), "serve", "--config", self.config_path],
                                     name=self.name, log_dir=self.workdir, cwd=self.workdir)
        if self.config.get("admin"):
            address, port = split_address(self.config["admin"])
            net.wait_until(lambda: http_get(address, port, "/readyz", 1)[0] == 200,
                           START_TIMEOUT, f"{self.name} /readyz", process=self.process)
        else:
            net.wait_for_port(*self.listen, START_TIMEOUT, process=self.process)
        return self

    def admin_get(self, path):
        return http_get(*split_address(self.config["admin"]), path)

    def send_signal(self, sig):
        self.process.send_signal(sig)

    def reload(self, config):
        """Write `config` to the same file and send SIGHUP."""
        self.config = config
        write_config(self.config_path, config)
        self.send_signal(signal.SIGHUP)

    def write_raw_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def stop(self, timeout=10):
        return self.process.stop(timeout) if self.process else None

    def wait(self, timeout):
        return self.process.wait(timeout)

    # -- observation -----------------------------------------------------
    def log(self):
        """pullgate's diagnostics (stderr) and stdout, concatenated."""
        return self.process.stderr_text() + self.process.stdout_text()

    def wait_for_log(self, text, timeout=10, occurrence=1):
        """Wait until `text` appears `occurrence` times in the logs."""
        net.wait_until(lambda: self.log().count(text) >= occurrence, timeout,
                       f"{self.name} to log {text!r} (x{occurrence})", process=self.process)

    def audit_records(self, path=None):
        """The complete records in the audit log. pullgate may be writing
        as this reads, and a reader can see part of a write: a last line
        without its newline is not a record yet (and is read again next
        time); every complete line must be JSON."""
        path = path or self.audit_path
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            return []
        lines = text.split("\n")[:-1]  # the part after the last newline is unfinished
        records = []
        for n, line in enumerate(lines, 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise AssertionError(f"{path}:{n}: not a JSON line ({e}): {line!r}")
        return records

    def wait_for_audit(self, predicate, timeout=10, what="an audit record", count=1):
        """Wait until `count` records satisfy `predicate`; returns them
        (records are written when a request finishes, not when the
        client has its answer)."""
        def found():
            matches = [r for r in self.audit_records() if predicate(r)]
            return matches if len(matches) >= count else None
        return net.wait_until(found, timeout, f"{what} in {self.audit_path}",
                              process=self.process)

    def status(self):
        """/proc/PID/status as a dict of its fields."""
        with open(f"/proc/{self.process.pid}/status") as f:
            return dict(line.split(":", 1) for line in f if ":" in line)

    def peak_rss_kib(self):
        """VmHWM: the peak resident set size so far, in KiB."""
        return int(self.status()["VmHWM"].split()[0])

    def rss_kib(self):
        return int(self.status()["VmRSS"].split()[0])

    def sanitized(self):
        """True when this pullgate is an ASan build (libasan is mapped).
        ASan reserves about 200 MiB of shadow and allocator memory before
        the first request, so only growth says something about pullgate's
        own memory there; scripts/test-all.sh keeps ASan's quarantine of
        freed memory small for the same reason."""
        with open(f"/proc/{self.process.pid}/maps") as f:
            return "libasan" in f.read()
