"""The answer rules, without HTTP or a database."""

import pytest

from csq_common.errors import InvalidInput
from survey_svc.responses.validation import TEXT_MAX, check_answers, validate_answers
from survey_svc.surveys.schemas import SurveyDefinition
from tests.responses.factories import answer_definition, good_answers

DEFINITION = SurveyDefinition.model_validate(answer_definition())


def problems(answers: dict) -> list[tuple[str, str]]:
    return [(problem.field, problem.code) for problem in check_answers(DEFINITION, answers).problems]


def test_a_complete_answer_set_is_clean():
    assert validate_answers(DEFINITION, good_answers()) == good_answers()


def test_optional_questions_may_be_left_out_and_null_means_unanswered():
    assert validate_answers(DEFINITION, good_answers(q6=None, q7=None)) == {"q1": 5, "q3": 9, "q4": "fast", "q5": 8}
    assert validate_answers(DEFINITION, {**good_answers(), "q7": None}) == good_answers(q7=None)


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("q1", 0, "range"), ("q1", 6, "range"),  # csat 1..5
        ("q3", -1, "range"), ("q3", 11, "range"),  # nps 0..10
        ("q7", 0, "range"), ("q7", 8, "range"),  # ces 1..7
        ("q5", 11, "range"),  # rating 1..scale.max
        ("q1", 4.0, "integer"), ("q1", "4", "integer"), ("q1", True, "integer"), ("q3", [9], "integer"),
    ],
)
def test_numeric_answers_are_integers_on_their_scale(key, value, code):
    assert problems(good_answers(**{key: value})) == [(f"answers.{key}", code)]


def test_scale_ends_are_accepted():
    for answers in (good_answers(q1=1, q2="慢", q3=0, q5=1, q7=1), good_answers(q1=5, q3=10, q5=10, q7=7)):
        assert check_answers(DEFINITION, answers).problems == []


def test_single_choice_is_a_known_key():
    assert problems(good_answers(q4="medium")) == [("answers.q4", "choice")]
    assert problems(good_answers(q4=["fast"])) == [("answers.q4", "choice_type")]
    message = check_answers(DEFINITION, good_answers(q4="medium")).problems[0].message()
    assert message == "must be one of the choices: fast, slow"


def test_multiple_choice_is_a_non_empty_list_of_known_distinct_keys():
    assert problems(good_answers(q6=[])) == [("answers.q6", "choices_empty")]
    assert problems(good_answers(q6=["polite", "rude"])) == [("answers.q6", "choices_unknown")]
    assert problems(good_answers(q6=["quick", "polite", "quick"])) == [("answers.q6", "choices_repeated")]
    assert problems(good_answers(q6="polite")) == [("answers.q6", "choices_type")]
    assert problems(good_answers(q6=["polite", 2])) == [("answers.q6", "choices_type")]
    assert validate_answers(DEFINITION, good_answers(q6=["expert"]))["q6"] == ["expert"]


def test_text_is_stripped_and_1_to_5000_characters_chinese_included():
    clean = validate_answers(DEFINITION, good_answers(q1=2, q2="  回复太慢了，等了三天。 \n"))
    assert clean["q2"] == "回复太慢了，等了三天。"
    assert validate_answers(DEFINITION, good_answers(q1=2, q2="慢" * TEXT_MAX))["q2"] == "慢" * TEXT_MAX  # characters, not bytes
    assert problems(good_answers(q1=2, q2="慢" * (TEXT_MAX + 1))) == [("answers.q2", "text_long")]
    assert problems(good_answers(q1=2, q2="   ")) == [("answers.q2", "text_blank")]
    assert problems(good_answers(q1=2, q2=42)) == [("answers.q2", "text_type")]


def test_required_questions_must_be_answered():
    assert problems({"q6": ["polite"]}) == [
        ("answers.q1", "required"), ("answers.q3", "required"), ("answers.q4", "required"), ("answers.q5", "required"),
    ]


