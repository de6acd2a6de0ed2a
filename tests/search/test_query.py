"""Parsing what a writer typed: one syntax for both engines, and a sentence for bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tandem.search.query import MAX_QUERY_LENGTH, parse


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("?!… --- ***", "no_words"),
        ('""', "no_words"),
        ("-lamp", "only_excluded"),
        ("x" * 10_000, "too_long"),
        (" ".join(f"w{n}" for n in range(20)), "too_many"),
    ],
)
def test_bad_queries_are_refused_with_a_sentence(raw, code):
    with pytest.raises(ValidationError) as caught:
        parse(raw)
    assert caught.value.code == code
    assert caught.value.messages[0].endswith(".")


def test_the_length_cap_names_both_lengths():
    with pytest.raises(ValidationError) as caught:
        parse("x" * 10_000)
    assert f"at most {MAX_QUERY_LENGTH}" in caught.value.messages[0]
    assert "10,000" in caught.value.messages[0]


def test_words_phrases_exclusions_and_alternatives():
    parsed = parse('lamps "harbour bell" -debt or quay')
    assert [[t.words for t in group] for group in parsed.groups] == [
        [("lamps",), ("harbour", "bell")],
        [("quay",)],
    ]
    assert [t.words for t in parsed.excluded] == [("debt",)]
    assert parsed.websearch() == 'lamps "harbour bell" or quay'
    assert parsed.fts5() == '((("lamps" AND "harbour bell") OR ("quay")) NOT "debt")'


def test_an_unbalanced_quote_runs_to_the_end():
    parsed = parse('"the harbour bell')
    assert [t.words for t in parsed.groups[0]] == [("the", "harbour", "bell")]


def test_engine_syntax_in_the_input_stays_plain_words():
    # FTS5 operators, column filters and quotes inside words cannot reach the engine.
    parsed = parse('body:lamp NEAR(a b) x"y ^start * AND')
    assert parsed.fts5().count('"') % 2 == 0
    for term in parsed.positive_terms:
        assert all(word.replace("_", "").isalnum() for word in term.words)


def test_hyphenated_markers_keep_their_text_for_names():
    term = parse("MK-TITLE-private,").groups[0][0]
    assert term.words == ("mk", "title", "private")
    assert term.raw == "MK-TITLE-private"
