"""Run the whole CSQ system: a Tansu broker, the topics, a local SMTP sink, and the five services.

``make run`` calls this as a script: every process's output is streamed to the terminal with a
``name |`` prefix (and copied to ``var/log/<name>.log``); Ctrl-C or SIGTERM stops the services
(SIGTERM, then SIGKILL after a grace period) and then the broker, and exits 0. If a process dies
on its own, the rest are stopped and the exit code is 1.

With notify-svc in the stack, a local SMTP sink (scripts/smtp_sink.py, aiosmtpd) is supervised
like the broker, and notify-svc is pointed at it: every email it sends lands as an ``.eml`` file
in ``<var>/mail/`` (``--no-smtp-sink`` when NOTIFY_SMTP_* points at a real server).

Whole-system tests import it (``scripts/`` on ``sys.path``)::

    with Stack(ports=..., broker_port=..., var_dir=tmp) as stack:
        stack.url("feedback")            # "http://127.0.0.1:8001"
        stack.bootstrap_servers          # "127.0.0.1:9092"
        stack.kill("kpi"); stack.start_service("kpi")   # fault injection
        stack.pause_broker(); stack.resume_broker()
        stack.mail_dir                   # <var>/mail: the sink's .eml files

Nothing happens at import: processes start in :meth:`Stack.start` (or ``__enter__``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from csq_common.bus.kafka import DOMAINS as TOPIC_DOMAINS
from supervised import COLOURS, Proc, port_is_free

ROOT = Path(__file__).resolve().parents[1]

SERVICES: dict[str, int] = {"feedback": 8001, "survey": 8002, "kpi": 8003, "audit": 8004, "notify": 8005}
BROKER = "broker"
DEFAULT_BROKER_PORT = 9092
SMTP_SINK = "smtp"
DEFAULT_SMTP_PORT = 8025



class StackError(RuntimeError):
    """The stack could not start (port taken, a service not ready in time, …)."""


def _service_env_prefix(name: str) -> str:
    return f"{name.upper()}_"


class Stack:
    """The broker and the five services as child processes, configured through their env vars.

    ``ports``/``database_urls`` map a service name (``feedback``, ``survey``, ``kpi``, ``audit``,
    ``notify``) to its port / ``<SVC>_DATABASE_URL``; missing ones get the defaults (8001-8005,
    ``sqlite+aiosqlite:///<var_dir>/<name>.db``). ``external_broker`` (a bootstrap servers
    string) skips Tansu and uses that cluster. ``stream=True`` prefixes and echoes every process's
    output on stdout as well as writing ``<var_dir>/log/<name>.log``. ``smtp_sink`` (on by default,
    started only when notify is among ``services``) runs scripts/smtp_sink.py on ``smtp_port`` (a
    free port when not given; the command line's default is 8025) writing to ``<var_dir>/mail`` and passes NOTIFY_SMTP_HOST/NOTIFY_SMTP_PORT to notify-svc.
    """

    def __init__(
        self,
        *,
        host: str | None = None,
        broker_port: int = DEFAULT_BROKER_PORT,
        external_broker: str | None = None,
        topic_prefix: str = "csq.",
        partitions: int = 3,
        ports: Mapping[str, int] | None = None,
        database_urls: Mapping[str, str] | None = None,
        services: tuple[str, ...] = tuple(SERVICES),
        var_dir: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        stream: bool = False,
        ready_timeout: float = 60.0,
        stop_grace: float = 15.0,
        python: str | None = None,
        smtp_port: int | None = None,
        smtp_sink: bool = True,
    ) -> None:
        unknown = set(services) | set(ports or {}) | set(database_urls or {})
        unknown -= set(SERVICES)
        if unknown:
            raise ValueError(f"unknown service(s) {sorted(unknown)}; known: {', '.join(SERVICES)}")
        self.host = host or os.environ.get("CSQ_HOST", "127.0.0.1")
        self.broker_port = broker_port
        self.external_broker = external_broker
        self.topic_prefix = topic_prefix
        self.partitions = partitions
        self.services = services
        self.ports = {name: (ports or {}).get(name, SERVICES[name]) for name in services}
        self.var_dir = Path(var_dir or ROOT / "var").resolve()
        self.database_urls = {
            name: (database_urls or {}).get(name) or f"sqlite+aiosqlite:///{self.var_dir / f'{name}.db'}" for name in services
        }
        self.extra_env = dict(env or {})
        self.stream = stream
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self.python = python or sys.executable
        if smtp_port is None:  # a stack built in code (tests) takes any free port; `make run` passes 8025
            from csq_testing import free_port

            smtp_port = free_port()
        self.smtp_port = smtp_port
        self.smtp_sink = smtp_sink and "notify" in services
        self._lock = threading.Lock()
        self._procs: dict[str, Proc] = {}

    # ---- addresses --------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        return self.external_broker or f"{self.host}:{self.broker_port}"

    @property
    def topics(self) -> list[str]:
        return [f"{self.topic_prefix}{domain}" for domain in TOPIC_DOMAINS]

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.services}

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def log_path(self, name: str) -> Path:
        return self.var_dir / "log" / f"{name}.log"

    def process(self, name: str) -> Proc:
        return self._procs[name]

    # ---- configuration ----------------------------------------------------------------------

    def service_env(self, name: str) -> dict[str, str]:
        prefix = _service_env_prefix(name)
        # Development unless the caller says otherwise: the services default to production,
        # which refuses the built-in keys and secrets a local stack runs with.
        env = {"CSQ_ENV": "development", **os.environ}
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                "CSQ_TOPIC_PREFIX": self.topic_prefix,
                "CSQ_TOPIC_PARTITIONS": str(self.partitions),
                f"{prefix}DATABASE_URL": self.database_urls[name],
                f"{prefix}HOST": self.host,
                f"{prefix}PORT": str(self.ports[name]),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # Links in emails (survey invitations, feedback confirmations) must point at this stack's
        # service, whatever port it got.
        for linked in ("survey", "feedback"):
            variable = f"{linked.upper()}_PUBLIC_BASE_URL"
            if name == linked and variable not in os.environ:
                env[variable] = f"http://{self.host}:{self.ports[name]}"
        if name == "notify" and self.smtp_sink:
            env.update({"NOTIFY_SMTP_HOST": self.host, "NOTIFY_SMTP_PORT": str(self.smtp_port), "NOTIFY_SMTP_STARTTLS": "false"})
        env.update(self.extra_env)
        return env

    def service_command(self, name: str) -> list[str]:
        return [
            self.python, "-m", "uvicorn", f"{name}_svc.main:create_app", "--factory",
            "--host", self.host, "--port", str(self.ports[name]),
            "--no-access-log", "--timeout-graceful-shutdown", str(max(1, int(self.stop_grace) - 2)),
        ]  # fmt: skip

    def _broker_command(self) -> list[str]:
        from csq_testing import tansu_binary

        url = f"tcp://{self.host}:{self.broker_port}"
        return [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]

    def _smtp_sink_command(self) -> list[str]:
        return [
            self.python, str(ROOT / "scripts" / "smtp_sink.py"),
            "--host", self.host, "--port", str(self.smtp_port), "--dir", str(self.mail_dir),
        ]  # fmt: skip

    def _new_proc(self, name: str, command: list[str], env: dict[str, str]) -> Proc:
        old = self._procs.get(name)
        colour = old.colour if old else next(COLOURS)
        proc = Proc(name=name, command=command, env=env, log_path=self.log_path(name), stream=self.stream, colour=colour)
        self._procs[name] = proc
        return proc

    # ---- whole stack ------------------------------------------------------------------------

    def check_ports(self) -> None:
        wanted = {f"{name}-svc": port for name, port in self.ports.items()}
        if not self.external_broker:
            wanted["broker (Tansu)"] = self.broker_port
        if self.smtp_sink:
            wanted["SMTP sink"] = self.smtp_port
        if len(set(wanted.values())) != len(wanted):
            raise StackError(f"two processes were given the same port: {wanted}")
        taken = [f"{what} port {port}" for what, port in wanted.items() if not port_is_free(self.host, port)]
        if taken:
            raise StackError(
                f"cannot start: {', '.join(taken)} on {self.host} already in use "
                "(another `make run`? stop it, or choose other ports with <SVC>_PORT / --broker-port / --smtp-port)"
            )

    def start(self) -> "Stack":
        self.check_ports()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        try:
            if not self.external_broker:
                self.start_broker(create_topics=False)
            self.create_topics()
            if self.smtp_sink:
                self.start_smtp_sink()
            for name in self.services:
                self.start_service(name, wait=False)
            self.wait_ready(self.services)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Services first (SIGTERM, grace period, SIGKILL), then the SMTP sink and the broker."""
        if BROKER in self._procs:
            self._procs[BROKER].signal(signal.SIGCONT)  # a paused broker would stall their shutdown
        services = [self._procs[n] for n in self.services if n in self._procs]
        for proc in services:
            proc.expected_exit = True
            proc.signal(signal.SIGCONT)
            proc.signal(signal.SIGTERM)
        for proc in services:
            proc.stop(self.stop_grace)
        if SMTP_SINK in self._procs:
            self._procs[SMTP_SINK].stop(10)
        if BROKER in self._procs:
            self._procs[BROKER].stop(10)

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def unexpected_exits(self) -> dict[str, int]:
        """Processes that exited although nobody asked them to: name → exit code."""
        return {
            name: proc.process.returncode
            for name, proc in self._procs.items()
            if not proc.expected_exit and proc.process is not None and proc.process.poll() is not None
        }

    def ensure_running(self) -> list[str]:
        """Put back whatever a fault test left behind: a paused broker is resumed, a dead broker
        restarted (with its topics), dead or stopped services started; then wait for every
        /readyz. Returns the names of the processes that had to be (re)started."""
        restarted = []
        if not self.external_broker:
            broker = self._procs[BROKER]
            broker.signal(signal.SIGCONT)
            if not broker.running:
                self.start_broker()
                restarted.append(BROKER)
        if self.smtp_sink:
            sink = self._procs.get(SMTP_SINK)
            if sink is None or not sink.running:
                self.start_smtp_sink()
                restarted.append(SMTP_SINK)
            else:
                sink.signal(signal.SIGCONT)
        for name in self.services:
            proc = self._procs.get(name)
            if proc is None or not proc.running:
                self.start_service(name, wait=False)
                restarted.append(name)
            else:
                proc.signal(signal.SIGCONT)
        self.wait_ready(self.services)
        return restarted

    # ---- broker -----------------------------------------------------------------------------

    def start_broker(self, *, create_topics: bool = True) -> None:
        """Start Tansu (memory storage: a restarted broker is empty, so topics are re-created)."""
        from csq_testing import wait_for_port

        if self.external_broker:
            raise StackError("this stack uses an external broker")
        if not port_is_free(self.host, self.broker_port):
            raise StackError(f"cannot start the broker: port {self.broker_port} on {self.host} is in use")
        proc = self._new_proc(BROKER, self._broker_command(), dict(os.environ))
        proc.start(ROOT, self._lock)
        try:
            wait_for_port(self.host, self.broker_port, timeout=15)
        except TimeoutError:
            raise StackError(f"the broker did not listen on {self.bootstrap_servers}:\n{proc.tail()}") from None
        if create_topics:
            self.create_topics()

    def stop_broker(self) -> None:
        self._procs[BROKER].stop(10)

    def kill_broker(self) -> None:
        self._procs[BROKER].kill()

    def pause_broker(self) -> None:
        self._procs[BROKER].signal(signal.SIGSTOP)

    def resume_broker(self) -> None:
        self._procs[BROKER].signal(signal.SIGCONT)

    def create_topics(self, timeout: float = 30.0) -> None:
        from csq_common.bus.kafka import ensure_topics

        deadline = time.monotonic() + timeout
        while True:
            try:
                asyncio.run(ensure_topics(self.bootstrap_servers, self.topics, self.partitions))
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise StackError(f"could not create topics on {self.bootstrap_servers}: {exc!r}") from exc
                time.sleep(0.5)

    # ---- SMTP sink --------------------------------------------------------------------------

    def start_smtp_sink(self) -> None:
        """Start scripts/smtp_sink.py (aiosmtpd) and wait until it accepts connections."""
        from csq_testing import wait_for_port

        if not port_is_free(self.host, self.smtp_port):
            raise StackError(f"cannot start the SMTP sink: port {self.smtp_port} on {self.host} is in use")
        proc = self._new_proc(SMTP_SINK, self._smtp_sink_command(), {**os.environ, "PYTHONUNBUFFERED": "1"})
        proc.start(ROOT, self._lock)
        try:
            wait_for_port(self.host, self.smtp_port, timeout=15)
        except TimeoutError:
            raise StackError(f"the SMTP sink did not listen on {self.host}:{self.smtp_port}:\n{proc.tail()}") from None

    def stop_smtp_sink(self) -> None:
        self._procs[SMTP_SINK].stop(10)

    # ---- services ---------------------------------------------------------------------------

    def start_service(self, name: str, *, wait: bool = True) -> None:
        if name in self._procs and self._procs[name].running:
            raise StackError(f"{name}-svc is already running (pid {self._procs[name].pid})")
        if not port_is_free(self.host, self.ports[name]):
            raise StackError(f"cannot start {name}-svc: port {self.ports[name]} on {self.host} is in use")
        proc = self._new_proc(name, self.service_command(name), self.service_env(name))
        proc.start(ROOT, self._lock)
        if wait:
            self.wait_ready([name])

    def stop_service(self, name: str) -> int | None:
        """Graceful: SIGTERM, then SIGKILL after the grace period."""
        return self._procs[name].stop(self.stop_grace)

    def kill(self, name: str) -> int:
        """SIGKILL a service (or the broker): no shutdown hooks run."""
        return self._procs[name].kill()

    def restart_service(self, name: str, *, hard: bool = False) -> None:
        self.kill(name) if hard else self.stop_service(name)
        self.start_service(name)

    def pause_service(self, name: str) -> None:
        self._procs[name].signal(signal.SIGSTOP)

    def resume_service(self, name: str) -> None:
        self._procs[name].signal(signal.SIGCONT)

    def readiness(self, name: str, timeout: float = 2.0) -> tuple[int | None, str]:
        """``(status, body)`` of ``GET /readyz``; ``(None, error)`` if nothing answered."""
        try:
            with urllib.request.urlopen(f"{self.url(name)}/readyz", timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except (OSError, ValueError) as exc:
            return None, repr(exc)

    def wait_ready(self, names, timeout: float | None = None) -> None:
        """Until every named service's /readyz answers 200; StackError naming the laggard."""
        timeout = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        pending = list(names)
        last: dict[str, tuple[int | None, str]] = {}
        while pending:
            for name in list(pending):
                proc = self._procs[name]
                if not proc.running:
                    raise StackError(
                        f"{name}-svc exited with code {proc.process.returncode} before it was ready; "
                        f"last lines of {proc.log_path}:\n{proc.tail()}"
                    )
                last[name] = self.readiness(name)
                if last[name][0] == 200:
                    pending.remove(name)
            if not pending:
                return
            if time.monotonic() > deadline:
                details = "\n\n".join(
                    f"{name}-svc: last /readyz answer: {last[name][0]} {last[name][1][:300]}\n"
                    f"last lines of {self._procs[name].log_path}:\n{self._procs[name].tail()}"
                    for name in pending
                )
                raise StackError(f"not ready after {timeout:.0f}s: {', '.join(f'{n}-svc' for n in pending)}\n{details}")
            time.sleep(0.2)


# ---- command line (make run) ----------------------------------------------------------------


def _say(message: str, *, loud: bool = False) -> None:
    if loud:
        bar = "!" * 78
        message = f"{bar}\n!! {message}\n{bar}"
    sys.stdout.write(f"devstack | {message}\n")
    sys.stdout.flush()


def stack_from_env(args: argparse.Namespace) -> Stack:
    """Per-service <SVC>_PORT and <SVC>_DATABASE_URL from the environment, when set."""
    ports, databases = {}, {}
    for name in SERVICES:
        prefix = _service_env_prefix(name)
        if os.environ.get(f"{prefix}PORT"):
            ports[name] = int(os.environ[f"{prefix}PORT"])
        if os.environ.get(f"{prefix}DATABASE_URL"):
            databases[name] = os.environ[f"{prefix}DATABASE_URL"]
    services = tuple(name.strip() for name in args.services.split(",") if name.strip())
    return Stack(
        services=services,
        host=args.host,
        broker_port=args.broker_port,
        external_broker=args.external_broker,
        topic_prefix=args.topic_prefix,
        partitions=args.partitions,
        ports=ports,
        database_urls=databases,
        var_dir=args.var_dir,
        stream=True,
        ready_timeout=args.ready_timeout,
        smtp_port=args.smtp_port,
        smtp_sink=args.smtp_sink,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the broker and the five CSQ services (make run).")
    parser.add_argument("--host", default=os.environ.get("CSQ_HOST", "127.0.0.1"))
    parser.add_argument("--broker-port", type=int, default=int(os.environ.get("CSQ_BROKER_PORT", DEFAULT_BROKER_PORT)))
    parser.add_argument(
        "--external-broker",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        help="use this Kafka cluster instead of starting Tansu (default: $KAFKA_BOOTSTRAP_SERVERS)",
    )
    parser.add_argument("--topic-prefix", default=os.environ.get("CSQ_TOPIC_PREFIX", "csq."))
    parser.add_argument("--partitions", type=int, default=int(os.environ.get("CSQ_TOPIC_PARTITIONS", 3)))
    parser.add_argument("--var-dir", default=os.environ.get("CSQ_VAR_DIR", str(ROOT / "var")))
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated subset (default: all five)")
    parser.add_argument("--ready-timeout", type=float, default=90.0)
    parser.add_argument(
        "--smtp-port",
        type=int,
        default=int(os.environ.get("NOTIFY_SMTP_PORT", DEFAULT_SMTP_PORT)),
        help="port of the local SMTP sink notify-svc sends to (default: $NOTIFY_SMTP_PORT or 8025)",
    )
    parser.add_argument(
        "--no-smtp-sink",
        dest="smtp_sink",
        action="store_false",
        help="do not start the local SMTP sink; notify-svc then uses NOTIFY_SMTP_* from the environment",
    )
    parser.add_argument(
        "--create-topics-only",
        action="store_true",
        help="create the topics on an already running broker and exit (for Procfile/honcho users)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        stack = stack_from_env(args)
    except ValueError as exc:
        _say(str(exc), loud=True)
        return 2

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    if args.create_topics_only:
        try:
            stack.create_topics()
        except StackError as exc:
            _say(str(exc), loud=True)
            return 1
        _say(f"topics present on {stack.bootstrap_servers}: {', '.join(stack.topics)}")
        return 0

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        try:
            stack.check_ports()
        except StackError as exc:
            _say(str(exc), loud=True)
            return 2
        broker = args.external_broker or f"Tansu at {stack.bootstrap_servers}"
        sink = f", SMTP sink on {stack.host}:{stack.smtp_port}" if stack.smtp_sink else ""
        _say(f"starting {broker}, topics {stack.topic_prefix}* x{stack.partitions}{sink}, then {len(stack.services)} services")
        try:
            stack.start()
        except StackError as exc:
            hint = "\n(KAFKA_BOOTSTRAP_SERVERS is set, so no Tansu was started: unset it to get one)" if args.external_broker else ""
            _say(f"{exc}{hint}", loud=True)
            return 1
        _say("all services ready (Ctrl-C stops everything):")
        for name, url in stack.urls.items():
            _say(f"  {name + '-svc':<13} {url}   docs {url}/docs   pid {stack.process(name).pid}")
        if stack.smtp_sink:
            _say(f"  {'smtp sink':<13} {stack.host}:{stack.smtp_port}   mail in {stack.mail_dir}   pid {stack.process(SMTP_SINK).pid}")
        broker_pid = f"   pid {stack.process(BROKER).pid}" if not stack.external_broker else ""
        _say(f"  {'broker':<13} {stack.bootstrap_servers}{broker_pid}")
        while True:
            dead = stack.unexpected_exits()
            if dead:
                what = ", ".join(f"{name} (exit code {code})" for name, code in dead.items())
                _say(f"{what} DIED UNEXPECTEDLY; stopping everything else", loud=True)
                stack.stop()
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt as interrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _say(f"{interrupt.args[0] if interrupt.args else 'SIGINT'}: stopping services, then the broker")
        stack.stop()
        _say("stopped")
        return 0


if __name__ == "__main__":
    sys.exit(main())
