"""Run the test suites (one pytest process per directory), several at once, and report each.

`make test` calls this. The suites spend most of their time waiting (a consumer group to form, a
broker to answer, an SMTP retry to come round), not computing, so running a few side by side cuts
the wall time without starving any one of them. Each suite writes to its own log; a suite's log
is printed whole when it ends (never interleaved with another's), then the list of failures.

Environment (set by the Makefile):
- ``TEST_JOBS``: suites run at once (default 3; 1 runs them one after the other);
- ``SUITE_TIMEOUT``: seconds after which a suite gets SIGINT (pytest then prints where it hung and
  the fixtures clean up), SIGKILL a minute later, and counts as failed (empty: no limit);
- ``STACK_DUMP_SECONDS``: a test still running after this long gets every thread's stack dumped;
- ``PYTEST_ARGS``: extra pytest options for every suite.

Standard library only: it runs before anything is imported from the project.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

NO_TESTS_COLLECTED = 5
KILL_AFTER_INTERRUPT_SECONDS = 60


@dataclass
class Suite:
    directory: str
    log_path: Path
    process: subprocess.Popen | None = None
    started: float = 0.0
    interrupted_at: float | None = None
    killed: bool = False
    returncode: int | None = None
    ended: float = 0.0
    log: object = field(default=None, repr=False)

    def start(self, python: str, extra: list[str], stack_dump: str) -> None:
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        if stack_dump:
            command += ["-o", f"faulthandler_timeout={stack_dump}"]
        self.log = self.log_path.open("wb")
        self.started = time.monotonic()
        # Its own process group: the interrupt reaches pytest and whatever it started, and nothing else.
        self.process = subprocess.Popen(
            command + extra, cwd=self.directory, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def poll(self, timeout: float | None) -> bool:
        """True once the suite has ended; interrupts it past ``timeout`` and kills it a minute later."""
        assert self.process is not None
        code = self.process.poll()
        if code is not None:
            self.returncode, self.ended = code, time.monotonic()
            self.log.close()
            return True
        elapsed = time.monotonic() - self.started
        if timeout and elapsed > timeout and self.interrupted_at is None:
            self.interrupted_at = time.monotonic()
            _signal_group(self.process.pid, signal.SIGINT)
        elif self.interrupted_at is not None and not self.killed and time.monotonic() - self.interrupted_at > KILL_AFTER_INTERRUPT_SECONDS:
            self.killed = True
            _signal_group(self.process.pid, signal.SIGKILL)
        return False

    @property
    def failed(self) -> bool:
        return self.interrupted_at is not None or self.returncode not in (0, NO_TESTS_COLLECTED)

    def verdict(self) -> str:
        seconds = self.ended - self.started
        if self.interrupted_at is not None:
            return f"TIMED OUT after {seconds:.0f}s"
        if self.returncode == NO_TESTS_COLLECTED:
            return "no tests collected"
        return f"{'passed' if self.returncode == 0 else f'FAILED (exit {self.returncode})'} in {seconds:.0f}s"


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def run(directories: list[str]) -> int:
    jobs = max(1, int(os.environ.get("TEST_JOBS") or 3))
    timeout = float(os.environ.get("SUITE_TIMEOUT") or 0) or None
    stack_dump = os.environ.get("STACK_DUMP_SECONDS", "")
    extra = shlex.split(os.environ.get("PYTEST_ARGS", ""))
    python = sys.executable
    logs = Path(tempfile.mkdtemp(prefix="csq-suites-"))
    waiting = [Suite(d, logs / f"{d.replace('/', '_')}.log") for d in directories]
    running: list[Suite] = []
    done: list[Suite] = []
    began = time.monotonic()
    print(f"=== {len(waiting)} suites, {jobs} at a time: {' '.join(directories)}", flush=True)
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                suite = waiting.pop(0)
                suite.start(python, extra, stack_dump)
                running.append(suite)
            for suite in list(running):
                if suite.poll(timeout):
                    running.remove(suite)
                    done.append(suite)
                    _report(suite)
            time.sleep(0.5)
    except KeyboardInterrupt:
        for suite in running:
            _signal_group(suite.process.pid, signal.SIGINT)
        raise
    failed = [suite for suite in done if suite.failed]
    total = time.monotonic() - began
    for suite in done:
        print(f"=== {suite.directory}: {suite.verdict()}")
    if failed:
        print(f"=== FAILED: {' '.join(suite.directory + ('(timeout)' if suite.interrupted_at else '') for suite in failed)} (all suites {total:.0f}s)")
        return 1
    print(f"=== passed: {' '.join(directories)} (all suites {total:.0f}s)")
    return 0


def _report(suite: Suite) -> None:
    sys.stdout.write(f"\n=== {suite.directory} ({suite.verdict()})\n")
    sys.stdout.flush()
    with suite.log_path.open("rb") as log:
        sys.stdout.buffer.write(log.read())
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
