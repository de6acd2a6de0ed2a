"""The paste splitter: the sample table, each separator and header form, dates, warnings,
names, point of view, and properties that must hold for any paste. No database needed."""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.imports.samples import (
    FEATURES,
    Sample,
    load_samples,
    locked_hashes,
    recorded_hashes,
    score,
)
from tandem.imports.splitter import MuseNames, parse_date, propose

SAMPLES = load_samples()  # the tuning set: what the splitter's rules may be fitted to
LOCKED = load_samples("locked")  # only ever scored (tandem/imports/samples/__init__.py)
ALL_SAMPLES = SAMPLES + LOCKED
WITHOUT_SEPARATORS = [sample for sample in SAMPLES if not sample.separators]

IVY = MuseNames(key="ivy", name="Ivy Marsh", nicknames=("ives",), pronouns="she/her")
BRAM = MuseNames(key="bram", name="bram", nicknames=("holloway",), pronouns="he/him")
CAST = [IVY, BRAM]

# A two-post thread, no separators: ivy's post, then bram's. Each mentions the other.
IVY_THEN_BRAM = """\
ivy climbed the last of the stairs & set the lamp down on the chart table. she was tired, \
the kind of tired that sat behind her eyes & hummed, & she had no patience left for the logbook.

she didn't look round when bram came in. she knew the sound of his boots well enough by now, \
& she knew the careful way he shut the door when he had bad news.

bram leaned against the door & watched her for a moment. he had the letter in his coat & no \
idea at all how to start, so he said nothing, & the lamp hissed between them.

he cleared his throat at last. ❛ives. we need to talk about the boat.❜ he hated how it came \
out, small & careful, like he was the one who'd sunk it."""


def folded(text: str) -> str:
    return " ".join(text.casefold().split())


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


# ---------------------------------------------------------------------------------------
# The sample table


def test_the_sample_table_is_big_and_varied_enough():
    assert len(SAMPLES) >= 12
    assert len(WITHOUT_SEPARATORS) >= 10
    assert {sample.style for sample in SAMPLES} >= {"tumblr", "discord", "forum", "script", "docs"}
    assert any(len(sample.muses) == 4 for sample in SAMPLES)
    assert all(2 <= len(sample.muses) <= 4 for sample in SAMPLES)
    assert any(post["muse"] is None for sample in SAMPLES for post in sample.posts)


def test_the_locked_test_set_is_a_third_of_the_corpus_and_unchanged():
    """The locked samples are exactly the files recorded when the set was split off: editing
    one to make it pass (or dropping one) fails here."""
    assert len(ALL_SAMPLES) >= 60
    assert len(LOCKED) * 3 >= len(ALL_SAMPLES)
    assert locked_hashes() == recorded_hashes()
    assert {sample.name for sample in SAMPLES}.isdisjoint(sample.name for sample in LOCKED)


@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=lambda sample: sample.name)
def test_each_sample_is_well_formed(sample: Sample):
    assert set(sample.features) <= FEATURES
    muse_keys = {muse["name"] for muse in sample.muses}
    text = folded(sample.text)
    position = 0
    for post in sample.posts:
        assert post["muse"] is None or post["muse"] in muse_keys
        found = text.find(folded(post["start"]), position)
        assert found >= position, f"{post['start']!r} is not in the text after the last post"
        position = found + 1
    if not sample.separators:
        lines = sample.text.splitlines()
        assert not any(re.fullmatch(r"\s*([-*~_=]\s*){3,}|\s*<hr\s*/?>\s*", line) for line in lines)
        assert not any(re.match(r"\s*(\[|\*\*|date:)", line, re.I) for line in lines)


def test_sample_posts_are_forty_to_four_hundred_words():
    for sample in ALL_SAMPLES:
        text = folded(sample.text)
        starts = []
        for post in sample.posts:  # each start after the last: a post may quote an earlier one
            starts.append(text.find(folded(post["start"]), starts[-1] + 1 if starts else 0))
        for start, end in itertools.pairwise([*starts, len(text)]):
            assert 40 <= len(text[start:end].split()) <= 400, (sample.name, text[start:][:40])


