"""What a writer typed into the search box, checked and parsed once for both engines.

The syntax is the web-search one PostgreSQL's ``websearch_to_tsquery`` reads: words are all
required, ``"quoted words"`` are a phrase, ``-word`` leaves posts with it out, ``or`` between
words offers alternatives. An unbalanced quote runs to the end of the query, as there. Only
letters and digits count as words; everything else separates them, so no input reaches
either engine's own query syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

MAX_QUERY_LENGTH = 200
MAX_TERMS = 16

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # more than one: a phrase
    #: As typed, without surrounding punctuation: names and titles are matched with it
    #: ("MK-2" finds "Unit MK-2", where the words alone would ask for "mk 2").
    raw: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class ParsedQuery:
    #: Alternatives (``or``); each is a list of terms that must all match.
    groups: tuple[tuple[Term, ...], ...]
    #: Terms that must not match.
    excluded: tuple[Term, ...]

    def websearch(self) -> str:
        """The positive part as a PostgreSQL web-search query."""
        return " or ".join(
            " ".join(f'"{term.text}"' if len(term.words) > 1 else term.text for term in group)
            for group in self.groups
        )

    def fts5(self) -> str:
        """The whole query in SQLite FTS5 syntax: every term a quoted string of plain words."""
        alternatives = " OR ".join(
            "(" + " AND ".join(f'"{term.text}"' for term in group) + ")" for group in self.groups
        )
        expression = f"({alternatives})"
        for term in self.excluded:
            expression = f'({expression} NOT "{term.text}")'
        return expression

    @property
    def positive_terms(self) -> tuple[Term, ...]:
        return tuple(term for group in self.groups for term in group)


def parse(raw: str) -> ParsedQuery:
    """Parse ``raw``; a ValidationError names what is wrong with it, in a sentence."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Type a word or two to search for.", code="empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError(
            f"Searches are at most {MAX_QUERY_LENGTH} characters (this one is {len(text):,}). "
            "A few distinctive words find a post best.",
            code="too_long",
        )
    groups: list[list[Term]] = [[]]
    excluded: list[Term] = []
    for match in _TOKEN.finditer(text):
        negated_phrase, phrase, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        negated = bool(negated_phrase)
        source = phrase if phrase is not None else bare
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, source = True, bare[1:]
        words = tuple(word.lower() for word in _WORD.findall(source))
        if not words:
            continue
        term = Term(words, raw=_EDGES.sub("", source).strip() or " ".join(words))
        (excluded if negated else groups[-1]).append(term)
    groups = [group for group in groups if group]
    if not groups:
        if excluded:
            raise ValidationError(
                "Add a word to look for, not only words to leave out.", code="only_excluded"
            )
        raise ValidationError(
            "Searches need at least one word made of letters or digits.", code="no_words"
        )
    if sum(len(group) for group in groups) + len(excluded) > MAX_TERMS:
        raise ValidationError(
            f"Use at most {MAX_TERMS} words or phrases in one search.", code="too_many"
        )
    return ParsedQuery(tuple(tuple(group) for group in groups), tuple(excluded))
