"""Start and stop the processes a benchmark measures (broker, a service, the baseline)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from csq_testing import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Server:
    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process (all its threads) has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def uvicorn_process(target: str, env: dict[str, str], *, factory: bool, log: Path, ready_path: str | None = "/readyz"):
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        if ready_path:
            deadline = time.monotonic() + 60
            while httpx.get(f"http://127.0.0.1:{port}{ready_path}").status_code != 200:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{target} not ready; see {log}")
                time.sleep(0.2)
        yield Server(port, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
