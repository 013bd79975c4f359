"""Language detection and tokenizing: jieba for Chinese, a Snowball stemmer for English.

Tokens are what the category and kind rules match and what the analysis counts as terms:
lower-case, punctuation and stop words removed, English words stemmed.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import jieba
import snowballstemmer

# jieba reports its dictionary loading on its own stderr handler: keep that out of the JSON logs.
jieba.setLogLevel(logging.WARNING)

ZH = "zh-CN"
EN = "en"
LANGUAGES = (ZH, EN)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_WORD_CHAR = re.compile(r"\w", re.UNICODE)

ZH_STOP_WORDS = frozenset(
    "的 了 和 是 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 它们 我 你 他 她 它 这 那 这个 那个 在 也 有 又 很 吧 吗 呢 啊 呀 哦 嗯 "
    "把 被 让 给 对 从 向 到 于 为 以 之 其 等 还 再 才 只 但 但是 而且 因为 所以 如果 就是 什么 这样 那样 已经 一下 一直 真的 得 地 "
    "我要 请 请问".split()
)
EN_STOP_WORDS = frozenset(
    "a an the and or but if then than so to of in on at by for with from into onto about as is are was were be been being "
    "am do does did doing have has had having i me my mine we us our you your he him his she her it its they them their "
    "this that these those there here what which who whom when where why how all any both each few more most other some "
    "such only own same very can will just should would could may might must shall s t don't didn't it's i'm i've also "
    "again once up down out off over under until while not no nor too".split()
)

_tokenizer_lock = threading.Lock()
_stemmer_local = threading.local()


def detect_language(text: str) -> str:
    """``zh-CN`` when Chinese characters make up a fair share of the letters, else ``en``."""
    letters = len(_WORD_CHAR.findall(text))
    chinese = len(_CJK.findall(text))
    return ZH if letters and chinese / letters >= 0.2 else EN


@lru_cache(maxsize=1)
def _jieba() -> jieba.Tokenizer:
    with _tokenizer_lock:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        return tokenizer


def _stemmer():
    # Snowball stemmers keep state while they work: one per thread.
    stemmer = getattr(_stemmer_local, "stemmer", None)
    if stemmer is None:
        stemmer = _stemmer_local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def tokens(text: str, language: str, *, keep_stop_words: bool = False) -> list[str]:
    """The text's words in order: Chinese segmented by jieba, Latin words (also inside Chinese
    text) lower-cased and stemmed; punctuation dropped, stop words too unless asked to keep them."""
    lowered = text.lower()
    if language == ZH:
        words = [w.strip() for w in _jieba().lcut(lowered)]
        out = []
        for word in words:
            if not word or not _WORD_CHAR.search(word):
                continue
            if _CJK.search(word):
                if keep_stop_words or word not in ZH_STOP_WORDS:
                    out.append(word)
            elif keep_stop_words or word not in EN_STOP_WORDS:
                out.append(stem(word) if word.isalpha() else word)
        return out
    return [
        stem(word) if word.isalpha() else word
        for word in _LATIN_WORD.findall(lowered)
        if keep_stop_words or word not in EN_STOP_WORDS
    ]


def phrase_tokens(phrase: str, language: str) -> tuple[str, ...]:
    """A keyword as the token sequence it must appear as (stop words kept: "not helpful")."""
    return tuple(tokens(phrase, language, keep_stop_words=True))


def contains_phrase(text_tokens: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` occurs in ``text_tokens`` starting and ending on token boundaries.

    The comparison is on the joined characters, so jieba may segment a keyword differently in
    context ("没人理" alone, "没" + "人理" in a sentence) and it still matches."""
    target = "".join(phrase)
    if not target:
        return False
    for start, token in enumerate(text_tokens):
        if not target.startswith(token):
            continue
        joined, end = token, start + 1
        while len(joined) < len(target) and end < len(text_tokens) and target.startswith(joined + text_tokens[end]):
            joined += text_tokens[end]
            end += 1
        if joined == target:
            return True
    return False


def warm_up() -> None:
    """Load jieba's dictionary ahead of the first request (it takes a moment)."""
    tokens("预热", ZH)
