"""Run every benchmark one after another (never in parallel: they would measure each other) and
print their result lines; `make bench` calls this. Exit status 1 if any of them failed.

    .venv/bin/python bench/run_all.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHMARKS: list[tuple[str, list[str]]] = [
    ("webhook_ingest[sqlite]", ["webhook_ingest.py", "--backend", "sqlite"]),
    ("webhook_ingest[postgres]", ["webhook_ingest.py", "--backend", "postgres"]),
    ("kpi_consume[sqlite]", ["kpi_consume.py", "--backend", "sqlite"]),
    ("kpi_consume[postgres]", ["kpi_consume.py", "--backend", "postgres"]),
    ("kpi_read[postgres]", ["kpi_read.py"]),
    ("kpi_latency[sqlite]", ["kpi_latency.py", "--backend", "sqlite"]),
    ("kpi_latency[postgres]", ["kpi_latency.py", "--backend", "postgres"]),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="run only the benchmarks whose name starts with one of these")
    args = parser.parse_args()
    failed = []
    for name, command in BENCHMARKS:
        if args.only and not any(name.startswith(prefix) for prefix in args.only):
            continue
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]], capture_output=True, text=True)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        for line in lines:
            print(line, flush=True)
        if result.returncode != 0:
            failed.append(name)
            tail = "\n    ".join(result.stderr.strip().splitlines()[-15:])
            print(f"{name}: FAILED (exit {result.returncode}) after {time.monotonic() - started:.0f} s\n    {tail}", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
