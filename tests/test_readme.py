"""The shell examples of the README and of docs/, run in order as written, against a stack started
the way `make run` starts it (scripts/devstack.py, SQLite), so the docs cannot drift from the code.

Every ```sh block of README.md, then of docs/*.md (alphabetically), runs with ``bash -euo pipefail``, unless the comment line before
it is ``<!-- not-run -->`` (``make run`` itself, production settings). The only rewriting is of
the default ports (127.0.0.1:8001…8005) to the stack's. Blocks share shell variables and
functions as a reader's terminal would: each block's new ones are saved and sourced by the next.
They run in a scratch directory holding links to the repository's Makefile and scripts and
``var`` → the stack's var directory, so ``ticket.json`` and ``var/mail`` are where the README
says. A block preceded by ``<!-- check: NAME -->`` must also pass ``CHECKS[NAME]``; a check
marked ``retry`` runs its (read-only) block again until it passes, as a reader who waits a moment
would. Dates in the examples are relative to now (``date -u``), so the test runs on any day.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from devstack import SERVICES, Stack

from csq_common.settings import DEVELOPMENT_API_KEYS, DEVELOPMENT_WEBHOOK_SECRET
from csq_testing import free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PORTS = {"feedback": 8001, "survey": 8002, "kpi": 8003, "audit": 8004, "notify": 8005}
FENCE = re.compile(r"(?:^<!--\s*(?P<marker>[^>]*?)\s*-->\n)?^```(?P<lang>[a-z]*)\n(?P<code>.*?)^```$", re.M | re.S)
RETRY_SECONDS = 60


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass
class Block:
    page: str
    line: int
    marker: str
    code: str

    @property
    def check(self) -> str | None:
        return self.marker.removeprefix("check:").strip() if self.marker.startswith("check:") else None


def shell_blocks(page: Path) -> list[Block]:
    """The ```sh blocks of a Markdown page, in order, with the marker comment before each."""
    text = page.read_text()
    return [
        Block(page.relative_to(ROOT).as_posix(), text.count("\n", 0, match.start("code")) + 1, (match["marker"] or "").strip(), match["code"])
        for match in FENCE.finditer(text)
        if match["lang"] in ("sh", "bash")
    ]


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in shell_blocks(page)]


# ---- checks: what each block must have done, beyond exiting 0 ------------------------------------


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def check_functions(output: str, state: dict) -> None:
    assert {"ticket_closed", "send_webhook", "at"} <= state["functions"]


def check_webhook_then_duplicate(output: str, state: dict) -> None:
    first, second = output.strip().splitlines()
    assert first.endswith(" 202") and '"duplicate":false' in first, output
    assert second.endswith(" 200") and '"duplicate":true' in second, output


def check_ticket_kpis(output: str, state: dict) -> None:
    values = json.loads(output)["values"]
    expected = {"tickets_closed": 1, "frt_avg_seconds": 720, "resolution_avg_seconds": 6000, "aht_seconds": 540, "fcr_pct": 100}
    assert {name: values[name] for name in expected} == expected, values


def check_survey_published(output: str, state: dict) -> None:
    assert re.fullmatch(r"[0-9a-f-]{36}", state["variables"]["SURVEY"]), state["variables"]
    published = json.loads(output)
    assert (published["survey_id"], published["version"]) == (state["variables"]["SURVEY"], 1), output


def check_campaign_created(output: str, state: dict) -> None:
    campaign = json.loads(output)
    assert (campaign["status"], campaign["delay_seconds"], campaign["max_ticket_age_seconds"]) == ("active", 0, 7 * 86_400)


def check_invitation_webhook(output: str, state: dict) -> None:
    assert output.strip().endswith(" 202") and '"ticket_id":"T-1002"' in output, output


def check_mail_links(output: str, state: dict) -> None:
    survey = f"http://127.0.0.1:{state['ports']['survey']}/s/"
    assert "li.lei@example.com" in output and survey in output, output


def check_answered(output: str, state: dict) -> None:
    assert len(state["variables"]["TOKEN"]) == 43
    assert json.loads(output)["response_id"], output


def check_survey_kpis(output: str, state: dict) -> None:
    values = json.loads(output)["values"]
    assert (values["csat_pct"], values["survey_response_pct"]) == (0, 100), values


def check_survey_results(output: str, state: dict) -> None:
    results = json.loads(output)
    assert (results["invitations"], results["responses"], results["tz"]) == (1, 1, "Asia/Shanghai"), output
    [csat] = [question for question in results["questions"] if question["key"] == "csat"]
    assert {row["value"]: row["count"] for row in csat["distribution"]} == {1: 0, 2: 1, 3: 0, 4: 0, 5: 0}


def check_survey_csv(output: str, state: dict) -> None:
    rows = output.strip().splitlines()
    assert len(rows) == 2 and rows[1].endswith(",T-1002,billing,A-7,email,api,C-9,2,退款太慢了"), output


def check_delivery_by_hand(output: str, state: dict) -> None:
    delivery = json.loads(output)
    assert delivery["id"] and delivery["template"] == "survey_invitation", output


def check_delivery_mail(output: str, state: dict) -> None:
    assert "http://127.0.0.1:" + str(state["ports"]["survey"]) + "/s/demo" in output, output


def check_audit_scorecard(output: str, state: dict) -> None:
    published = json.loads(output)
    assert (published["scorecard_id"], published["version"], published["status"]) == (state["variables"]["SCORECARD"], 1, "published"), output


def check_audit_review(output: str, state: dict) -> None:
    assert re.fullmatch(r"[0-9a-f-]{36}", state["variables"]["REVIEW"]), state["variables"]


def check_audit_review_read(output: str, state: dict) -> None:
    assert output.split() == ["81.25", "False", "1"], output


@dataclass(frozen=True)
class Check:
    verify: Callable[[str, dict], None]
    retry: bool = False  # the block only reads: run it again until the effect has arrived


CHECKS = {
    "functions": Check(check_functions),
    "webhook-then-duplicate": Check(check_webhook_then_duplicate),
    "ticket-kpis": Check(check_ticket_kpis, retry=True),
    "survey-published": Check(check_survey_published),
    "campaign-created": Check(check_campaign_created),
    "invitation-webhook": Check(check_invitation_webhook),
    "mail-links": Check(check_mail_links, retry=True),
    "answered": Check(check_answered),
    "survey-kpis": Check(check_survey_kpis, retry=True),
    "survey-results": Check(check_survey_results, retry=True),
    "survey-csv": Check(check_survey_csv, retry=True),
    "delivery-by-hand": Check(check_delivery_by_hand),
    "delivery-mail": Check(check_delivery_mail, retry=True),
    "audit-scorecard": Check(check_audit_scorecard),
    "audit-review": Check(check_audit_review),
    "audit-review-read": Check(check_audit_review_read),
}


# ---- running blocks like a reader's terminal -----------------------------------------------------

# Runs one block after sourcing what the earlier blocks defined, then saves what this one defined
# (everything not there when bash started, so what earlier blocks defined too; bash's own left out).
PRELUDE = """__before_vars=$(compgen -v); __before_funcs=$(compgen -A function)
if [ -f "$CSQ_README_STATE" ]; then source "$CSQ_README_STATE"; fi
set -euo pipefail
"""
EPILOGUE = """
{
  for __name in $(compgen -v); do
    case "$__name" in __*|BASH*|FUNCNAME|PIPESTATUS|LINENO|RANDOM|SECONDS|_) continue ;; esac
    grep -qx "$__name" <<<"$__before_vars" || declare -p "$__name"
  done
  for __name in $(compgen -A function); do grep -qx "$__name" <<<"$__before_funcs" || declare -f "$__name"; done
} > "$CSQ_README_STATE.new"
mv "$CSQ_README_STATE.new" "$CSQ_README_STATE"
"""


def with_stack_ports(code: str, ports: dict[str, int]) -> str:
    for name, default in DEFAULT_PORTS.items():
        code = code.replace(f"127.0.0.1:{default}", f"127.0.0.1:{ports[name]}")
    return code


def run_block(code: str, workdir: Path, state_file: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CSQ_README_STATE": str(state_file)}
    env.pop("CSQ_VAR_DIR", None)  # `var` in the scratch directory is the stack's
    return subprocess.run(
        ["bash", "-c", PRELUDE + code + EPILOGUE], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )


def defined(state_file: Path) -> dict:
    """The variables and function names the blocks have defined so far."""
    listing = subprocess.run(
        ["bash", "-c", 'source "$1"; compgen -A function; echo ---; for n in $(compgen -v); do printf "%s=%s\\n" "$n" "${!n}"; done', "_", str(state_file)],
        capture_output=True, text=True, check=True,
    ).stdout
    functions, _, variables = listing.partition("---\n")
    return {
        "functions": set(functions.split()),
        "variables": dict(line.split("=", 1) for line in variables.splitlines() if "=" in line),
    }


@pytest.fixture(scope="module")
def readme_stack(tmp_path_factory) -> Iterator[Stack]:
    """A stack of its own (the shared one holds other tests' tickets, and the README's KPI figures
    are exact), on SQLite as `make run` starts it, with the development keys."""
    with Stack(
        broker_port=free_port(),
        ports={name: free_port() for name in SERVICES},
        var_dir=tmp_path_factory.mktemp("readme-stack"),
        env={"CSQ_ENV": "development", "CSQ_API_KEYS": DEVELOPMENT_API_KEYS, "CSQ_WEBHOOK_SECRET": DEVELOPMENT_WEBHOOK_SECRET},
        ready_timeout=90,
    ) as stack:
        yield stack


def test_every_shell_block_is_run_or_marked_and_every_check_exists():
    blocks = all_blocks()
    assert len([block for block in blocks if block.page == "README.md"]) >= 10
    for block in blocks:
        assert block.marker in ("", "not-run") or block.check in CHECKS, f"{block.page}:{block.line}: unknown marker {block.marker!r}"
    assert {block.check for block in blocks if block.check} == set(CHECKS), "a check no block uses"


def test_the_readme_examples_run_as_written(readme_stack, tmp_path):
    ports = {name: int(readme_stack.url(name).rsplit(":", 1)[1]) for name in SERVICES}
    workdir = tmp_path / "reader"
    workdir.mkdir()
    for name in ("Makefile", "scripts"):
        (workdir / name).symlink_to(ROOT / name)
    (workdir / "var").symlink_to(readme_stack.var_dir)
    state_file = tmp_path / "shell-state.sh"
    ran = 0
    for block in all_blocks():
        if block.marker == "not-run":
            continue
        code = with_stack_ports(block.code, ports)
        check = CHECKS.get(block.check) if block.check else None
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            result = run_block(code, workdir, state_file)
            where = f"{block.page}:{block.line} ({block.marker or 'no check'})\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            try:
                assert result.returncode == 0, f"exit status {result.returncode}"
                if check is not None:
                    check.verify(result.stdout, {**defined(state_file), "ports": ports})
                break
            except (AssertionError, ValueError, KeyError) as failure:
                if check is None or not check.retry or time.monotonic() > deadline:
                    raise AssertionError(f"{failure}\n{where}") from None
                time.sleep(0.5)
        ran += 1
    assert ran >= 10
