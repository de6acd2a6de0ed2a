"""Threads kept elsewhere in a real browser: a writer tracks a thread from another site,
sees it in their queue marked "elsewhere", flips the turn with one click, and the page
passes the accessibility checks at both widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_blocking import _writer_with_muse
from tests.browser.test_story import check_accessibility, shoot

pytestmark = pytest.mark.browser


def test_track_flip_and_see_it_in_the_queue(new_context, page_problems, screenshots_dir):
    page = _writer_with_muse(new_context(), "elsewright", "Maren")
    page.goto("/")
    page.get_by_role("link", name="Threads elsewhere").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Threads elsewhere")
    page.get_by_label("Title").fill("Salt and Lanterns")
    page.get_by_label("Link").fill("https://harbour.tumblr.com/post/77")
    page.get_by_label("Partner's name").fill("bea")
    page.get_by_label("Muse").select_option(label="Maren")
    page.get_by_label("Tags").fill("angst, au")
    page.get_by_label("Remind after (days)").fill("3")
    page.get_by_role("button", name="Track thread").click()
    expect(page.get_by_text("Now tracking “Salt and Lanterns”")).to_be_visible()
    check_accessibility(page)
    shoot(page, screenshots_dir, "97-threads-elsewhere")

    page.goto("/")
    your_turn = page.get_by_role("region", name="Your turn")
    item = your_turn.locator("li", has_text="Salt and Lanterns")
    expect(item.get_by_text("elsewhere · harbour.tumblr.com")).to_be_visible()
    link = item.get_by_role("link", name="Salt and Lanterns", exact=True)
    expect(link).to_have_attribute("href", "https://harbour.tumblr.com/post/77")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    check_accessibility(page)
    shoot(page, screenshots_dir, "97-queue-with-elsewhere")

    page.get_by_role("button", name="I replied to Salt and Lanterns").click()
    expect(page.get_by_text("“Salt and Lanterns”: their turn now.")).to_be_visible()
    waiting = page.get_by_role("region", name="Waiting on partners")
    expect(waiting.get_by_role("button", name="They replied to Salt and Lanterns")).to_be_visible()
    expect(your_turn.get_by_text("Salt and Lanterns")).to_have_count(0)
    assert page_problems == []


def test_import_a_spreadsheet_through_the_mapping_step(new_context, page_problems, screenshots_dir):
    page = _writer_with_muse(new_context(), "sheetwright", "Ines")
    page.goto("/elsewhere/")
    sheet = "Name,Where,Who\nRain,https://x.example/t/1,jo\n,https://x.example/t/2,kit\n"
    page.get_by_label("Tracker spreadsheet (CSV)").set_input_files(
        files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": sheet.encode()}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which column is which?")
    page.get_by_label("Title", exact=True).select_option(label="Name")
    page.get_by_label("Link", exact=True).select_option(label="Where")
    page.get_by_label("Partner", exact=True).select_option(label="Who")
    check_accessibility(page)
    shoot(page, screenshots_dir, "97-tracker-mapping")
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imported 1 thread")
    expect(page.get_by_text("Line 3:")).to_be_visible()
    check_accessibility(page)
    shoot(page, screenshots_dir, "97-tracker-import-report")
    page.get_by_role("link", name="Your queue").click()
    expect(page.get_by_text("elsewhere · x.example")).to_be_visible()
    assert page_problems == []


MOVED_TEXT = """maren set the lantern on the sill & waited — the harbour was too quiet tonight.

---

maren counted the boats twice. one was missing, & she knew whose it was.
"""


def test_move_a_thread_kept_elsewhere_into_tandem(new_context, page_problems, screenshots_dir):
    """From the tracked thread's page to the import and back: once imported, it is archived
    with a link to the new thread."""
    page = _writer_with_muse(new_context(), "movewright", "Maren")
    page.goto("/elsewhere/")
    page.get_by_label("Title").fill("Quiet harbour")
    page.get_by_label("Link").fill("https://harbour.example/t/5")
    page.get_by_role("button", name="Track thread").click()
    page.get_by_role("link", name="Edit Quiet harbour").click()
    page.get_by_role("link", name="Import its text as a Tandem thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a thread")
    expect(page.get_by_text("You are moving “Quiet harbour” from harbour.example")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Quiet harbour")
    page.get_by_label("Paste the thread").fill(MOVED_TEXT)
    page.get_by_label("Maren", exact=True).check()
    check_accessibility(page)
    shoot(page, screenshots_dir, "97-move-elsewhere-import")
    page.get_by_role("button", name="Propose the split").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    page.get_by_role("button", name="Import 2 posts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiet harbour")

    page.goto("/elsewhere/")
    archived = page.get_by_role("region", name="Archived")
    expect(archived.get_by_text("moved to")).to_be_visible()
    archived.get_by_role("link", name="Quiet harbour", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiet harbour")
    expect(page.get_by_role("list", name="Posts").get_by_role("listitem")).to_have_count(2)
    assert page_problems == []
