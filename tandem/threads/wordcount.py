"""Counting the words of a post."""

import re

# Han, Hiragana, Katakana and Thai characters each count as a word.
_EACH_CHAR_A_WORD = r"\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_EACH_CHAR_A_WORD}]|[^\s{_EACH_CHAR_A_WORD}—–/|,]+")
_HAS_WORD_CHARACTER = re.compile(r"\w")


def count_words(text: str) -> int:
    """Words as readers count them: apostrophes and hyphens join, dashes and slashes split,
    lone punctuation counts nothing."""
    text = text.replace("--", " — ")
    return sum(1 for token in _TOKEN.findall(text) if _HAS_WORD_CHARACTER.search(token))
