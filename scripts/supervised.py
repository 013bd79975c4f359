"""Supervised child processes for devstack: start with a prefixed, logged output stream, stop
with a grace period, kill, tail the log, and check whether a port is free."""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


COLOURS = itertools.cycle(("36", "32", "33", "35", "34", "31"))


def port_is_free(host: str, port: int) -> bool:
    """True unless something listens there. SO_REUSEADDR as the servers use it, so connections
    left in TIME_WAIT by a process we just stopped do not count as "taken"."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


try:
    _LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:  # pragma: no cover
    _LIBC = None


def _own_session() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ctrl-C in the terminal then reaches only the supervisor, which stops the children in order."""
    os.setsid()


def _own_session_dying_with_parent() -> None:  # pragma: no cover - child side
    """As above, and SIGTERM to the child if the supervisor is SIGKILLed (Linux PR_SET_PDEATHSIG).
    The signal follows the *thread* that forked, so this is used only from the main thread."""
    os.setsid()
    _LIBC.prctl(1, signal.SIGTERM)


@dataclass
class Proc:
    """One supervised child process and where its output goes."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    stream: bool
    colour: str
    process: subprocess.Popen | None = None
    expected_exit: bool = False
    _reader: threading.Thread | None = None
    _log: IO[bytes] | None = None
    _tail: deque = field(default_factory=lambda: deque(maxlen=200))

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, cwd: Path, lock: threading.Lock) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab", buffering=0)
        self._log.write(f"---- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {self.name}: {' '.join(self.command)}\n".encode())
        self.expected_exit = False
        self.process = subprocess.Popen(
            self.command,
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if self.stream else self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_session_dying_with_parent
            if _LIBC is not None and threading.current_thread() is threading.main_thread()
            else _own_session,
        )
        if self.stream:
            self._reader = threading.Thread(target=self._pump, args=(self.process.stdout, lock), daemon=True)
            self._reader.start()

    def _pump(self, pipe: IO[bytes], lock: threading.Lock) -> None:
        tty = sys.stdout.isatty()
        prefix = f"{self.name:<8} | "
        if tty:
            prefix = f"\033[{self.colour}m{prefix}\033[0m"
        log = self._log
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._tail.append(line)
            try:
                log.write(raw)
                with lock:
                    sys.stdout.write(prefix + line + "\n")
                    sys.stdout.flush()
            except (OSError, ValueError):
                pass  # terminal gone or log closed: keep draining so the child never blocks
        pipe.close()

    def signal(self, signum: int) -> None:
        if self.running:
            self.process.send_signal(signum)

    def stop(self, grace: float) -> int | None:
        """SIGTERM, wait up to ``grace`` seconds, then SIGKILL. Returns the exit code."""
        if self.process is None:
            return None
        self.expected_exit = True
        if self.running:
            self.process.send_signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._finish()
        return self.process.returncode

    def kill(self) -> int:
        self.expected_exit = True
        if self.running:
            self.process.kill()
        code = self.process.wait()
        self._finish()
        return code

    def _finish(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if self._log is not None:
            self._log.write(f"---- {self.name} exited with {self.process.returncode}\n".encode())
            self._log.close()
            self._log = None

    def tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the process's log (read from the end of the file)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 64 * 1024))
                text = log.read().decode("utf-8", "replace").splitlines()
        except OSError:
            text = list(self._tail)
        return "\n".join(text[-lines:])
