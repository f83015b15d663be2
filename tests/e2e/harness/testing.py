"""The test-file convention: each tests/e2e/test_*.py is an executable
unittest script that meson runs as `python3 FILE`.

- E2ETestCase gives each test a temporary directory, removed afterwards
  (kept with PULLGATE_E2E_KEEP=1), and prints the logs of the servers a
  failed test started, since a failure's cause is usually in them.
- main() exits non-zero when anything failed, errored, was skipped, or
  when no test ran at all: a skip must never be counted as a pass.
- Missing tools are failures, not skips (require_tools).
"""

import shutil
import sys
import time
import unittest

from . import procs


def require_tools(*names):
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise AssertionError(f"missing tools: {', '.join(missing)} (install the Debian packages "
                             f"named in the README's test dependencies)")


class E2ETestCase(unittest.TestCase):
    """Base class: self.tmp is a fresh directory per test; self.watch()
    registers a server's logs to print if the test fails."""

    def setUp(self):
        self.tmp = procs.temp_dir(prefix=f"pullgate-e2e-{self._testMethodName[:40]}-")
        self._watched = []
        self._started = time.monotonic()
        self.addCleanup(procs.remove_temp_dir, self.tmp)
        self.addCleanup(self._report)

    def watch(self, *processes):
        """Print these procs.Process logs if the test fails. Returns the
        first one, for chaining."""
        self._watched.extend(processes)
        return processes[0] if processes else None

    def stop_later(self, thing):
        """Stop `thing` (anything with .stop()) when the test ends, and
        print its logs if the test failed."""
        self.addCleanup(thing.stop)
        process = getattr(thing, "process", thing)
        if isinstance(process, procs.Process):
            self._watched.append(process)
        return thing

    def _failed(self):
        # Cleanups run inside their own "test part", so the outcome's
        # success flag reads True here; the result's lists do not lie.
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return True
        return any(getattr(test, "test_case", test) is self
                   for test, _ in list(result.failures) + list(result.errors))

    def _report(self):
        elapsed = time.monotonic() - self._started
        print(f"  [{self._testMethodName}: {elapsed:.1f}s]", file=sys.stderr)
        if not self._failed():
            return
        for p in self._watched:
            print(p.log_tail(), file=sys.stderr)


class SharedWorldTestCase(E2ETestCase):
    """For files whose tests share one expensive setup (a registry with
    images in it). setUpClass makes cls.shared_tmp; subclasses build on
    it and register stops with cls.addClassCleanup."""

    @classmethod
    def setUpClass(cls):
        cls.shared_tmp = procs.temp_dir(prefix=f"pullgate-e2e-{cls.__name__[:40]}-")
        cls.addClassCleanup(procs.remove_temp_dir, cls.shared_tmp)


def main():
    """Run the calling module's tests; exit 0 only if every test passed."""
    program = unittest.main(module="__main__", exit=False, verbosity=2)
    result = program.result
    if result.skipped:
        print(f"FAILED: {len(result.skipped)} test(s) skipped; e2e tests never skip",
              file=sys.stderr)
    ok = result.wasSuccessful() and not result.skipped and result.testsRun > 0
    procs.cleanup_all()
    sys.exit(0 if ok else 1)

