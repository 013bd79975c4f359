"""The cross-field rules of a definition, without HTTP or a database."""

import pytest

from csq_common.errors import InvalidInput
from survey_svc.surveys.definitions import definition_errors, scale_of, validate_definition
from survey_svc.surveys.schemas import Question, SurveyDefinition
from tests.surveys.factories import definition, texts


def errors_of(body: dict, *, publishing: bool = False) -> list[dict[str, str]]:
    return definition_errors(SurveyDefinition.model_validate(body), publishing=publishing)


def fields_of(body: dict, **kwargs) -> list[str]:
    return [error["field"] for error in errors_of(body, **kwargs)]


def with_question(index: int, **changes) -> dict:
    body = definition()
    body["questions"][index].update(changes)
    return body


def test_the_sample_definition_is_valid_and_publishable():
    assert errors_of(definition(), publishing=True) == []


def test_declared_languages_default_to_the_default_language():
    body = definition(default_language="en", languages=None)
    for question in body["questions"]:
        question["texts"].pop("zh-CN")
        for choice in question.get("choices") or []:
            choice["labels"].pop("zh-CN")
    assert validate_definition(SurveyDefinition.model_validate(body)).languages == ["en"]


def test_declared_languages_must_include_the_default_and_not_repeat():
    assert fields_of(definition(default_language="en", languages=["zh-CN"])) == [
        "languages", "questions[0].texts.en", "questions[1].texts.en", "questions[2].texts.en",
        "questions[3].texts.en", "questions[3].choices[0].labels.en", "questions[3].choices[1].labels.en",
        "questions[4].texts.en",
    ]
    assert fields_of(definition(languages=["zh-CN", "en", "zh-CN"])) == ["languages"]


def test_a_missing_translation_names_the_question_and_language():
    body = definition()
    del body["questions"][0]["texts"]["en"]
    errors = errors_of(body)
    assert [e["field"] for e in errors] == ["questions[0].texts.en"]
    assert "en" in errors[0]["message"]


def test_texts_in_an_undeclared_language_are_refused():
    body = definition(languages=["zh-CN"])
    assert "questions[0].texts.en" in fields_of(body)
    assert "questions[3].choices[0].labels.en" in fields_of(body)


def test_a_blank_prompt_is_refused():
    body = definition()
    body["questions"][2]["texts"]["en"]["prompt"] = "   "
    assert fields_of(body) == ["questions[2].texts.en.prompt"]


def test_scale_labels_only_on_scale_questions():
    body = definition()
    body["questions"][1]["texts"]["en"]["low_label"] = "bad"
    assert fields_of(body) == ["questions[1].texts.en.low_label"]


@pytest.mark.parametrize("maximum", [0, 1, 11, 100, -3])
def test_a_rating_scale_must_be_2_to_10(maximum):
    errors = errors_of(with_question(4, scale={"max": maximum}))
    assert [e["field"] for e in errors] == ["questions[4].scale.max"]
    assert "between 2 and 10" in errors[0]["message"]


@pytest.mark.parametrize("maximum", [2, 10])
def test_rating_scale_bounds_are_accepted(maximum):
    assert errors_of(with_question(4, scale={"max": maximum})) == []


def test_a_rating_needs_a_scale_and_other_types_take_none():
    assert fields_of(with_question(4, scale=None)) == ["questions[4].scale"]
    assert fields_of(with_question(0, scale={"max": 5})) == ["questions[0].scale"]
    assert fields_of(with_question(1, scale={"max": 5})) == ["questions[1].scale"]


def test_fixed_scales():
    def question(type_, **extra):
        return Question.model_validate({"key": "k", "type": type_, "texts": texts("a", "b"), **extra})

    assert scale_of(question("csat")) == (1, 5)
    assert scale_of(question("nps")) == (0, 10)
    assert scale_of(question("ces")) == (1, 7)
    assert scale_of(question("rating", scale={"max": 4})) == (1, 4)
    assert scale_of(question("rating", scale={"max": 40})) is None
    assert scale_of(question("text")) is None


