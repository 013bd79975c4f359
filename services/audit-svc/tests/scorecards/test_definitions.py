"""The rules of a scorecard definition, without HTTP or a database: each problem names its field."""

import pytest
from pydantic import ValidationError

from audit_svc.scorecards.definitions import answer_error, definition_errors, scale_bounds
from audit_svc.scorecards.schemas import ScorecardDefinition
from tests.scorecards.factories import definition


def fields_of(body: dict) -> list[str]:
    return [error["field"] for error in definition_errors(ScorecardDefinition.model_validate(body))]


def category(body: dict, section: int, index: int) -> dict:
    return body["sections"][section]["categories"][index]


def test_the_sample_definition_is_valid():
    assert fields_of(definition()) == []


def test_duplicate_keys_name_the_later_one():
    body = definition()
    category(body, 1, 1)["key"] = "greeting"
    body["sections"][1]["key"] = "opening"
    assert fields_of(body) == ["sections[1].key", "sections[1].categories[1].key"]


def test_min_not_below_max_names_scale_max():
    body = definition()
    category(body, 1, 2)["scale"] = {"min": 5, "max": 5}
    assert fields_of(body) == ["sections[1].categories[2].scale.max"]


def test_a_scorecard_needs_a_standard_category():
    body = definition()
    for section in body["sections"]:
        for item in section["categories"]:
            item["bonus"], item["critical"] = True, False
    assert fields_of(body) == ["sections"]


def test_titles_follow_the_declared_languages():
    body = definition(languages=["zh-CN"])
    assert "sections[0].titles.en" in fields_of(body)
    body = definition()
    del category(body, 0, 1)["titles"]["en"]
    assert fields_of(body) == ["sections[0].categories[1].titles.en"]


def test_a_bonus_cannot_be_critical_and_answer_guides_stay_on_the_scale():
    body = definition()
    category(body, 1, 2)["critical"] = True
    category(body, 0, 0)["answers"][1]["value"] = 2
    assert fields_of(body) == ["sections[0].categories[0].answers[1].value", "sections[1].categories[2].critical"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": 0}, "weight"),
        ({"weight": -1}, "weight"),
        ({"scale": "6"}, "scale"),
        ({"titles": {"fr": "Bonjour"}}, "titles.fr"),
    ],
)
def test_shape_errors_name_the_field(change, field):
    body = definition()
    category(body, 0, 0).update(change)
    with pytest.raises(ValidationError) as caught:
        ScorecardDefinition.model_validate(body)
    locations = [".".join(str(part) for part in error["loc"]) for error in caught.value.errors()]
    assert any(location.startswith(f"sections.0.categories.0.{field}") for location in locations), locations


def test_an_unknown_language_is_refused():
    with pytest.raises(ValidationError) as caught:
        ScorecardDefinition.model_validate(definition(languages=["zh-CN", "fr"]))
    assert caught.value.errors()[0]["loc"] == ("languages", 1)


def test_scales():
    assert scale_bounds("binary") == (0, 1) and scale_bounds("3") == (1, 3) and scale_bounds("5") == (1, 5)
    assert scale_bounds({"min": -2, "max": 8}) == (-2, 8)
    assert answer_error(1, "binary") is None and answer_error(2, "binary") is not None
    assert answer_error(0, "4") is not None and answer_error(2.5, "4") is not None
    assert answer_error(2.5, {"min": 0, "max": 10}) is None and answer_error(10.5, {"min": 0, "max": 10}) is not None
