"""The paste splitter's evidence, rule by rule: the writers' habits (style change), British
single quotes, a pronoun that cannot mean the muse its own sentence names as an object,
a muse named again and again, and the pronouns tried for muses given without any."""

from __future__ import annotations

import re

import pytest

from tandem.imports.splitter import MuseNames, propose, style
from tandem.imports.splitter.cast import QUOTE_PATTERN, _build_cast
from tandem.imports.splitter.evidence import _Scan, _units
from tandem.imports.splitter.segmentation import (
    _candidate_pronouns,
    _jointly_inferred_cast,
    _narration_pronoun_uses,
)
from tandem.imports.splitter.structure import _Segment
from tandem.imports.splitter.style import style_adjustments, unit_habits

JUNIPER = MuseNames(key="juniper", name="juniper", pronouns="she/her")
SORREL = MuseNames(key="sorrel", name="sorrel", pronouns="she/her")

# Two writers whose muses share "she". Juniper's writer types "&", ❛ ❜ and straight
# apostrophes; sorrel's writer "and", straight double quotes and curly apostrophes. Sorrel's
# post names juniper more than sorrel, so by names alone it reads as juniper's.
HARBOUR = [
    "juniper drags the crate across the loading bay & swears at it twice, softly, the way "
    "you swear at a dog you love. the ferry is late again. ❛ of course it is, ❜ she mutters, "
    "& sits on the crate to wait, boots swinging, watching the gulls fight over somebody's "
    "chips. she has been up since four & it shows.",
    "sorrel comes down the harbour steps into the smell of diesel and vinegar. juniper is on "
    "a crate, which is typical, and juniper is eating somebody else’s chips, which is also "
    "typical. juniper could be dropped in a desert and come back with a sandwich. she sets "
    'her bag down beside the crate. "you know those are the harbourmaster’s," she says, and '
    "holds out a hand for one anyway.",
    "juniper hands over a chip without looking. ❛ he's good for it, ❜ she says. ❛ he owes "
    "everybody. ❜ she licks salt off her thumb & squints at the horizon, where something grey "
    "might be a ferry or might be a cloud.",
]


def posts_of(text: str, muses: list[MuseNames]) -> list[tuple[str | None, str]]:
    return [(post.muse_key, post.text[:24]) for post in propose(text, muses).posts]


# ---------------------------------------------------------------------------------------
# Style


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("she went & he stayed. & then", {"conjunction": "ampersand"}),
        ("And then she left, and he stayed.", {"conjunction": "and", "sentence case": "upper"}),
        ("❛ fine, ❜ she says. ❛ whatever. ❜", {"dialogue": "ornate single"}),
        ("“Fine,” she said.", {"dialogue": "curly double"}),
        ("« Fine, » she said.", {"dialogue": "guillemets"}),
        ("‘Fine,’ she said. ‘Fine.’", {"dialogue": "curly single"}),
        ("she didn’t. she won’t.", {"apostrophe": "curly"}),
        ("she didn't. she won't.", {"apostrophe": "straight"}),
        ("it was — honestly — fine", {"dash": "spaced em"}),
        ("it was—honestly—fine", {"dash": "closed em"}),
        ("it was -- honestly -- fine", {"dash": "double hyphen"}),
        ("well... fine", {"ellipsis": "dots"}),
        ("well… fine", {"ellipsis": "character"}),
        ("she left. he stayed. it rained.", {"sentence case": "lower"}),
    ],
)
def test_each_habit_is_read_from_a_paragraph(text: str, expected: dict[str, str]):
    habits = unit_habits(text)
    for family, variant in expected.items():
        assert habits.get(family) == variant, (text, habits)


def test_a_paragraph_that_mixes_two_variants_shows_neither():
    assert "conjunction" not in unit_habits("she & he and they & we and you")


def test_a_habit_everyone_in_the_paste_shares_tells_nobody_apart():
    same = [{"conjunction": "ampersand"}] * 3
    assert style_adjustments(same) == [0.0, 0.0, 0.0]


def test_a_flip_makes_a_change_cheaper_and_a_held_habit_dearer():
    units = [
        {"conjunction": "ampersand"},
        {"conjunction": "ampersand"},
        {"conjunction": "and"},
        {},
        {"conjunction": "and"},
    ]
    adjustments = style_adjustments(units)
    assert adjustments[1] == style.STYLE_SAME  # & then &: the same writer, likely
    assert adjustments[2] == -style.STYLE_CHANGE  # & then "and": another writer, likely
    # A unit that shows nothing is compared across: its nearest neighbours agree.
    assert adjustments[3] == adjustments[4] == style.STYLE_SAME


