"""Subprocesses with deadlines, and servers that cannot outlive the test.

An e2e test that hangs, or leaves a registry listening, poisons every later
run, so:

- every command run here has a timeout, and a timeout kills its whole
  process group;
- every long-running child gets its own process group (its children go
  with it), dies with the test process (PR_SET_PDEATHSIG), and is also
  stopped by an atexit hook and by a SIGTERM handler, because meson sends
  SIGTERM when a test overruns its timeout;
- temporary directories made here are removed by the same hooks.

Set PULLGATE_E2E_KEEP=1 to keep temporary directories for a post-mortem.
"""

import atexit
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)

# Inherited proxy settings would send the tests' direct traffic (registry
# readiness probes, direct pushes) somewhere else; every child starts
# without them and gets only what the test sets.
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy")

_live = []          # Process objects not yet stopped
_temp_dirs = []     # directories to remove at exit


def _die_with_parent():
    # Runs in the child between fork and exec: if the test process dies,
    # even by SIGKILL, the kernel kills this child too.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def clean_env(extra=None):
    """os.environ without proxy variables, plus `extra` (a dict)."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARIABLES}
    env.update(extra or {})
    return env


class CommandFailed(AssertionError):
    """A command exited non-zero or overran its timeout. An AssertionError,
    so unittest reports it as the test's failure, with the output."""


def _describe(args, code, out, err):
    def tail(text):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        text = text or ""
        return text[-4000:]
    return (f"command {' '.join(map(str, args))} exited {code}\n"
            f"--- stdout ---\n{tail(out)}\n--- stderr ---\n{tail(err)}")


def run(args, timeout, *, env=None, cwd=None, input=None, check=True, text=True):
    """Run a command to completion within `timeout` seconds.

    Returns subprocess.CompletedProcess; raises CommandFailed when the
    command overruns (its process group is killed) or, with check=True,
    exits non-zero.
    """
    args = [str(a) for a in args]
    p = subprocess.Popen(args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env if env is not None else clean_env(), cwd=cwd,
                         start_new_session=True, preexec_fn=_die_with_parent, text=text)
    try:
        out, err = p.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise CommandFailed(f"timed out after {timeout}s: " + _describe(args, "(killed)", out, err))
    if check and p.returncode != 0:
        raise CommandFailed(_describe(args, p.returncode, out, err))
    return subprocess.CompletedProcess(args, p.returncode, out, err)


def _kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


class Process:
    """A long-running child: a server, or a client the test watches.

    stdout and stderr go to files in `log_dir` (NAME.out, NAME.err) so
    that a failing test can show them and a chatty child never blocks on a
    full pipe.
    """

    def __init__(self, args, *, name, log_dir, env=None, cwd=None):
        self.name = name
        self.args = [str(a) for a in args]
        self.stdout_path = os.path.join(log_dir, f"{name}.out")
        self.stderr_path = os.path.join(log_dir, f"{name}.err")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=err,
                                          env=env if env is not None else clean_env(), cwd=cwd,
                                          start_new_session=True, preexec_fn=_die_with_parent)
        _live.append(self)

    @property
    def pid(self):
        return self.popen.pid

    def running(self):
        return self.popen.poll() is None

    def returncode(self):
        return self.popen.poll()

    def send_signal(self, sig):
        """Signal the process itself (not its group): what an operator's
        `kill -HUP PID` does."""
        self.popen.send_signal(sig)

    def wait(self, timeout):
        """Wait for a normal exit; raises CommandFailed after `timeout`."""
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CommandFailed(f"{self.name} (pid {self.pid}) still running after {timeout}s\n"
                                + self.log_tail())
        self._forget()
        return code

    def stop(self, timeout=10):
        """SIGTERM the process group, then SIGKILL it after `timeout`.
        Safe to call twice; returns the exit status."""
        # The group is signalled only while its leader is not yet reaped,
        # so its id cannot belong to anybody else's processes.
        if self.popen.poll() is None:
            _kill_group(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._forget()
        return self.popen.returncode

    def stdout_text(self):
        return _read_text(self.stdout_path)

    def stderr_text(self):
        return _read_text(self.stderr_path)

    def log_tail(self, chars=4000):
        return (f"--- {self.name} stdout ({self.stdout_path}) ---\n{self.stdout_text()[-chars:]}\n"
                f"--- {self.name} stderr ({self.stderr_path}) ---\n{self.stderr_text()[-chars:]}")

    def _forget(self):
        if self in _live:
            _live.remove(self)


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def keep_temp_dirs():
    return os.environ.get("PULLGATE_E2E_KEEP") == "1"


def temp_dir(prefix="pullgate-e2e-"):
    """A fresh directory, removed when the test process ends (unless
    PULLGATE_E2E_KEEP=1)."""
    path = tempfile.mkdtemp(prefix=prefix)
    _temp_dirs.append(path)
    return path


def remove_temp_dir(path):
    if keep_temp_dirs():
        print(f"keeping {path}", file=sys.stderr)
    else:
        shutil.rmtree(path, ignore_errors=True)
    if path in _temp_dirs:
        _temp_dirs.remove(path)


def cleanup_all():
    """Kill every live child's process group and remove temporary
    directories. Idempotent."""
    for p in list(_live):
        if p.popen.poll() is None:
            _kill_group(p.pid, signal.SIGKILL)
        try:
            p.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        p._forget()
    for d in list(_temp_dirs):
        remove_temp_dir(d)


def _on_sigterm(signum, _frame):
    # unittest would catch a SystemExit raised inside a test and go on
    # with the next one, so clean up here and leave at once.
    cleanup_all()
    os._exit(128 + signum)


atexit.register(cleanup_all)
signal.signal(signal.SIGTERM, _on_sigterm)