# The corpus's scores as last measured: (samples exactly right, posts found with the right
# muse) for each set, with separators or without, with the muses' pronouns given or names
# alone. A change to the splitter may raise them (then raise these floors with it) but
# never lower them. Issue 13's goal is 90 % exactly right in every cell
# without separators; benchmarks/split_accuracy.py prints the whole table.
SCORE_FLOORS = {
    # (set, separators, pronouns given): (samples exact, posts right)
    ("tuning", False, True): (29, 193),
    ("tuning", False, False): (24, 179),
    ("tuning", True, True): (5, 28),
    ("tuning", True, False): (5, 28),
    ("locked", False, True): (10, 104),
    ("locked", False, False): (8, 81),
    ("locked", True, True): (2, 8),
    ("locked", True, False): (2, 8),
}


def test_no_change_lowers_the_splitters_scores_on_either_set():
    scores: dict[tuple, list[int]] = {}
    for sample in ALL_SAMPLES:
        for pronouns in (True, False):
            proposal = propose(sample.text, sample.muse_names(pronouns=pronouns))
            cell = ("locked" if sample.locked else "tuning", sample.separators, pronouns)
            result = score(sample, proposal)
            exact, right = scores.setdefault(cell, [0, 0])
            scores[cell] = [exact + result.exact, right + result.right]
    for cell, (exact_floor, right_floor) in SCORE_FLOORS.items():
        exact, right = scores[cell]
        assert exact >= exact_floor and right >= right_floor, (cell, exact, right)


def test_the_original_separated_samples_still_come_out_exactly():
    """Separators and headers naming the muse (forum, script and docs forms) are explicit
    structure: those samples must all come out exactly right."""
    named = [s for s in SAMPLES if s.separators and s.style in ("forum", "script", "docs")]
    assert len(named) >= 3
    for sample in named:
        assert score(sample, propose(sample.text, sample.muse_names())).problems == ()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_confidences_stay_between_zero_and_one(sample: Sample):
    proposal = propose(sample.text, sample.muse_names())
    first, *rest = proposal.posts
    assert (first.split_reason, first.split_confidence) == ("start", 1.0)
    for post in proposal.posts:
        assert 0.0 <= post.confidence <= 1.0
        assert 0.0 <= post.split_confidence <= 1.0
        assert (post.muse_key is None) == (post.confidence == 0.0)
        assert post.text == post.text.strip() and post.text
    for post in rest:
        if post.split_reason in ("separator", "header"):
            assert post.split_confidence >= 0.9
        else:
            assert post.split_reason == "pov"
            assert post.split_confidence > 0.5  # the search only splits where it gains


# ---------------------------------------------------------------------------------------
# Separators and headers


@pytest.mark.parametrize(
    "separator",
    ["---", "***", "~~~", "* * *", "- - -", "~ ~ ~ ~", "-----", "<hr>", "<hr/>", "<HR />", "———"],
)
def test_each_separator_form_splits_and_disappears(separator: str):
    text = f"ivy walked in & sat down.\n\n{separator}\n\nbram looked up from the fire."
    proposal = propose(text, CAST)
    assert [post.text for post in proposal.posts] == [
        "ivy walked in & sat down.",
        "bram looked up from the fire.",
    ]
    assert [post.split_reason for post in proposal.posts] == ["start", "separator"]
    assert proposal.posts[1].split_confidence == 1.0
    assert [post.muse_key for post in proposal.posts] == ["ivy", "bram"]


@pytest.mark.parametrize("line", ["--", "a --- b", "—", "<hr> and more", "* *"])
def test_lines_that_are_not_separators_do_not_split(line: str):
    proposal = propose(f"ivy sat.\n{line}\nshe read on.", CAST)
    assert len(proposal.posts) == 1
    assert line in proposal.posts[0].text


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("Ivy:", "Ivy"),
        ("[Ivy]", "Ivy"),
        ("**Ivy**", "Ivy"),
        ("[ives]", "ives"),  # a nickname
        ("**Marsh**", "Marsh"),  # a surname
        ("IVY MARSH:", "IVY MARSH"),  # the full name, in any case
    ],
)
def test_each_header_form_names_the_post(header: str, named: str):
    text = f"{header}\nthe kettle boiled over & nobody moved.\n\n[Bram]\nthe kettle kept on."
    proposal = propose(text, CAST)
    assert [(post.muse_key, post.named) for post in proposal.posts] == [
        ("ivy", named),
        ("bram", "Bram"),
    ]
    assert proposal.posts[0].text == "the kettle boiled over & nobody moved."
    assert proposal.posts[1].split_reason == "header"
    assert proposal.posts[0].confidence > 0.9


