"""Every service exports its consumers the same way: ``consumers(settings) -> list[ConsumerSpec]``
in its ``consumers.py``, called by its ``main.py``."""

import importlib
import inspect

import pytest

from csq_common.runtime import ConsumerSpec

SERVICES = ("feedback_svc", "survey_svc", "kpi_svc", "audit_svc", "notify_svc")


@pytest.mark.parametrize("package", SERVICES)
def test_consumers_are_exported_by_one_function_of_the_settings(package):
    module = importlib.import_module(f"{package}.consumers")
    settings_class = importlib.import_module(f"{package}.settings").Settings
    assert list(inspect.signature(module.consumers).parameters) == ["settings"]
    specs = module.consumers(settings_class.model_construct())
    assert isinstance(specs, list) and all(isinstance(spec, ConsumerSpec) for spec in specs)
    assert not hasattr(module, "CONSUMERS") and not hasattr(module, "build_consumers")
    main = inspect.getsource(importlib.import_module(f"{package}.main"))
    assert "consumers=consumers(settings)" in main


def _api_routes(routes):
    """Every APIRoute of an app, the routes of included routers too (FastAPI includes lazily)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif getattr(route, "original_router", None) is not None:
            yield from _api_routes(route.original_router.routes)


def _dependency_calls(dependant):
    stack, calls = [dependant], set()
    while stack:
        current = stack.pop()
        calls.add(current.call)
        stack.extend(current.dependencies)
    return calls


@pytest.mark.parametrize("package", SERVICES)
def test_every_authenticated_route_refuses_unknown_query_parameters(package):
    """A misspelt filter must be a 422, not an answer for everything: every route that needs an
    API key carries reject_unknown_query_parameters."""
    from csq_common.http.dependencies import reject_unknown_query_parameters

    settings = importlib.import_module(f"{package}.settings").Settings(environment="development")
    app = importlib.import_module(f"{package}.main").create_app(settings)
    checked, missing = 0, []
    for route in _api_routes(app.routes):
        calls = _dependency_calls(route.dependant)
        if not any(getattr(call, "__name__", "").startswith("require_") for call in calls):
            continue  # public: webhooks (signed), the survey answer page and API (token)
        checked += 1
        if reject_unknown_query_parameters not in calls:
            missing.append(f"{sorted(route.methods)} {route.path}")
    assert checked > 0
    assert missing == []
