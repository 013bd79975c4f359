"""The supervisor itself (scripts/devstack.py): refuses taken ports, names a service that cannot
start, and as `make run` stops cleanly on Ctrl-C / SIGTERM or loudly when a process dies."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devstack import ROOT, Stack, StackError, port_is_free
from csq_testing import TEST_SESSION_TIMEOUT_MS, free_port


def test_refuses_to_start_when_a_port_is_taken(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        stack = Stack(services=("feedback",), ports={"feedback": taken}, broker_port=free_port(), var_dir=tmp_path)
        with pytest.raises(StackError, match=rf"feedback-svc port {taken} on 127.0.0.1 already in use"):
            stack.start()
    assert not (tmp_path / "log").exists()  # nothing was started


def test_a_service_that_cannot_start_is_named_with_its_log(tmp_path):
    stack = Stack(
        services=("survey",),
        ports={"survey": free_port()},
        broker_port=free_port(),
        database_urls={"survey": "mysql://nowhere/survey"},
        var_dir=tmp_path,
        ready_timeout=30,
    )
    with pytest.raises(StackError) as raised:
        stack.start()
    message = str(raised.value)
    assert message.startswith("survey-svc exited with code")
    assert "SURVEY_DATABASE_URL" in message  # the service's own settings error, from its log
    assert port_is_free("127.0.0.1", stack.broker_port)  # the broker was stopped again


class MakeRun:
    """``scripts/devstack.py`` as `make run` starts it, for a subset of services on free ports."""

    def __init__(self, tmp_path: Path, services: tuple[str, ...]) -> None:
        self.ports = {name: free_port() for name in services}
        self.broker_port = free_port()
        self.smtp_port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        env.update({f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        env.update(KAFKA_SESSION_TIMEOUT_MS=str(TEST_SESSION_TIMEOUT_MS), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "devstack.py"), "--services", ",".join(services),
             "--broker-port", str(self.broker_port), "--smtp-port", str(self.smtp_port), "--var-dir", str(tmp_path)],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def banner_end(self) -> str:
        """The last line of the "all services ready" banner (the broker's address and pid)."""
        return f"127.0.0.1:{self.broker_port}   pid "

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed; output so far:\n" + "\n".join(self.lines[-40:]))

    def pid_of(self, name: str) -> int:
        line = next(line for line in self.lines if f"{name}-svc " in line and " pid " in line)
        return int(line.rsplit(" pid ", 1)[1])

    def finish(self, timeout: float = 60) -> int:
        code = self.process.wait(timeout)
        while (line := self._queue.get(timeout=5)) is not None:
            self.lines.append(line)
        return code

    def everything_released(self) -> bool:
        return all(port_is_free("127.0.0.1", port) for port in [*self.ports.values(), self.broker_port])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_make_run_stops_everything_cleanly_on_a_signal(tmp_path, signum):
    run = MakeRun(tmp_path, ("feedback", "notify"))
    try:
        run.wait_for("all services ready")
        run.wait_for(run.banner_end)
        assert any(line.startswith("feedback | ") for line in run.lines)  # prefixed service output
        run.process.send_signal(signum)
        assert run.finish() == 0
    finally:
        run.process.kill()
    assert run.lines[-1] == "devstack | stopped"
    assert any(line.startswith("notify   | ") and "service.stopped" in line for line in run.lines)  # graceful
    assert run.everything_released()
    assert "service.stopped" in (tmp_path / "log" / "feedback.log").read_text()


def test_make_run_stops_the_rest_loudly_when_a_service_dies(tmp_path):
    run = MakeRun(tmp_path, ("feedback", "audit"))
    try:
        run.wait_for(run.banner_end)
        os.kill(run.pid_of("audit"), signal.SIGKILL)
        assert run.finish() == 1
    finally:
        run.process.kill()
    assert any("audit (exit code -9) DIED UNEXPECTEDLY" in line for line in run.lines)
    assert any(line.startswith("feedback | ") and "service.stopped" in line for line in run.lines)
    assert run.everything_released()
