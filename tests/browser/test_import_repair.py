"""The import review repairs a proposal that came back wrong, in a real browser: a paste
proposed as one post is cut before one-line paragraphs (as pasted), a muse the writer forgot
is added from the review, and a run of posts is reassigned to it at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

# One-line paragraphs, a single line break between them, and a run of messages.
PASTED = (
    "wren had been standing under the station clock for twenty minutes & the rain had found "
    "every gap in her coat.\n"
    "cass: where are you\n"
    "cass: i'm by the flower stall\n"
    "cass shook out her umbrella — the enormous, ridiculous yellow one — and held it over "
    "both of them, which meant holding it mostly over wren.\n"
    "she had meant to be early. she was never early, and everyone knew it, including the "
    "trains."
)


def choose(select, starting: str) -> None:
    """Pick the option whose label starts with ``starting``."""
    option = select.locator("option").filter(has_text=re.compile("^" + re.escape(starting)))
    select.select_option(option.get_attribute("value"))


@pytest.mark.browser
def test_a_wrong_proposal_is_repaired_from_the_review(new_context, page_problems, screenshots_dir):
    page = new_context().new_page()
    sign_up(page, "mender")
    page.get_by_role("button", name="Create account").click()
    page.goto("/muses/new/")
    page.get_by_label(re.compile(r"^Name:?$")).fill("Wren")
    page.get_by_role("button", name="Create muse").click()

    page.goto("/import/")
    page.get_by_label("Title").fill("Station clock")
    page.get_by_label("Paste the thread").fill(PASTED)
    page.get_by_label("Wren", exact=True).check()
    page.get_by_role("button", name="Propose the split").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    posts = page.locator(".import-post")
    expect(posts).to_have_count(1)  # one muse named: everything is hers

    # Add the muse the writer forgot, without starting over.
    page.get_by_label("Name", exact=True).fill("Cass")
    page.get_by_role("button", name="Add muse").click()
    expect(page.get_by_label("Whose is post 1?").locator("option")).to_have_count(3)

    # Cut before the messages (a line inside a paragraph), then before the prose after them.
    split_at = page.get_by_label("Split before")
    expect(split_at.locator("option")).to_have_count(4)
    choose(split_at, "¶2: cass: where are you")
    page.get_by_role("button", name="Split post 1").click()
    expect(posts).to_have_count(2)
    choose(page.locator("#split-at-1"), "¶2: cass shook out")
    page.get_by_role("button", name="Split post 2").click()
    expect(posts).to_have_count(3)
    expect(page.locator("#proposed-count")).to_have_text("3 posts")  # the head follows
    expect(page.get_by_label("Text of post 1")).to_have_value(re.compile(r"in her coat\.$"))
    expect(page.get_by_label("Text of post 3")).to_have_value(re.compile(r"^cass shook out"))

    # Posts 2 and 3 are Cass's: one reassignment for the run.
    page.get_by_label("From post").fill("2")
    page.get_by_label("to post").fill("3")
    page.get_by_label("are by").select_option(label="Cass (mender)")
    page.get_by_role("button", name="Reassign").click()
    # Waits for the review to come back (it is swapped in): reading the selects at once
    # raced the answer on a slower database.
    for number, name in ((1, "Wren"), (2, "Cass"), (3, "Cass")):
        chosen = page.get_by_label(f"Whose is post {number}?").locator("option:checked")
        expect(chosen).to_have_text(re.compile("^" + name))
    check_accessibility(page)
    shoot(page, screenshots_dir, "34b-import-repair")

    page.get_by_role("button", name="Import 3 posts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Station clock")
    story = page.get_by_role("list", name="Posts").get_by_role("listitem")
    expect(story).to_have_count(3)
    expect(story.nth(1)).to_contain_text("i'm by the flower stall")
    expect(story.nth(2)).to_contain_text("Cass")
    assert page_problems == []