def test_script_lines_split_by_speaker_and_merge_runs_by_the_same_one():
    text = "ivy: you're late.\nIvy: again.\nbram: the tide was wrong.\nives: it always is."
    proposal = propose(text, CAST)
    assert [(post.muse_key, post.text) for post in proposal.posts] == [
        ("ivy", "you're late.\nagain."),
        ("bram", "the tide was wrong."),
        ("ivy", "it always is."),
    ]


def test_script_lines_by_an_unknown_speaker_need_a_script_around_them():
    script = "ivy: well?\nCorwin: the ford is flooded.\nbram: then we wait.\nCorwin: we can't."
    proposal = propose(script, CAST)
    assert [post.named for post in proposal.posts] == ["ivy", "Corwin", "bram", "Corwin"]
    assert proposal.unknown_names == ["Corwin"]
    prose = "ivy read the letter twice.\nWarning: it said, in red ink, do not open the door."
    assert len(propose(prose, CAST).posts) == 1


def test_double_posts_divided_by_a_separator_stay_two_posts():
    text = "ivy sat down.\n\n---\n\nivy stood up again, restless.\n\n---\n\nbram sighed."
    proposal = propose(text, CAST)
    assert [post.muse_key for post in proposal.posts] == ["ivy", "ivy", "bram"]


def test_a_header_for_an_unknown_character_is_a_warning_not_a_guess():
    text = "[Ivy]\nshe waited.\n\n[Corwin]\nThe herald bowed low.\n\n[Bram]\nhe frowned."
    proposal = propose(text, CAST)
    corwin = proposal.posts[1]
    assert (corwin.muse_key, corwin.named, corwin.confidence) == (None, "Corwin", 0.0)
    assert proposal.unknown_names == ["Corwin"]
    assert any("Post 2" in warning and "Corwin" in warning for warning in proposal.warnings)
    assert [post.muse_key for post in proposal.posts] == ["ivy", None, "bram"]


def test_an_emphasised_line_in_prose_is_not_an_unknown_header():
    text = "ivy ran for the door.\n\n**Run**\n\nshe didn't look back.\n\n**No.**\n\nnot yet."
    proposal = propose(text, CAST)
    assert len(proposal.posts) == 1
    assert proposal.unknown_names == []


# ---------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Date: 2019-03-04", datetime(2019, 3, 4, tzinfo=UTC)),
        ("Date: 2019-03-04 18:22", datetime(2019, 3, 4, 18, 22, tzinfo=UTC)),
        ("date: 4 March 2019", datetime(2019, 3, 4, tzinfo=UTC)),
        ("Date: March 4, 2019", datetime(2019, 3, 4, tzinfo=UTC)),
        ("**Date:** 4th Mar 2019 6:22 pm", datetime(2019, 3, 4, 18, 22, tzinfo=UTC)),
    ],
)
def test_a_date_line_dates_the_post_and_leaves_the_text(line: str, expected: datetime):
    proposal = propose(f"ivy sat.\n\n---\n{line}\nbram stood.", CAST)
    post = proposal.posts[1]
    assert post.date == expected
    assert post.date.utcoffset() == timedelta(0)
    assert post.text == "bram stood."
    assert proposal.posts[0].date is None


def test_a_date_line_at_the_top_dates_the_first_post_without_splitting():
    proposal = propose("Date: 2019-03-04\n\nivy sat by the window.", CAST)
    assert len(proposal.posts) == 1
    assert proposal.posts[0].date == datetime(2019, 3, 4, tzinfo=UTC)
    assert proposal.posts[0].text == "ivy sat by the window."


def test_a_date_line_after_a_blank_line_starts_a_new_post():
    text = "Date: 2019-03-04\nivy sat.\n\nDate: 2019-03-05\nbram stood."
    proposal = propose(text, CAST)
    assert [(post.muse_key, post.date.day, post.text) for post in proposal.posts] == [
        ("ivy", 4, "ivy sat."),
        ("bram", 5, "bram stood."),
    ]


def test_an_unreadable_date_line_stays_in_the_text_with_a_warning():
    proposal = propose("ivy sat.\n\n---\nDate: the spring after the flood\nbram stood.", CAST)
    post = proposal.posts[1]
    assert post.date is None
    assert post.text == "Date: the spring after the flood\nbram stood."
    assert any("the spring after the flood" in warning for warning in proposal.warnings)


