"""Private containerd daemon and the `ctr` client, for pullgate's end-to-end tests.

Also home of the small process and mount-namespace helpers that dockerd.py and
podman.py share (run_cmd, Daemon, ns_argv, proxy_env).

How the private containerd is isolated (nothing touches the host's global
state; checked with strace, see selfcheck_clients.py):

* its own config.toml: root, state, gRPC/ttrpc sockets in a temp dir, debug and
  metrics listeners off, and the plugins we do not need disabled -- CRI above
  all, and `io.containerd.internal.v1.opt`, which would otherwise create
  /opt/containerd on the host;
* it runs in a private mount namespace (`unshare -m --propagation private`)
  with a tmpfs on /run (so nothing lands in the host's /run/containerd), so the
  bind mounts the snapshotter makes while unpacking die with the daemon.

`ctr image pull` resolves and fetches in the *client* process (ctr), not in
containerd: the proxy environment (HTTPS_PROXY/HTTP_PROXY) and the trust
(`--tlscacert`, which ctr 1.6 has) go to ctr. containerd only receives the
content over gRPC and unpacks it.

Usage:

    with Containerd(workdir) as c:
        rc, out, err = c.pull("docker.io/library/alpine:3.19",
                              proxy_url="http://127.0.0.1:3128",
                              ca_file="certs/ca.crt")
"""

import atexit
import ctypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

__all__ = [
    "CommandTimeout", "StartError", "Daemon", "Containerd",
    "run_cmd", "ns_argv", "proxy_env", "clean_env", "short_socket_dir",
    "strip_ansi", "register_owner", "unregister_owner",
]

SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class CommandTimeout(TimeoutError):
    """A client command did not finish in time; its process group was killed."""

    def __init__(self, argv, timeout, stdout, stderr):
        self.argv, self.timeout, self.stdout, self.stderr = argv, timeout, stdout, stderr
        super().__init__("timed out after %ss: %s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                         % (timeout, " ".join(shlex.quote(a) for a in argv),
                            stdout[-4000:], stderr[-4000:]))


class StartError(RuntimeError):
    """A daemon did not come up; the message carries the tail of its log."""


# --------------------------------------------------------------------------
# environment

