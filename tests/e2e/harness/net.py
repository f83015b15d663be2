"""Loopback addresses, free ports and bounded waits.

Each server in a test gets its own 127.x.y.z address, so a port that is
briefly in use elsewhere (or a leftover from an earlier run) cannot be
mistaken for ours, and pullgate's `upstream.resolve` maps each fake public
host name to a distinct address. The second octet comes from the process
id, so two test processes rarely share an address either.
"""

import itertools
import os
import socket
import time

_counter = itertools.count()
_second_octet = 20 + os.getpid() % 200


def loopback_address():
    """A new 127.0.0.0/8 address for this process, never 127.0.0.1
    (the embedded defaults and other tools use it)."""
    n = next(_counter)
    return f"127.{_second_octet}.{n // 250}.{n % 250 + 2}"


def free_port(address):
    """A TCP port that was free on `address` a moment ago. The kernel
    picks it, so it is outside ports that fixed-port tests use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def port_is_open(address, port, timeout=0.5):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, what, interval=0.05, process=None):
    """Poll `predicate` until it returns something truthy, which is
    returned. Fails after `timeout` seconds, or at once when `process`
    (a procs.Process) has exited, with its log, since waiting longer for
    a dead server only hides why it died."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if process is not None and not process.running():
            raise AssertionError(f"{process.name} exited with status {process.returncode()} "
                                 f"while waiting for {what}\n{process.log_tail()}")
        if time.monotonic() >= deadline:
            extra = f"\n{process.log_tail()}" if process is not None else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(interval)


def wait_for_port(address, port, timeout, process=None):
    wait_until(lambda: port_is_open(address, port), timeout,
               f"{address}:{port} to accept connections", process=process)