def test_parse_date_converts_to_utc_and_rejects_nonsense():
    assert parse_date("2019-03-04T18:22:00+01:00") == datetime(2019, 3, 4, 17, 22, tzinfo=UTC)
    assert parse_date("Monday, March 4th, 2019 at 18:22") == datetime(
        2019, 3, 4, 18, 22, tzinfo=UTC
    )
    assert parse_date("2019-03-04 18:22-05:30") == datetime(2019, 3, 4, 23, 52, tzinfo=UTC)
    assert parse_date("2019-03-04 18:22").utcoffset() == timedelta(0)
    for nonsense in ("2019-02-30", "32 March 2019", "Smarch 4, 2019", "yesterday", ""):
        assert parse_date(nonsense) is None


# ---------------------------------------------------------------------------------------
# Empty, single-post, line endings


@pytest.mark.parametrize("text", ["", "   ", "\n\n\r\n"])
def test_empty_input_proposes_nothing(text: str):
    proposal = propose(text, CAST)
    assert proposal.posts == []
    assert any("nothing to import" in warning for warning in proposal.warnings)


def test_a_paste_with_no_split_is_one_post_with_a_warning():
    text = "ivy sat by the window & read.\n\nshe turned the page. the rain kept on."
    proposal = propose(text, CAST)
    assert len(proposal.posts) == 1
    assert proposal.posts[0].muse_key == "ivy"
    assert proposal.posts[0].text == text
    assert any("one post" in warning for warning in proposal.warnings)


def test_a_paste_that_names_no_muse_is_one_post_with_nobody_and_warnings():
    proposal = propose("the rain kept on all night.\n\nby morning the road was gone.", CAST)
    assert [post.muse_key for post in proposal.posts] == [None]
    assert any("Couldn’t tell" in warning for warning in proposal.warnings)


def test_windows_line_endings_give_the_same_posts():
    unix = propose(IVY_THEN_BRAM, CAST)
    windows = propose(IVY_THEN_BRAM.replace("\n", "\r\n"), CAST)
    assert [(post.muse_key, post.text) for post in windows.posts] == [
        (post.muse_key, post.text) for post in unix.posts
    ]
    assert not any("\r" in post.text for post in windows.posts)
    crlf_separators = propose("ivy sat.\r\n\r\n---\r\n\r\nbram stood.\r\n", CAST)
    assert [post.text for post in crlf_separators.posts] == ["ivy sat.", "bram stood."]


# ---------------------------------------------------------------------------------------
# Names and point of view


def test_a_change_of_point_of_view_splits_the_paste():
    proposal = propose(IVY_THEN_BRAM, CAST)
    assert [post.muse_key for post in proposal.posts] == ["ivy", "bram"]
    assert proposal.posts[1].text.startswith("bram leaned against the door")
    assert proposal.posts[1].split_reason == "pov"
    assert proposal.posts[1].split_confidence > 0.6
    assert all(post.confidence > 0.6 for post in proposal.posts)
    assert not any("one post" in warning for warning in proposal.warnings)


def test_name_matching_ignores_case():
    shouting = propose(IVY_THEN_BRAM.replace("ivy", "IVY").replace("bram", "Bram"), CAST)
    assert [post.muse_key for post in shouting.posts] == ["ivy", "bram"]
    lowercase_muses = [
        MuseNames("ivy", "ivy", pronouns="she/her"),
        MuseNames("bram", "BRAM", pronouns="he/him"),
    ]
    assert [post.muse_key for post in propose(IVY_THEN_BRAM, lowercase_muses).posts] == [
        "ivy",
        "bram",
    ]


def test_nicknames_and_surnames_stand_for_the_muse():
    by_other_names = IVY_THEN_BRAM.replace("ivy climbed", "marsh climbed").replace(
        "bram leaned", "holloway leaned"
    )
    proposal = propose(by_other_names, CAST)
    assert [post.muse_key for post in proposal.posts] == ["ivy", "bram"]
    assert proposal.posts[1].text.startswith("holloway leaned")


def test_a_possessive_at_the_start_of_a_post_points_at_its_muse():
    text = (
        "bram shut the door & leaned on it. he had nothing left to say that he hadn't said.\n\n"
        "ivy’s hands were shaking. her heart would not slow down, & she folded the letter "
        "smaller & smaller until it was a hard little square.\n\n"
        "ives' voice, when it came, was flat. she would not look at him."
    )
    proposal = propose(text, CAST)
    assert [post.muse_key for post in proposal.posts] == ["bram", "ivy"]
    assert proposal.posts[1].text.startswith("ivy’s hands")


