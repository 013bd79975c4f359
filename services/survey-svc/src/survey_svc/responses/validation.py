"""The rules an answer set must follow (pure: no I/O, no session).

``check_answers(definition, answers)`` returns the cleaned answers and every problem at once;
``validate_answers`` raises ``InvalidInput`` naming each question as ``answers.<key>``. Problems
carry a code and parameters so the answer page can word them in the customer's language.

Follow-ups (``show_if``) are shown only when the referenced numeric answer is ≤ ``at_most``: then
they are required if marked so. An answer to a follow-up that is not shown is refused by the API
(``validate_answers``: the client sent something that will not be kept); the HTML form, which
shows every follow-up with its condition, has it ignored (``check_answers(refuse_hidden=False)``).

Every check is linear in the size of the answer: a multiple-choice answer holds each choice at
most once, so a list longer than the question's choices is refused before it is looked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from csq_common.errors import InvalidInput
from csq_common.types import unstorable_reason
from survey_svc.surveys.definitions import NUMERIC_TYPES, scale_of
from survey_svc.surveys.schemas import Question, SurveyDefinition

TEXT_MAX = 5000

# Messages per language; ``{min}``, ``{max}``, ``{choices}`` … come from the problem's params.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "unknown_question": "is not a question of this survey",
        "required": "is required",
        "integer": "must be a whole number",
        "range": "must be between {min} and {max}",
        "choice": "must be one of the choices: {choices}",
        "choice_type": "must be a choice key (a string)",
        "choices_type": "must be a list of choice keys",
        "choices_empty": "choose at least one option",
        "choices_unknown": "lists unknown choices: {unknown}; choose from {choices}",
        "choices_repeated": "lists a choice more than once: {repeated}",
        "choices_too_many": "lists {count} choices; there are only {max}",
        "not_shown": "answers a follow-up that is not shown (it depends on {depends_on})",
        "text_type": "must be text",
        "text_invalid": "must be plain text (no NUL characters or invalid Unicode)",
        "text_blank": "must not be blank",
        "text_long": "must be at most {max} characters (got {length})",
    },
    "zh-CN": {
        "unknown_question": "不是本问卷中的问题",
        "required": "此题为必答题",
        "integer": "请填写整数",
        "range": "请选择 {min} 到 {max} 之间的数值",
        "choice": "请从选项中选择：{choices}",
        "choice_type": "请选择一个选项",
        "choices_type": "请选择选项",
        "choices_empty": "请至少选择一项",
        "choices_unknown": "包含未知选项：{unknown}；请从 {choices} 中选择",
        "choices_repeated": "选项重复：{repeated}",
        "choices_too_many": "选择了 {count} 项，但只有 {max} 个选项",
        "not_shown": "此追问未显示（取决于 {depends_on}），不能作答",
        "text_type": "请填写文字",
        "text_invalid": "请填写纯文本（不能含有 NUL 字符或无效的 Unicode）",
        "text_blank": "内容不能为空",
        "text_long": "最多 {max} 个字符（当前 {length} 个）",
    },
}


@dataclass(frozen=True)
class Problem:
    question: str  # the question key
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def field(self) -> str:
        return f"answers.{self.question}"

    def message(self, language: str = "en") -> str:
        catalogue = MESSAGES.get(language, MESSAGES["en"])
        return catalogue[self.code].format(**self.params)


@dataclass(frozen=True)
class Checked:
    answers: dict[str, int | str | list[str]]  # cleaned, only questions that are shown
    problems: list[Problem]


def is_shown(question: Question, numeric: Mapping[str, int]) -> bool:
    """A follow-up is shown only when the answer it depends on is given and ≤ ``at_most``."""
    if question.show_if is None:
        return True
    value = numeric.get(question.show_if.question)
    return value is not None and value <= question.show_if.at_most


def check_answers(definition: SurveyDefinition, answers: Mapping[str, Any], *, refuse_hidden: bool = True) -> Checked:
    """Every problem with ``answers`` (in question order, unknown keys last) and the clean set.

    ``refuse_hidden``: an answer to a follow-up that is not shown is a problem; if False it is
    ignored (the HTML form)."""
    problems: list[Problem] = []
    clean: dict[str, int | str | list[str]] = {}
    numeric: dict[str, int] = {}  # valid numeric answers, for follow-up conditions
    for question in definition.questions:
        value = answers.get(question.key)
        if not is_shown(question, numeric):
            # Refused only when the condition was answered validly (else that answer's problem
            # is the one to fix).
            if refuse_hidden and value is not None and question.show_if.question in numeric:
                problems.append(Problem(question.key, "not_shown", {"depends_on": f"answers.{question.show_if.question}"}))
            continue
        if value is None:
            if question.required:
                problems.append(Problem(question.key, "required"))
            continue
        value, problem = _clean(question, value)
        if problem is not None:
            problems.append(problem)
            continue
        clean[question.key] = value
        if question.type in NUMERIC_TYPES:
            numeric[question.key] = value
    known = {question.key for question in definition.questions}
    problems.extend(Problem(str(key), "unknown_question") for key in answers if key not in known)
    return Checked(answers=clean, problems=problems)


def validate_answers(definition: SurveyDefinition, answers: Mapping[str, Any]) -> dict[str, int | str | list[str]]:
    """The cleaned answers, or ``InvalidInput`` listing every problem (``answers.<key>``)."""
    checked = check_answers(definition, answers)
    if checked.problems:
        raise InvalidInput(errors=[{"field": p.field, "message": p.message("en")} for p in checked.problems])
    return checked.answers


def _clean(question: Question, value: Any) -> tuple[Any, Problem | None]:
    key = question.key
    if question.type in NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, Problem(key, "integer")
        low, high = scale_of(question)
        if not low <= value <= high:
            return None, Problem(key, "range", {"min": low, "max": high})
        return value, None
    choice_keys = [choice.key for choice in question.choices or []]
    if question.type == "single_choice":
        if not isinstance(value, str):
            return None, Problem(key, "choice_type")
        if value not in choice_keys:
            return None, Problem(key, "choice", {"choices": ", ".join(choice_keys)})
        return value, None
    if question.type == "multiple_choice":
        if not isinstance(value, list):
            return None, Problem(key, "choices_type")
        if len(value) > len(choice_keys):  # before anything looks at the items: bounds the work
            return None, Problem(key, "choices_too_many", {"count": len(value), "max": len(choice_keys)})
        if not all(isinstance(item, str) for item in value):
            return None, Problem(key, "choices_type")
        if not value:
            return None, Problem(key, "choices_empty")
        known = set(choice_keys)
        unknown = [item for item in value if item not in known]
        if unknown:
            return None, Problem(key, "choices_unknown", {"unknown": ", ".join(unknown), "choices": ", ".join(choice_keys)})
        seen: set[str] = set()
        repeated: list[str] = []
        for item in value:
            if item in seen:
                repeated.append(item)
            seen.add(item)
        if repeated:
            return None, Problem(key, "choices_repeated", {"repeated": ", ".join(dict.fromkeys(repeated))})
        return value, None
    # text
    if not isinstance(value, str):
        return None, Problem(key, "text_type")
    if unstorable_reason(value) is not None:
        return None, Problem(key, "text_invalid")
    text = value.strip()
    if not text:
        return None, Problem(key, "text_blank")
    if len(text) > TEXT_MAX:
        return None, Problem(key, "text_long", {"max": TEXT_MAX, "length": len(text)})
    return text, None
