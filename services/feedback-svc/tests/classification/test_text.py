"""Language detection and tokens: jieba for Chinese, Snowball stems for English, stop words out."""

import pytest

from feedback_svc.classification.text import contains_phrase, detect_language, phrase_tokens, tokens


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("客服回复太慢了，等了三天都没人理", "zh-CN"),
        ("订单号 TB20261120 的退款还没到账", "zh-CN"),
        ("The agent was rude and never solved my billing problem", "en"),
        ("Order 12345 still not delivered, 快递", "en"),
    ],
)
def test_the_language_is_chinese_when_chinese_characters_make_a_fair_share(text, language):
    assert detect_language(text) == language


def test_chinese_is_segmented_by_jieba_without_punctuation_and_stop_words():
    assert tokens("客服回复太慢了，等了三天都没人理", "zh-CN") == ["客服", "回复", "太慢", "三天", "没", "人理"]


def test_english_words_are_stemmed_and_stop_words_dropped():
    assert tokens("The agent was rude and never solved my billing problems!", "en") == ["agent", "rude", "never", "solv", "bill", "problem"]


def test_a_keyword_matches_on_token_boundaries_however_jieba_splits_it():
    text = tokens("等了三天都没人理", "zh-CN", keep_stop_words=True)
    assert contains_phrase(text, phrase_tokens("没人理", "zh-CN"))  # "没" + "人理" in context
    assert not contains_phrase(text, phrase_tokens("人", "zh-CN"))  # inside a token: no match
    english = tokens("They never replied to my emails", "en", keep_stop_words=True)
    assert contains_phrase(english, phrase_tokens("never replied", "en"))
    assert not contains_phrase(english, phrase_tokens("replied never", "en"))