def test_a_name_said_in_dialogue_does_not_steal_the_point_of_view():
    text = (
        "bram set the lantern down on the step & didn't sit. he was too tired to sit.\n\n"
        "❛ivy,❜ he said. ❛ivy. listen to me. ives, you have to come down off the wall.❜\n\n"
        "he waited. the wind took his voice & threw it back at him. ❛please, ivy.❜"
    )
    proposal = propose(text, CAST)
    assert [post.muse_key for post in proposal.posts] == ["bram"]


def test_a_name_in_the_object_position_does_not_steal_the_point_of_view():
    text = (
        "ivy climbed onto the wall & sat with her boots hanging over the drop.\n\n"
        "she looked down at bram, at holloway's lantern & his upturned face, & felt nothing.\n\n"
        "she had waited for bram for three years. she could wait a little longer."
    )
    assert [post.muse_key for post in propose(text, CAST).posts] == ["ivy"]


def test_names_inside_discord_actions_count_as_subjects():
    text = (
        '*ivy slides onto the stool & steals a chip off his plate.* "you look awful."\n'
        "*she grins, unrepentant.*\n"
        '*bram pulls the plate out of her reach.* "i look tired. there\'s a difference."\n'
        "*he rubs his eyes with the heel of one hand.*"
    )
    proposal = propose(text, CAST)
    assert [post.muse_key for post in proposal.posts] == ["ivy", "bram"]
    assert proposal.posts[1].text.startswith("*bram pulls")


def test_pronouns_are_guessed_when_the_muses_give_none():
    no_pronouns = [MuseNames("ivy", "Ivy Marsh", ("ives",)), MuseNames("bram", "bram")]
    proposal = propose(IVY_THEN_BRAM, no_pronouns)
    assert [post.muse_key for post in proposal.posts] == ["ivy", "bram"]


def test_a_capitalised_character_who_is_no_muse_is_flagged_in_prose():
    text = (
        "Ivy set down her cup and looked out at the rain. She had not slept. She had not "
        "tried.\n\n"
        "Corwin came in from the yard with the dogs at his heels. Corwin shook the water "
        "from his hat, and the old herald stamped his boots, and only then did Corwin look "
        "at the table. Nobody had told Corwin anything, and he hated that.\n\n"
        "Corwin sat down without being asked. He took the letter from the table, and Corwin "
        "read it twice, slowly, while the fire spat."
    )
    proposal = propose(text, CAST)
    assert [post.muse_key for post in proposal.posts] == ["ivy", None]
    assert proposal.posts[1].named == "Corwin"
    assert proposal.unknown_names == ["Corwin"]
    assert any("Corwin" in warning for warning in proposal.warnings)


def test_a_header_at_the_very_top_names_the_first_post_of_a_pov_split():
    proposal = propose("[Ivy]\n" + IVY_THEN_BRAM, CAST)
    assert [(post.muse_key, post.named) for post in proposal.posts] == [
        ("ivy", "Ivy"),
        ("bram", None),
    ]
    assert not proposal.posts[0].text.startswith("[Ivy]")


def test_without_muses_nothing_is_attributed_and_the_writer_is_told():
    proposal = propose("ivy sat.\n\n---\n\nbram stood.", [])
    assert [post.muse_key for post in proposal.posts] == [None, None]
    assert any("No muses" in warning for warning in proposal.warnings)


def test_a_single_muse_thread_is_one_post():
    proposal = propose(IVY_THEN_BRAM, [IVY])
    assert [post.muse_key for post in proposal.posts] == ["ivy"]


def test_a_hundred_post_paste_is_proposed_well_under_half_a_second():
    sample = next(sample for sample in SAMPLES if sample.name == "tumblr_lighthouse")
    paragraphs = [p for p in sample.text.split("\n\n") if p.strip()]
    posts, index = [], 0
    while len(posts) < 100:
        post, words_in_post = [], 0
        while words_in_post < 300:
            post.append(paragraphs[index % len(paragraphs)])
            words_in_post += len(post[-1].split())
            index += 1
        posts.append("\n\n".join(post))
    paste = "\n\n".join(posts)
    assert len(paste.split()) >= 30_000
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        propose(paste, sample.muse_names())
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.5