def test_where_the_habits_flip_the_post_changes_though_the_names_say_otherwise(monkeypatch):
    text = "\n\n".join(HARBOUR)
    expected = [
        ("juniper", HARBOUR[0][:24]),
        ("sorrel", HARBOUR[1][:24]),
        ("juniper", HARBOUR[2][:24]),
    ]
    assert posts_of(text, [JUNIPER, SORREL]) == expected
    # It is the style that decides it: without it, the names make it one post.
    monkeypatch.setattr(style, "STYLE_CHANGE", 0.0)
    monkeypatch.setattr(style, "STYLE_SAME", 0.0)
    assert len(posts_of(text, [JUNIPER, SORREL])) == 1


# ---------------------------------------------------------------------------------------
# Point-of-view evidence


def test_british_single_quotes_are_dialogue_and_apostrophes_are_not_their_end():
    quotes = [m.group() for m in re.finditer(QUOTE_PATTERN, "‘I’m Ferro,’ he said. ‘Sit.’")]
    assert quotes == ["‘I’m Ferro,’", "‘Sit.’"]
    # A wrongly turned apostrophe opens no speech that would swallow the rest.
    assert not re.findall(QUOTE_PATTERN, "she went ‘cause it was late, & stayed ‘til two")
    # So "I" in British dialogue is no first-person narration.
    assert _narration_pronoun_uses("‘I’m fine,’ he said. ‘I am, I swear.’")["i"] == 0


def unit_scores(text: str, muses: list[MuseNames]) -> list[list[float]]:
    cast = _build_cast(muses, text)
    return [unit.scores for unit in _units(text, 0, len(text), cast, _Scan())]


def test_a_pronoun_is_not_the_muse_its_own_sentence_names_as_an_object():
    text = (
        "sorrel had been on the quay since dawn, counting crates.\n\n"
        "she refuses to give sorrel the satisfaction of being right about the ferry."
    )
    juniper, sorrel = unit_scores(text, [JUNIPER, SORREL])[1]
    # By the centre of attention (sorrel, from the paragraph before) the "she" would be
    # sorrel's; it cannot be, since the sentence gives something *to* sorrel.
    assert juniper > 0 and juniper > 3 * sorrel


def test_a_muse_named_again_and_again_counts_less_each_time():
    once = unit_scores("mags buys the yoghurts.", [JUNIPER, MuseNames("mags", "mags")])[0][1]
    thrice = unit_scores(
        "mags buys the yoghurts. mags labels them. mags counts them at six.",
        [JUNIPER, MuseNames("mags", "mags")],
    )[0][1]
    assert once < thrice < 2.5 * once


def test_a_stray_first_person_word_makes_no_first_person_muse():
    # Third person throughout, with two "i"s of unmarked thought: "i" is not tried as a
    # muse's pronoun in the joint search; a first-person narrator's "i" is.
    third = (
        "wren tied off the line and looked back at the harbour. i should have said it, she "
        "thought. she coiled the rope and she checked the knot again and she swore.\n\n"
        "odette was waiting at the end of the pier with two coffees. she held one out. she "
        "had not slept either, and she did not pretend to. i know, she thought.\n\n"
        "wren took the coffee. she drank it too hot and she did not complain. she never "
        "did, and she was not about to start now, not in front of her. he watched."
    )
    assert _candidate_pronouns(third) == ["she"]
    first = "i tied off the line. i looked back. odette was there; she waved and i waved."
    assert _candidate_pronouns(first) == ["i"]


def test_muses_given_no_pronouns_get_them_from_the_text_together():
    muses = [MuseNames("wren", "wren"), MuseNames("odette", "odette")]
    text = (
        "wren tied off the line and looked back at the harbour. she coiled the rope, checked "
        "the knot again, and swore at it.\n\n"
        "odette was waiting at the end of the pier with two coffees. he held one out and he "
        "did not say a word about the knot.\n\n"
        "wren took the coffee. she drank it too hot and she did not complain."
    )
    cast = _jointly_inferred_cast(
        muses, text, _Segment(0, len(text), "start"), _build_cast(muses, text)
    )
    assert cast.pronoun_to_muses == {"she": [0], "he": [1]}


# ---------------------------------------------------------------------------------------
# Forum exports: posts headed with the writer's account and the thread's subject line

WREN = MuseNames(key="wren", name="Wren Adair", pronouns="she/her", writer="tidewatcher")
COLE = MuseNames(key="cole", name="Hana Cole", pronouns="she/her", writer="inkandrain")


