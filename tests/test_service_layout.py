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
