"""The cross-field rules of a survey definition (pure: no I/O, no session).

``validate_definition`` returns the normalised definition or raises ``InvalidInput`` listing
every problem at once, each with the field it concerns, e.g. ``questions[2].scale.max``.
"""

from __future__ import annotations

from collections.abc import Mapping

from csq_common.errors import InvalidInput
from csq_common.events import ANSWER_SCALES
from survey_svc.surveys.schemas import Question, SurveyDefinition

# Fixed scales of the standard types; ``rating`` declares 1..max itself.
FIXED_SCALES: Mapping[str, tuple[int, int]] = ANSWER_SCALES  # csat 1-5, nps 0-10, ces 1-7 (the event contract)
NUMERIC_TYPES = frozenset({*FIXED_SCALES, "rating"})
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
RATING_MAX = (2, 10)
STANDARD_DIMENSIONS = ("attitude", "response_speed", "problem_solving", "professionalism", "overall")


def scale_of(question: Question) -> tuple[int, int] | None:
    """The (min, max) answer range of a numeric question; None if not numeric or not valid."""
    if question.type in FIXED_SCALES:
        return FIXED_SCALES[question.type]
    if question.type == "rating" and question.scale is not None and RATING_MAX[0] <= question.scale.max <= RATING_MAX[1]:
        return (1, question.scale.max)
    return None


def normalise(definition: SurveyDefinition) -> SurveyDefinition:
    """Fill the defaults that depend on other fields (declared languages ⊇ the default)."""
    if definition.languages is None:
        return definition.model_copy(update={"languages": [definition.default_language]})
    return definition


def definition_errors(definition: SurveyDefinition, *, publishing: bool = False) -> list[dict[str, str]]:
    """Every rule the definition breaks, in field order, as ``{"field", "message"}``."""
    definition = normalise(definition)
    errors: list[dict[str, str]] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    if definition.default_language not in definition.languages:
        error("languages", f"must include the default language {definition.default_language!r}")
    if len(set(definition.languages)) != len(definition.languages):
        error("languages", "lists a language more than once")
    declared = list(dict.fromkeys(definition.languages))

    if publishing and not definition.questions:
        error("questions", "a survey needs at least one question to be published")

    position: dict[str, int] = {}  # question key -> index of its first occurrence
    for index, question in enumerate(definition.questions):
        if question.key in position:
            error(f"questions[{index}].key", f"duplicates the key of questions[{position[question.key]}] ({question.key!r})")
        else:
            position[question.key] = index
    for index, question in enumerate(definition.questions):
        _question_errors(error, f"questions[{index}]", index, question, declared, definition.questions, position)
    return errors


def validate_definition(definition: SurveyDefinition, *, publishing: bool = False) -> SurveyDefinition:
    """The normalised definition, or ``InvalidInput`` naming every problem."""
    errors = definition_errors(definition, publishing=publishing)
    if errors:
        raise InvalidInput(errors=errors)
    return normalise(definition)


def _texts_errors(error, field: str, texts: Mapping[str, object], declared: list[str], what: str) -> None:
    for language in declared:
        if language not in texts:
            error(f"{field}.{language}", f"missing the {language} {what} (a declared language)")
    for language in texts:
        if language not in declared:
            error(f"{field}.{language}", f"{language} is not one of the survey's declared languages {declared}")


def _question_errors(error, at: str, index: int, question: Question, declared: list[str], questions: list[Question], position: dict[str, int]) -> None:
    _texts_errors(error, f"{at}.texts", question.texts, declared, "translation")
    for language, texts in question.texts.items():
        if not texts.prompt.strip():
            error(f"{at}.texts.{language}.prompt", "must not be blank")
        if question.type not in NUMERIC_TYPES:
            for label in ("low_label", "high_label"):
                if getattr(texts, label) is not None:
                    error(f"{at}.texts.{language}.{label}", "only scale questions (csat, nps, ces, rating) take scale labels")

    if question.type == "rating":
        if question.scale is None:
            error(f"{at}.scale", "a rating question needs a scale: {\"max\": 2..10}")
        elif not RATING_MAX[0] <= question.scale.max <= RATING_MAX[1]:
            error(f"{at}.scale.max", f"must be between {RATING_MAX[0]} and {RATING_MAX[1]} (got {question.scale.max})")
    elif question.scale is not None:
        low, high = FIXED_SCALES.get(question.type, (None, None))
        hint = f" (a {question.type} scale is always {low}..{high})" if low is not None else ""
        error(f"{at}.scale", f"only rating questions take a scale{hint}")

    if question.type in CHOICE_TYPES:
        choices = question.choices or []
        if len(choices) < 2:
            error(f"{at}.choices", "a choice question needs at least 2 choices")
        seen: dict[str, int] = {}
        for number, choice in enumerate(choices):
            if choice.key in seen:
                error(f"{at}.choices[{number}].key", f"duplicates the key of choices[{seen[choice.key]}] ({choice.key!r})")
            else:
                seen[choice.key] = number
            _texts_errors(error, f"{at}.choices[{number}].labels", choice.labels, declared, "label")
            for language, label in choice.labels.items():
                if not label.strip():
                    error(f"{at}.choices[{number}].labels.{language}", "must not be blank")
    elif question.choices is not None:
        error(f"{at}.choices", "only single_choice and multiple_choice questions take choices")

    if question.show_if is not None:
        _show_if_errors(error, f"{at}.show_if", index, question, questions, position)


def _show_if_errors(error, at: str, index: int, question: Question, questions: list[Question], position: dict[str, int]) -> None:
    target_key = question.show_if.question
    if target_key == question.key:
        error(f"{at}.question", "a follow-up cannot depend on its own answer")
        return
    target_index = position.get(target_key)
    if target_index is None:
        error(f"{at}.question", f"no question has the key {target_key!r}")
        return
    if target_index > index:
        error(f"{at}.question", f"must refer to an earlier question ({target_key!r} comes later)")
        return
    target = questions[target_index]
    if target.type not in NUMERIC_TYPES:
        error(f"{at}.question", f"must refer to a numeric question (csat, nps, ces or rating); {target_key!r} is {target.type}")
        return
    scale = scale_of(target)
    if scale is not None and not scale[0] <= question.show_if.at_most <= scale[1]:
        error(f"{at}.at_most", f"must be within the scale of {target_key!r}, {scale[0]}..{scale[1]} (got {question.show_if.at_most})")