def clean_env(extra=None):
    """The current environment without any proxy variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy",
                                "ssl_cert_file", "ssl_cert_dir")}
    if "/usr/sbin" not in env.get("PATH", ""):
        env["PATH"] = SBIN_PATH + ":" + env.get("PATH", "")
    if extra:
        env.update(extra)
    return env


def proxy_env(proxy_url, extra=None):
    """Environment that sends HTTPS and HTTP through `proxy_url` and nothing around it.

    Go reads both spellings; we set the upper-case ones, drop the lower-case
    ones, and set NO_PROXY empty (Go never proxies localhost/loopback literals
    anyway, which is why registries must be named by host name)."""
    env = clean_env()
    if proxy_url:
        env.update({"HTTPS_PROXY": proxy_url, "HTTP_PROXY": proxy_url, "NO_PROXY": ""})
    if extra:
        env.update(extra)
    return env


# --------------------------------------------------------------------------
# commands and daemons

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _libc = None


def _die_with_parent():
    # In the child between fork and exec: if the test process dies, even by
    # SIGKILL, the kernel kills this child (unshare and sh exec, so the
    # setting reaches dockerd/containerd/podman themselves).
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, 9)


# Launchers (Containerd, DockerDaemon, Podman) that have not been stopped yet:
# stopped at interpreter exit, so an aborted test leaves no daemon and no temp dir.
_live_owners = []


def register_owner(obj):
    if obj not in _live_owners:
        _live_owners.append(obj)


def unregister_owner(obj):
    if obj in _live_owners:
        _live_owners.remove(obj)


@atexit.register
def _stop_leftovers():
    for obj in reversed(list(_live_owners)):
        try:
            obj.stop()
        except Exception:
            pass


def _kill_group(pgid, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_cmd(argv, env=None, timeout=120, cwd=None, input=None):
    """Run argv in its own process group; return (returncode, stdout, stderr).

    On timeout the whole process group is killed and CommandTimeout raised."""
    p = subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True,
                         preexec_fn=_die_with_parent, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(input=input.encode() if isinstance(input, str) else input,
                                 timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(p.pid)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        raise CommandTimeout(argv, timeout, out.decode(errors="replace"),
                             err.decode(errors="replace"))
    finally:
        # Anything the command left behind in its group (it should be nothing).
        _kill_group(p.pid)
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def strip_ansi(text):
    """ctr draws progress bars with ANSI colours and carriage returns."""
    import re
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).replace("\r", "\n")


class Daemon:
    """A long-running process in its own session/process group, logging to a file."""

    def __init__(self, name, argv, env, log_path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, start_new_session=True,
                                         preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def wait_until(self, ready, timeout, what):
        """Poll ready() until true; fail early if the process dies."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise StartError("%s exited (status %s) before %s; log:\n%s"
                                 % (self.name, self.proc.returncode if self.proc else None,
                                    what, self.log_tail()))
            try:
                if ready():
                    return
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise StartError("%s: no %s after %ss; log:\n%s"
                                 % (self.name, what, timeout, self.log_tail()))
            time.sleep(0.05)

    def stop(self, timeout=30):
        """SIGTERM, wait up to `timeout`, then SIGKILL the whole process group."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc.pid)
                self.proc.wait(timeout=10)
        _kill_group(self.proc.pid)  # leftovers in the group
        return self.proc.returncode


def unix_socket_ready(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def short_socket_dir(workdir, prefix):
    """A directory for unix sockets: `workdir` if short enough, else a fresh one in /tmp.

    Unix socket paths are limited to 107 bytes; pytest tmp paths are long.
    Returns (dir, created) -- the caller removes it when created is True."""
    if len(os.path.join(workdir, "containerd.sock.ttrpc")) < 96:
        return workdir, False
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp"), True


# --------------------------------------------------------------------------
# private mount namespaces

# Directories we refuse to hide under a tmpfs when a masked path is missing.
_NEVER_TMPFS = {"/", "/etc", "/usr", "/var", "/tmp", "/home", "/root", "/proc", "/sys", "/dev",
                "/bin", "/sbin", "/lib", "/lib64", "/opt"}


def ns_argv(argv, binds=(), tmpfs=(), masks=(), readonly=()):
    """Wrap argv so it runs in a private mount namespace.

    tmpfs: directories that get an empty private tmpfs (e.g. /run, /dev/shm);
           mounted first.
    binds: [(src, dst)] bind mounts; dst must exist (a file or a directory),
           also after the tmpfs mounts (so not a symlink into /run).
    masks: [(private_dir, target)] -- hide `target` behind `private_dir`. If
           `target` does not exist, its nearest existing ancestor gets a tmpfs
           (refused for top-level system directories) and the target is created
           inside that tmpfs, so the host never sees a new directory.
    readonly: directories made read-only for argv (a read-only bind of
           themselves), e.g. /proc/sys so that no sysctl can be changed.

    Needs root (CAP_SYS_ADMIN). `unshare` without --fork execs, so the pid of
    the returned command line is the pid of argv[0] once it starts."""
    if os.geteuid() != 0:
        raise PermissionError("the e2e client launchers need root (mount namespaces)")
    lines = ["set -e"]
    # `mount -n`: without it mount(8) records userspace options in libmount's
    # utab and creates /run/mount on the *host's* /run before our tmpfs covers it.
    for d in tmpfs:
        mode = "1777" if d in ("/dev/shm", "/tmp", "/var/tmp") else "0755"
        lines.append("mount -n -t tmpfs -o mode=%s,size=64m tmpfs %s" % (mode, shlex.quote(d)))
    for src, dst in binds:
        if not os.path.exists(dst):
            raise FileNotFoundError("bind target %s does not exist on this host" % dst)
        lines.append("mount -n --bind %s %s" % (shlex.quote(src), shlex.quote(dst)))
    for src, target in masks:
        if os.path.isdir(target):
            lines.append("mount -n --bind %s %s" % (shlex.quote(src), shlex.quote(target)))
            continue
        anc = os.path.dirname(target.rstrip("/"))
        while not os.path.isdir(anc):
            anc = os.path.dirname(anc)
        if anc in _NEVER_TMPFS:
            raise FileNotFoundError("cannot mask %s: it is missing and its parent %s is too "
                                    "important to hide" % (target, anc))
        lines.append("mount -n -t tmpfs -o mode=0755 tmpfs %s" % shlex.quote(anc))
        lines.append("mkdir -p %s" % shlex.quote(target))
        lines.append("mount -n --bind %s %s" % (shlex.quote(src), shlex.quote(target)))
    for d in readonly:
        lines.append("mount -n --bind %s %s" % (shlex.quote(d), shlex.quote(d)))
        lines.append("mount -n -o remount,bind,ro %s" % shlex.quote(d))
    lines.append('exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "--",
            "/bin/sh", "-c", "\n".join(lines), "pullgate-e2e-ns"] + list(argv)


# --------------------------------------------------------------------------
# containerd

_DISABLED_PLUGINS = [
    "io.containerd.grpc.v1.cri",              # Kubernetes CRI: not needed, heavy, wants CNI
    "io.containerd.internal.v1.opt",          # would create /opt/containerd on the host
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.tracing.processor.v1.otlp",
    "io.containerd.internal.v1.tracing",
]


def containerd_config(root, state, sock):
    """A containerd 1.6 config (version 2) with everything private."""
    q = lambda s: '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join([
        "version = 2",
        "root = %s" % q(root),
        "state = %s" % q(state),
        "disabled_plugins = [%s]" % ", ".join(q(p) for p in _DISABLED_PLUGINS),
        "",
        "[grpc]",
        "  address = %s" % q(sock),
        "[ttrpc]",
        "  address = %s" % q(sock + ".ttrpc"),
        "[debug]",
        '  address = ""',
        '  level = "info"',
        "[metrics]",
        '  address = ""',
        "",
    ])


class Containerd:
    """A private containerd plus the `ctr` client.

    Containerd(workdir).start() creates a temp dir under workdir (removed by
    stop()), writes config.toml, starts `containerd --config` in a private
    mount namespace and waits for its gRPC socket.
    """

    def __init__(self, workdir, namespace="pullgate-e2e", snapshotter="native",
                 containerd_bin="containerd", ctr_bin="ctr", start_timeout=30, keep=False):
        self.workdir = workdir
        self.namespace = namespace
        # native: plain directory copies, works on any filesystem and kernel
        # (overlayfs also works here, inside the private namespace).
        self.snapshotter = snapshotter
        self.containerd_bin = containerd_bin
        self.ctr_bin = ctr_bin
        self.start_timeout = start_timeout
        self.keep = keep
        self.dir = None
        self.sock = None
        self.daemon = None
        self.startup_seconds = None
        self._sockdir_created = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="containerd-", dir=self.workdir)
        register_owner(self)
        try:
            sockdir, created = short_socket_dir(self.dir, "pg-ctd-")
            self._sockdir_created = sockdir if created else None
            self.sock = os.path.join(sockdir, "containerd.sock")
            root, state = os.path.join(self.dir, "root"), os.path.join(self.dir, "state")
            os.makedirs(root)
            os.makedirs(state, mode=0o711)
            conf = os.path.join(self.dir, "config.toml")
            with open(conf, "w") as f:
                f.write(containerd_config(root, state, self.sock))
            argv = ns_argv([self.containerd_bin, "--config", conf], tmpfs=["/run"])
            self.daemon = Daemon("containerd", argv, clean_env(),
                                 os.path.join(self.dir, "containerd.log"))
            t0 = time.monotonic()
            self.daemon.start()
            self.daemon.wait_until(lambda: unix_socket_ready(self.sock), self.start_timeout,
                                   "gRPC socket %s" % self.sock)
            # The socket is opened after all plugins loaded; confirm with a round trip.
            self.daemon.wait_until(
                lambda: run_cmd([self.ctr_bin, "-a", self.sock, "version"], env=clean_env(),
                                timeout=10)[0] == 0,
                self.start_timeout, "answer to `ctr version`")
            self.startup_seconds = time.monotonic() - t0
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout=20):
        if self.daemon is not None:
            self.daemon.stop(timeout)
            self.daemon = None
        if self._sockdir_created:
            shutil.rmtree(self._sockdir_created, ignore_errors=True)
            self._sockdir_created = None
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        unregister_owner(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        return self.daemon.log_tail(10000) if self.daemon else ""

    # -- ctr -----------------------------------------------------------------
    def ctr(self, *args, env=None, timeout=120):
        """Run `ctr -a SOCK -n NAMESPACE ARGS...`; (rc, out, err)."""
        argv = [self.ctr_bin, "-a", self.sock, "-n", self.namespace] + list(args)
        return run_cmd(argv, env=env if env is not None else clean_env(), timeout=timeout)

    def _remote_opts(self, ca_file, plain_http, extra):
        opts = []
        if ca_file:
            opts += ["--tlscacert", ca_file]
        if plain_http:
            opts.append("--plain-http")
        return opts + list(extra)

    def pull(self, ref, proxy_url=None, ca_file=None, all_platforms=False, platform=None,
             plain_http=False, timeout=120, extra_args=()):
        """`ctr image pull` with the proxy in ctr's environment.

        ref must be fully qualified (docker.io/library/alpine:3.19): ctr does
        not expand short names. plain_http=True uses http:// (through
        HTTP_PROXY, absolute-form). Returns (rc, stdout, stderr); the error is
        on stderr as `ctr: failed to resolve reference ...`."""
        args = ["image", "pull", "--snapshotter", self.snapshotter]
        if all_platforms:
            args.append("--all-platforms")
        if platform:
            args += ["--platform", platform]
        args += self._remote_opts(ca_file, plain_http, extra_args) + [ref]
        return self.ctr(*args, env=proxy_env(proxy_url), timeout=timeout)

    def push(self, ref, local_ref=None, proxy_url=None, ca_file=None, plain_http=False,
             platform=None, timeout=120, extra_args=()):
        """`ctr image push REF [LOCAL]` (LOCAL: an image already in this containerd)."""
        args = ["image", "push"]
        if platform:
            args += ["--platform", platform]
        args += self._remote_opts(ca_file, plain_http, extra_args) + [ref]
        if local_ref:
            args.append(local_ref)
        return self.ctr(*args, env=proxy_env(proxy_url), timeout=timeout)

    def tag(self, src, dst, timeout=60):
        return self.ctr("image", "tag", src, dst, timeout=timeout)

    def images(self, timeout=60):
        """Names of the images in our namespace."""
        rc, out, err = self.ctr("image", "ls", "-q", timeout=timeout)
        if rc != 0:
            raise RuntimeError("ctr image ls failed: %s" % err)
        return [l for l in out.splitlines() if l.strip()]

    def remove(self, *refs, timeout=60):
        return self.ctr("image", "rm", *refs, timeout=timeout)