@pytest.mark.parametrize("choices", [None, [], [{"key": "only", "labels": {"zh-CN": "唯一", "en": "Only"}}]])
def test_a_choice_question_needs_at_least_two_choices(choices):
    for type_ in ("single_choice", "multiple_choice"):
        assert fields_of(with_question(3, type=type_, choices=choices)) == ["questions[3].choices"]


def test_choice_keys_are_unique_and_every_label_translated():
    body = definition()
    body["questions"][3]["choices"].append({"key": "fast", "labels": {"zh-CN": "又快", "en": "Fast again"}})
    body["questions"][3]["choices"][1]["labels"].pop("en")
    assert fields_of(body) == ["questions[3].choices[1].labels.en", "questions[3].choices[2].key"]


def test_only_choice_questions_take_choices():
    choices = [{"key": "a", "labels": {"zh-CN": "甲", "en": "A"}}, {"key": "b", "labels": {"zh-CN": "乙", "en": "B"}}]
    assert fields_of(with_question(0, choices=choices)) == ["questions[0].choices"]


def test_question_keys_are_unique():
    errors = errors_of(with_question(2, key="q1"))
    assert errors[0]["field"] == "questions[2].key" and "questions[0]" in errors[0]["message"]


def test_a_follow_up_cannot_point_at_itself():
    assert fields_of(with_question(1, show_if={"question": "q2", "at_most": 3})) == ["questions[1].show_if.question"]


def test_a_follow_up_must_point_at_an_earlier_question():
    errors = errors_of(with_question(1, show_if={"question": "q3", "at_most": 3}))
    assert [e["field"] for e in errors] == ["questions[1].show_if.question"]
    assert "earlier" in errors[0]["message"]


def test_a_follow_up_must_point_at_an_existing_question():
    assert fields_of(with_question(1, show_if={"question": "nope", "at_most": 3})) == ["questions[1].show_if.question"]


def test_a_follow_up_must_point_at_a_numeric_question():
    errors = errors_of(with_question(4, show_if={"question": "q4", "at_most": 1}))
    assert [e["field"] for e in errors] == ["questions[4].show_if.question"]
    assert "numeric" in errors[0]["message"]
    assert fields_of(with_question(2, show_if={"question": "q2", "at_most": 1})) == ["questions[2].show_if.question"]


@pytest.mark.parametrize(("target", "at_most", "ok"), [
    ("q1", 0, False), ("q1", 1, True), ("q1", 5, True), ("q1", 6, False),
    ("q3", 0, True), ("q3", 10, True), ("q3", 11, False), ("q3", -1, False),
])
def test_a_threshold_lies_within_the_referenced_scale(target, at_most, ok):
    body = definition()
    body["questions"].append({"key": "f", "type": "text", "texts": texts("为什么？", "Why?"), "show_if": {"question": target, "at_most": at_most}})
    assert fields_of(body) == ([] if ok else ["questions[5].show_if.at_most"])


def test_a_threshold_follows_a_rating_scale():
    body = definition()
    body["questions"].append({"key": "f", "type": "text", "texts": texts("为什么？", "Why?"), "show_if": {"question": "q5", "at_most": 11}})
    assert fields_of(body) == ["questions[5].show_if.at_most"]


def test_publishing_needs_a_question_but_a_draft_does_not():
    assert errors_of(definition(questions=[])) == []
    assert fields_of(definition(questions=[]), publishing=True) == ["questions"]


def test_every_problem_is_reported_at_once():
    body = definition()
    body["questions"][0]["texts"].pop("en")
    body["questions"][1]["show_if"] = {"question": "q3", "at_most": 3}
    body["questions"][3]["choices"] = []
    body["questions"][4]["scale"] = {"max": 11}
    with pytest.raises(InvalidInput) as raised:
        validate_definition(SurveyDefinition.model_validate(body))
    assert [e["field"] for e in raised.value.extensions["errors"]] == [
        "questions[0].texts.en", "questions[1].show_if.question", "questions[3].choices", "questions[4].scale.max",
    ]
    assert raised.value.status_code == 422