@pytest.mark.parametrize(
    "header",
    [
        "@{account}",
        "{account} wrote:",
        "Posted by {account} on 4 March 2019, 18:22",
        "Post by {account} » Tue Mar 12, 2024 9:41 pm",
        "by {account} » 12 Mar 2024",
        "**{account}** · Tue 14 Nov, 09:12",
        "{account} — 14/11/2023",
        "[{account}]",
    ],
)
def test_a_post_headed_with_its_writers_account_is_that_writers_muse(header: str):
    text = "\n".join(
        [
            header.format(account="tidewatcher"),
            "The lighthouse keeper's cottage smelled of paraffin and wet wool.",
            "",
            header.format(account="InkAndRain"),
            "The kettle was already on when the door banged open.",
        ]
    )
    posts = propose(text, [WREN, COLE]).posts
    assert [(p.muse_key, p.text) for p in posts] == [
        ("wren", "The lighthouse keeper's cottage smelled of paraffin and wet wool."),
        ("cole", "The kettle was already on when the door banged open."),
    ]


def test_an_account_nobody_in_the_thread_writes_with_is_no_header():
    text = "Posted by strangerdanger on 4 March 2019\nWren Adair lit the lamp."
    posts = propose(text, [WREN, COLE]).posts
    assert len(posts) == 1 and posts[0].text.startswith("Posted by strangerdanger")


def test_a_writer_with_two_muses_starts_a_post_and_its_point_of_view_says_whose():
    second = MuseNames(key="ines", name="Ines", pronouns="he/him", writer="tidewatcher")
    text = (
        "@tidewatcher\nWren Adair lit the lamp and sat down to wait for the boat.\n\n"
        "@tidewatcher\nInes came in without knocking, as he always did, and shook off the rain."
    )
    posts = propose(text, [WREN, COLE, second]).posts
    assert [p.muse_key for p in posts] == ["wren", "ines"]
    assert not any("@tidewatcher" in p.text for p in posts)


def test_forum_subject_lines_are_chrome_not_prose():
    text = (
        "The Long Watch [IC / closed]\n"
        "Post by tidewatcher » Tue Mar 12, 2024 9:41 pm\n"
        "Wren Adair lit the lamp and sat down to wait for the boat.\n\n"
        "Re: The Long Watch [IC / closed]\n"
        "Post by inkandrain » Wed Mar 13, 2024 8:02 am\n"
        "Hana Cole came in without knocking and shook the rain off her coat.\n\n"
        "Re: The Long Watch [IC / closed]\n"
        "Post by tidewatcher » Wed Mar 13, 2024 7:15 pm\n"
        "Wren Adair did not look up from the logbook."
    )
    posts = propose(text, [WREN, COLE]).posts
    assert [(p.muse_key, p.text[:14]) for p in posts] == [
        ("wren", "Wren Adair lit"),
        ("cole", "Hana Cole came"),
        ("wren", "Wren Adair did"),
    ]


def test_a_lone_re_line_in_prose_stays_prose():
    text = "Re: the boat, she had nothing to say.\nWren Adair lit the lamp."
    assert propose(text, [WREN, COLE]).posts[0].text.startswith("Re: the boat")


def test_muses_sharing_a_pronoun_among_three_are_never_sure_by_point_of_view():
    from tandem.imports.splitter import UNSURE_BELOW

    bram = MuseNames(key="bram", name="bram", pronouns="he/him")
    text = "\n\n".join(
        [
            "juniper drags the crate across the loading bay and swears at it twice. she has "
            "been up since four and it shows in the way she sits down on it, all at once.",
            "bram watches her from the harbourmaster's window with his coffee going cold. he "
            "has seen her sit like that before, the winter the boat went down.",
            "sorrel comes down the steps with two paper bags. she does not say good morning; "
            "she holds one bag out to juniper and waits until she takes it.",
        ]
    )
    posts = propose(text, [JUNIPER, SORREL, bram]).posts
    assert [p.muse_key for p in posts] == ["juniper", "bram", "sorrel"]
    sure = {p.muse_key: p.confidence >= UNSURE_BELOW for p in posts}
    assert sure == {"juniper": False, "bram": True, "sorrel": False}


@pytest.mark.parametrize(
    "opening",
    ["Commander Ilya Reyes", "Commander Reyes", "Reyes", "Cmdr. Reyes", "I. Reyes", "ilya"],
)
def test_a_titled_surnamed_or_initialled_name_is_the_muse(opening: str):
    reyes = MuseNames(key="reyes", name="Ilya Reyes", pronouns="he/him")
    cole = MuseNames(key="cole", name="Hana Cole", pronouns="she/her")
    text = (
        "Prof. Cole set the tray down on the only clear corner of the desk and waited for "
        "him to look up from the chart. She had been waiting, one way or another, all week.\n\n"
        f"{opening} did not look up. He traced the line of the reef with one finger, twice, "
        "as if it might have moved since the last time he checked."
    )
    posts = propose(text, [reyes, cole]).posts
    assert [p.muse_key for p in posts] == ["cole", "reyes"]
    assert posts[1].text.startswith(opening)