def test_a_shown_follow_up_is_required():
    # q2 is shown when q1 ≤ 3 (and required): the boundary value 3 shows it.
    assert problems(good_answers(q1=3)) == [("answers.q2", "required")]
    assert problems(good_answers(q1=1)) == [("answers.q2", "required")]
    assert validate_answers(DEFINITION, good_answers(q1=3, q2="太慢"))["q2"] == "太慢"


def test_a_follow_up_not_shown_is_not_required_and_an_answer_to_it_is_refused_naming_it():
    assert check_answers(DEFINITION, good_answers(q1=4)).problems == []
    assert problems(good_answers(q1=4, q2="should not be kept")) == [("answers.q2", "not_shown")]
    assert problems(good_answers(q1=5, q2=123)) == [("answers.q2", "not_shown")]
    with pytest.raises(InvalidInput) as raised:
        validate_answers(DEFINITION, good_answers(q1=4, q2="x"))
    assert raised.value.extensions["errors"] == [
        {"field": "answers.q2", "message": "answers a follow-up that is not shown (it depends on answers.q1)"}
    ]
    # The condition's question unanswered or invalid: that is the problem named.
    assert problems({**good_answers(q1=None), "q2": "x"}) == [("answers.q1", "required")]
    assert problems(good_answers(q1=9, q2="x")) == [("answers.q1", "range")]


def test_the_answer_form_ignores_what_was_typed_into_a_hidden_follow_up():
    checked = check_answers(DEFINITION, good_answers(q1=4, q2="typed anyway"), refuse_hidden=False)
    assert checked.problems == [] and "q2" not in checked.answers


def test_multiple_choice_work_is_bounded_by_the_number_of_choices():
    """A huge duplicate-laden list is refused by its length alone (the old check compared every
    item with every other: list.count per item); the list's items are never looked at."""

    class Counting(list):
        looked_at = 0

        def __iter__(self):
            Counting.looked_at += 1
            return super().__iter__()

        def count(self, item):
            raise AssertionError("list.count per item is quadratic")

        def index(self, item, *args):
            raise AssertionError("list.index per item is quadratic")

    huge = Counting(["quick"] * 200_000)
    assert problems(good_answers(q6=huge)) == [("answers.q6", "choices_too_many")]
    assert Counting.looked_at == 0
    message = check_answers(DEFINITION, good_answers(q6=["quick"] * 4)).problems[0].message()
    assert message == "lists 4 choices; there are only 3"


def test_text_answers_must_be_storable():
    for text in ("nul\x00byte", "lone \ud800 surrogate"):
        assert problems(good_answers(q1=2, q2=text)) == [("answers.q2", "text_invalid")]


def test_unknown_questions_are_refused():
    assert problems(good_answers(q99=1, extra="x")) == [("answers.q99", "unknown_question"), ("answers.extra", "unknown_question")]


def test_every_problem_is_reported_at_once_naming_the_question():
    with pytest.raises(InvalidInput) as raised:
        validate_answers(DEFINITION, {"q1": 6, "q4": "medium", "q6": [], "bogus": 1})
    assert raised.value.status_code == 422
    assert raised.value.extensions["errors"] == [
        {"field": "answers.q1", "message": "must be between 1 and 5"},
        {"field": "answers.q3", "message": "is required"},
        {"field": "answers.q4", "message": "must be one of the choices: fast, slow"},
        {"field": "answers.q5", "message": "is required"},
        {"field": "answers.q6", "message": "choose at least one option"},
        {"field": "answers.bogus", "message": "is not a question of this survey"},
    ]


def test_messages_in_chinese_for_the_page():
    found = {problem.question: problem.message("zh-CN") for problem in check_answers(DEFINITION, {"q1": 7, "q4": "x"}).problems}
    assert found["q1"] == "请选择 1 到 5 之间的数值"
    assert found["q3"] == "此题为必答题"
    assert found["q4"].startswith("请从选项中选择")
