"""Finding the spoken passages of a post: every quote style, apostrophes, nesting, paragraphs."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.writing.dialogue import DIALOGUE_PAIRS, find_dialogue

ZWSP, ZWJ, RLM = "\u200b", "\u200d", "\u200f"

CASES = [
    # --- every style
    ("ornament single", "❛ it's late ❜ mara said.", ["❛ it's late ❜"]),
    ("ornament no spaces", "❛late again❜ & gone.", ["❛late again❜"]),
    ("ornament double", "❝ stay ❞ he begged.", ["❝ stay ❞"]),
    ("curly double", "“Hi,” he said.", ["“Hi,”"]),
    ("straight double", 'jay grinned. "fine, fine."', ['"fine, fine."']),
    ("guillemets", "«Bonjour», dit-elle.", ["«Bonjour»"]),
    ("guillemets spaced", "Il cria : « Attends ! » et partit.", ["« Attends ! »"]),
    ("corner brackets", "「また明日」と彼女は言った。", ["「また明日」"]),
    ("white corner brackets", "彼は『雪国』を読んだ。", ["『雪国』"]),
    ("curly single", "‘Run,’ she whispered.", ["‘Run,’"]),
    ("straight single", "'Run,' she whispered.", ["'Run,'"]),
    ("single quote at end", "she only said 'later'", ["'later'"]),
    ("single quote spaced", "‘ as if ’ muttered rin", ["‘ as if ’"]),
    # --- apostrophes, elisions and possessives are not quotes
    ("contractions curly", "she’s sure it’s fine", []),
    ("contraction straight", "don't you dare", []),
    ("leading elision", "'cause i said so", []),
    ("rock n roll", "rock 'n' roll all night", []),
    ("rock n roll curly", "rock ’n’ roll all night", []),
    ("plural possessive", "the girls' bags were packed", []),
    ("plural possessive curly", "the girls’ bags were packed", []),
    ("decade", "back in the ’90s it was", []),
    ("o'clock", "at nine o’clock sharp", []),
    ("feet and inches", "He's 6'2\" and proud.", []),
    ("dropped g", "she's goin' home, nothin' else", []),
    ("elisions inside speech", "'I'll get 'em,' he said.", ["'I'll get 'em,'"]),
    (
        "possessive inside speech",
        "'The girls' bags are here,' she said.",
        ["'The girls' bags are here,'"],
    ),
    (
        "possessive inside curly speech",
        "‘Where’s the dogs’ food?’ he asked.",
        ["‘Where’s the dogs’ food?’"],
    ),
    ("dropped g inside speech", "'I'm goin' home,' he said.", ["'I'm goin' home,'"]),
    ("elision before the closing comma", "'I ain't doin',' he said.", ["'I ain't doin','"]),
    ("speech opening with an elision", "'Cause I said so,' she snapped.", ["'Cause I said so,'"]),
    ("elision then real speech", "'cause why not. 'fine,' he said", ["'fine,'"]),
    ("ornament closer as apostrophe", "❛ i don❜t care ❜", ["❛ i don❜t care ❜"]),
    # --- nesting: only the outermost passage
    (
        "nested single in double",
        "“She said ‘run’ and ran,” he told me.",
        ["“She said ‘run’ and ran,”"],
    ),
    ("nested straight", "\"He yelled 'stop' at me,\" she said.", ["\"He yelled 'stop' at me,\""]),
    (
        "nested in ornament",
        "❛ i heard him say “never” twice ❜",
        ["❛ i heard him say “never” twice ❜"],
    ),
    ("nested same style", "“a “b” c” d", ["“a “b” c”"]),
    ("nested corner brackets", "「彼は『はい』と言った」", ["「彼は『はい』と言った」"]),
    ("inner left unclosed", "“she said ‘wait and left”", ["“she said ‘wait and left”"]),
    # --- paragraphs
    ("continued speech", "“First part.\n\n“Second part.”", ["“First part.", "“Second part.”"]),
    (
        "continued three paragraphs",
        "❛ one  \n\n❛ two\n\n❛ three ❜ she ended.",
        ["❛ one", "❛ two", "❛ three ❜"],
    ),
    ("continued straight single", "'First.\n\n'Second.'", ["'First.", "'Second.'"]),
    ("continued straight double", '"First.\n\n"Second."', ['"First.', '"Second."']),
    ("continued after indentation", "“Well.\n  \n   “Then.”", ["“Well.", "“Then.”"]),
    (
        "line break is not a paragraph",
        "❛first line\nsecond line❜ ok",
        ["❛first line\nsecond line❜"],
    ),
    (
        "unclosed not continued",
        "❛ she never finished\n\nthen ❛with❜ words.",
        ["❛with❜"],
    ),
    ("continued with another mark", "“unclosed\n\n❛ other ❜", ["❛ other ❜"]),
    ("straight across paragraphs", 'start "hello\n\nworld" end', []),
    # --- unclosed, lone and stray marks
    ("lone ornament", "❛", []),
    ("lone curly in prose", "a “ b", []),
    ("odd straight quote", '"one" and "two" and "', ['"one"', '"two"']),
    ("mismatched styles", "❛hello” there", []),
    ("foreign closer inside", "“hi❜ there”", ["“hi❜ there”"]),
    ("stray closer", "oops” and ❛ok❜", ["❛ok❜"]),
    ("empty quotes", '"" and ❛ ❜ and “”', []),
    ("lone mark before real speech", "❛ lone. Then ❛hi❜ said.", ["❛hi❜"]),
    # --- mixed styles and RP conventions
    (
        "every style in one paragraph",
        "❛one❜ “two” «three» 「four」 'five' \"six\" ❝seven❞ 『eight』 ‘nine’",
        [
            "❛one❜",
            "“two”",
            "«three»",
            "「four」",
            "'five'",
            '"six"',
            "❝seven❞",
            "『eight』",
            "‘nine’",
        ],
    ),
    (
        "ampersand and lowercase names",
        '"you & me," jay said. ❛ sure ❜',
        ['"you & me,"', "❛ sure ❜"],
    ),
    ("em-dash runs", "“I—” she started——“no.”", ["“I—”", "“no.”"]),
    ("spaced letters", "❛ n o . ❜ s a i d rin", ["❛ n o . ❜"]),
    ("emoji", "❛ okay 😭💀 ❜ 🫠", ["❛ okay 😭💀 ❜"]),
    ("after an em dash", "—'hello' she said", ["'hello'"]),
    ("after markdown emphasis", "*'hush'* he said", ["'hush'"]),
    # --- other scripts and invisible characters
    ("hebrew", 'היא אמרה "שלום" ויצאה', ['"שלום"']),
    ("hebrew gershayim", 'חייל צה"ל אמר "כן"', ['"כן"']),
    ("arabic guillemets", "قال «مرحبا» ثم ذهب", ["«مرحبا»"]),
    ("bidi mark inside", f"“{RLM}שלום{RLM}” said noa", [f"“{RLM}שלום{RLM}”"]),
    ("zero-width inside", f"❛he{ZWSP}llo{ZWJ}❜", [f"❛he{ZWSP}llo{ZWJ}❜"]),
    ("zero-width by an apostrophe", f"don{ZWSP}'t and 'ok{ZWSP}'", [f"'ok{ZWSP}'"]),
    ("zero-width only", f"❛{ZWSP}❜", []),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_find_dialogue(text, expected):
    assert [text[s:e] for s, e in find_dialogue(text)] == expected


def test_dialogue_pairs_cover_every_style():
    assert dict(DIALOGUE_PAIRS) == {
        "❛": "❜",
        "❝": "❞",
        "“": "”",
        '"': '"',
        "«": "»",
        "「": "」",
        "『": "』",
        "‘": "’",
        "'": "'",
    }
    with pytest.raises(TypeError):
        DIALOGUE_PAIRS["<"] = ">"  # type: ignore[index]


def test_offsets_are_character_offsets():
    text = "東京 😀 “Hi”"
    assert find_dialogue(text) == [(5, 9)]


# ---------------------------------------------------------------------------- properties

_IGNORABLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_ALPHABET = "".join(DIALOGUE_PAIRS) + "".join(DIALOGUE_PAIRS.values()) + "ab s’,.—\n\n" + _IGNORABLE
_PARAGRAPH_BREAK_AFTER = re.compile(rf"[\s{_IGNORABLE}]*?\n[^\S\n]*\n")


def _is_continuation_cut(text: str, start: int, end: int) -> bool:
    """The span ends at its paragraph's end and the next paragraph repeats its opening mark."""
    match = _PARAGRAPH_BREAK_AFTER.match(text, end)
    if match is None:
        return False
    rest = text[match.end() :].lstrip("".join({" ", "\t", "\n", "\r"}) + _IGNORABLE)
    return rest.startswith(text[start])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_spans_are_well_formed(text):
    spans = find_dialogue(text)
    assert spans == sorted(spans)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        previous_end = end
        opener = text[start]
        assert opener in DIALOGUE_PAIRS
        if end - start > 1 and text[end - 1] == DIALOGUE_PAIRS[opener]:
            continue
        assert _is_continuation_cut(text, start, end), (text, start, end)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_accepted(text):
    for start, end in find_dialogue(text):
        assert 0 <= start < end <= len(text)


