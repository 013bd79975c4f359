"""The Prometheus alert rules shipped in deploy/prometheus, checked and unit-tested by Debian's
real promtool (the unit tests in csq-rules.test.yml feed series and expect exact alerts)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[1] / "deploy" / "prometheus"


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing in CI (Debian package prometheus)")
        pytest.skip("promtool not installed (Debian package prometheus): alert rule tests SKIPPED")
    return found


def test_rules_are_valid(promtool):
    result = subprocess.run([promtool, "check", "rules", "csq-rules.yml"], cwd=RULES, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    declared = (RULES / "csq-rules.yml").read_text().count("- alert:")
    assert declared >= 8 and f"SUCCESS: {declared} rules found" in result.stdout


def test_every_alert_has_a_unit_test(promtool):
    rules = (RULES / "csq-rules.yml").read_text()
    tests = (RULES / "csq-rules.test.yml").read_text()
    alerts = {line.split("- alert:")[1].strip() for line in rules.splitlines() if "- alert:" in line}
    tested = {line.split("alertname:")[1].strip() for line in tests.splitlines() if "alertname:" in line}
    assert alerts - tested == set()


def test_rules_fire_exactly_as_their_unit_tests_expect(promtool):
    result = subprocess.run([promtool, "test", "rules", "csq-rules.test.yml"], cwd=RULES, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