# ---------------------------------------------------------------------------------------
# Properties

VOCABULARY = [
    "ivy",
    "Ivy's",
    "bram",
    "holloway",
    "she",
    "he",
    "they",
    "her",
    "him",
    "the",
    "lamp",
    "sea",
    "looked",
    "said",
    "was",
    "had",
    "walked",
    "at",
    "&",
    "—",
    "and",
    "slowly",
    "❛hello❜",
    "“no,”",
    '"wait"',
    "*sighs*",
    "it.",
    "why?",
    "again!",
    "Corwin",
]
sentence = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=25).map(" ".join)
paragraph = st.lists(sentence, min_size=1, max_size=4).map("\n".join)
separator = st.sampled_from(["---", "***", "~ ~ ~", "<hr>"])
block = st.one_of(paragraph, paragraph, paragraph, separator)


@settings(max_examples=150, deadline=None)
@given(blocks=st.lists(block, min_size=0, max_size=12), crlf=st.booleans())
def test_any_paste_is_split_without_losing_a_word(blocks: list[str], crlf: bool):
    text = "\n\n".join(blocks)
    proposal = propose(text.replace("\n", "\r\n") if crlf else text, CAST)
    kept = [block for block in blocks if block not in ("---", "***", "~ ~ ~", "<hr>")]
    expected_words = words("\n".join(kept))
    assert words("\n".join(post.text for post in proposal.posts)) == expected_words
    if not "".join(kept).strip():
        assert proposal.posts == []
    for post in proposal.posts:
        assert post.text
        assert 0.0 <= post.confidence <= 1.0
        assert 0.0 <= post.split_confidence <= 1.0
        assert post.muse_key in (None, "ivy", "bram")
    keys = [post.muse_key for post in proposal.posts]
    if not any(block in ("---", "***", "~ ~ ~", "<hr>") for block in blocks):
        # Without separators, a POV split never leaves two posts by one muse side by side.
        assert all(a != b or a is None for a, b in itertools.pairwise(keys))


def test_lowercase_bold_header_of_an_unknown_muse_is_reported_not_absorbed():
    text = "**ivy**\n\nivy waited.\n\n**hale**\n\nhale came late.\n\n**ivy**\n\nshe laughed."
    proposal = propose(text, [MuseNames(key="1", name="Ivy")])
    assert [p.muse_key for p in proposal.posts] == ["1", None, "1"]
    assert proposal.posts[1].named == "hale"
    assert proposal.unknown_names == ["hale"]
    assert any("hale" in warning for warning in proposal.warnings)


# ---------------------------------------------------------------------------------------
# Doubt (issue 13, item 4)


def test_a_post_the_text_switches_within_is_never_sure(monkeypatch):
    """Where a change of point of view falls just short of being worth a cut, the one post
    that results says the runner-up segmentation (two posts) was close: it is not "sure".
    The cost of a cut is raised step by step until the two posts become one."""
    import tandem.imports.splitter as splitter
    from tandem.imports.splitter import segmentation  # where _penalties reads the bounds

    for cost in [step / 4 for step in range(8, 400)]:
        monkeypatch.setattr(segmentation, "MIN_SWITCH_PENALTY", cost)
        monkeypatch.setattr(segmentation, "MAX_SWITCH_PENALTY", cost)
        posts = propose(IVY_THEN_BRAM, CAST).posts
        if len(posts) == 1:
            break
    assert len(posts) == 1
    assert posts[0].confidence < splitter.UNSURE_BELOW


def test_the_runner_up_cut_is_measured_from_the_tail_of_the_post():
    from tandem.imports.splitter.segmentation import _inner_switch_gain

    emissions = [[5.0, 0.0], [5.0, 0.0], [0.0, 4.0], [0.0, 4.0]]
    penalties = [0.0, 3.0, 3.0, 3.0]
    # Handing the last two paragraphs to the other muse gains 8 for a cut costing 3.
    assert _inner_switch_gain([0, 4, 0], emissions, penalties) == 5.0
    assert _inner_switch_gain([0, 2, 0], emissions, penalties) == -8.0


def test_the_same_paste_cut_where_it_switches_is_sure_of_both_posts():
    first, second = propose(IVY_THEN_BRAM, CAST).posts
    assert (first.muse_key, second.muse_key) == ("ivy", "bram")
    assert min(first.confidence, second.confidence, second.split_confidence) >= 0.6