_QUOTES = ["❛ a ❜", "❝b❞", "“c ‘d’ e”", "'f'", "‘g’", '"h"', "«i»", "「j」", "『k』"]
_WORDS = ["x", "she’s", "don't", "the girls' bags", "'cause", "’90s", "&", "—", "😭"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_QUOTES + _WORDS), st.sampled_from([" ", "\n", "\n\n", ", "])),
        max_size=20,
    )
)
def test_separated_quotes_are_all_found(pieces):
    """Text of closed quotes and words (apostrophes included) separated by spaces, commas or
    newlines: exactly the quotes are found."""
    text = "".join(piece + separator for piece, separator in pieces)
    expected = [piece for piece, _ in pieces if piece in _QUOTES]
    assert [text[s:e] for s, e in find_dialogue(text)] == expected


_PATHOLOGICAL = {
    "straight doubles": '"' * 50_000,
    "ornament openers": "❛" * 50_000,
    "ornament closers": "❜" * 50_000,
    "straight singles": "'" * 50_000,
    "nested curly": "“" * 25_000 + "”" * 25_000,
    "openers then foreign closers": "❛" * 25_000 + "”" * 25_000,
    "apostrophe words": "a'b " * 25_000,
    "elisions": "'cause " * 14_000,
    "possessives": "'the girls' " * 8_000,
    "zero-width runs": ("'" + ZWSP * 1_000) * 100,
    "paragraph continuations": "❛ a\n\n" * 20_000,
    "blank lines": "\n \n" * 33_000,
    "ordinary prose": ("❛ she’s here ❜ said jay, “the girls’ bags—” & left. " * 2_000)[:100_000],
}


@pytest.mark.parametrize("text", _PATHOLOGICAL.values(), ids=_PATHOLOGICAL.keys())
def test_pathological_input_returns(text):
    """A 100,000-character hostile post is handled (linear time; not timed here)."""
    spans = find_dialogue(text)
    assert all(0 <= s < e <= len(text) for s, e in spans)
