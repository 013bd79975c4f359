"""Contract tests: schemathesis generates requests from every service's own OpenAPI document and
sends them to the running system, authenticated with an admin key.

Every generated request, valid or deliberately invalid, must get an answer that is not a 5xx and that matches
what the document promises for that status (errors as problem+json). ``CSQ_CONTRACT_EXAMPLES``
sets how many requests are generated per operation (default 30). Operations are driven one by
one with Hypothesis (schemathesis' own pytest plugin does not support this pytest yet), and a
service's test reports every operation that failed, not just the first.

Generating the requests is most of this test's time, so the requests one backend's run generated
for an operation (when every one of them passed) are sent as they are to the other backend's
system: both databases get the same inputs, generated once.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from csq_common.settings import DEVELOPMENT_API_KEYS

from devstack import SERVICES

ADMIN_KEY = DEVELOPMENT_API_KEYS.split(",")[0].split(":")[0]
EXAMPLES = int(os.environ.get("CSQ_CONTRACT_EXAMPLES", "30"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


#: (service, operation, mode) → the requests generated for it in this process, kept when they all
#: passed, to be sent again to the other backend's system (None: none could be generated).
GENERATED: dict[tuple[str, str, GenerationMode], list | None] = {}


def exercise(service: str, base_url: str, operation, mode: GenerationMode) -> int:
    """Send ``EXAMPLES`` requests to one operation (generated, or those generated for the other
    backend); raise on the first failed check. Returns how many requests were sent."""
    key = (service, operation.label, mode)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    if key in GENERATED:
        cases = GENERATED[key]
        if cases is None:
            raise Unsatisfiable(f"{operation.label}: no {mode.value} request could be generated")
        for case in cases:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        return len(cases)
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:
        sent.append(case)
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    try:
        run()
    except Unsatisfiable:
        GENERATED[key] = None  # nothing can be generated for this mode, on any backend
        raise
    GENERATED[key] = sent  # reached only if every request passed
    return len(sent)


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_error_and_responses_match_the_schema(stack, service):
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json")
    failures, exercised, requests = [], 0, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        exercised += 1
        for mode in GenerationMode:  # valid requests, then requests that break the schema
            try:
                requests += exercise(service, stack.url(service), operation, mode)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
                # an operation without parameters or body has nothing to break
            except Exception as exc:  # every operation is tried; all failures are reported together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert exercised > 0, f"{service}'s OpenAPI document lists no operation"
    assert failures or requests >= exercised, f"{service}: only {requests} requests sent to {exercised} operations"
    assert not failures, f"{len(failures)} of {exercised} operations of {service} failed:\n\n" + "\n\n".join(failures)
