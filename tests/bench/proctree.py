"""CPU time and memory of a proxy's whole process tree, from /proc.

Squid runs helpers (security_file_certgen mints its certificates, a log
daemon writes its access log), so a proxy's cost is its process and every
descendant. CPU time is read before and after a workload from
/proc/PID/stat: utime + stime of each live process, plus cutime + cstime,
which hold the time of children that have already exited and been reaped,
so a helper that comes and goes between two readings is still counted.
Memory is VmRSS; a workload's peak is VmHWM after resetting it through
/proc/PID/clear_refs (Linux 4.0+), summed over the tree.
"""

import os

_TICKS = os.sysconf("SC_CLK_TCK")


def _parents():
    """{pid: parent pid} of every process now running."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                # The command name (field 2) is in parentheses and may hold
                # spaces; the fields after its closing one are fixed.
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue  # exited while we looked
    return parents


def tree(root):
    """`root` and all its descendants."""
    children = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root):
    """User plus system CPU seconds used so far by the tree of `root`."""
    ticks = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields 14-17 of proc(5): utime stime cutime cstime; after the
        # command name, field N is at index N - 3.
        ticks += sum(int(v) for v in fields[11:15])
    return ticks / _TICKS


def _status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(root):
    """Resident memory of the tree now (VmRSS), KiB."""
    return sum(_status_kib(pid, "VmRSS") for pid in tree(root))


def reset_peak(root):
    """Start a new VmHWM period for every process of the tree."""
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass


def peak_kib(root):
    """Sum of each process's VmHWM since reset_peak, KiB (for a single
    process, its peak; for a tree, an upper bound of the peak)."""
    return sum(_status_kib(pid, "VmHWM") for pid in tree(root))
