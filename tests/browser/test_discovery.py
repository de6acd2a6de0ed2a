"""Discovery in a real browser: a writer tags two public threads (the tag field suggests the
tag already in use), a reader opens the directory, filters it by a tag, and follows a tag
link to the tag's page. Pages are checked for accessibility and screenshotted at desktop and
phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

pytestmark = pytest.mark.browser


def _start_public_thread(page, title: str, *, fandoms: str, tags: str) -> None:
    page.goto("/t/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Fandoms").fill(fandoms)
    page.get_by_label("Additional tags").fill(tags)
    page.get_by_label(re.compile("Public — listed")).check()
    page.get_by_role("button", name="Start thread").click()
    expect(page.get_by_text("Thread started.")).to_be_visible()


def test_filter_the_directory_by_a_tag_and_open_the_tags_page(
    new_context, page_problems, screenshots_dir
):
    page = new_context().new_page()
    sign_up(page, "cartographer")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Wren")
    page.get_by_role("button", name="Create muse").click()

    _start_public_thread(
        page, "Maps of the drowned coast", fandoms="Original Work", tags="Slow burn, Sea monsters"
    )
    # The second thread's fandom field suggests the tag already in use (HTMX <datalist>).
    page.goto("/t/new/")
    page.get_by_label("Fandoms").press_sequentially("orig", delay=30)
    expect(page.locator("#tag-suggestions-fandom option")).to_have_attribute(
        "value", "Original Work"
    )
    _start_public_thread(page, "The lighthouse ledger", fandoms="Original Work", tags="Fluff")

    # The directory: both threads, cards as h2 under the page's h1.
    page.goto("/t/public/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Directory")
    # (Other browser tests share this server, so other public threads may be listed too.)
    for title in ("Maps of the drowned coast", "The lighthouse ledger"):
        expect(page.get_by_role("heading", level=2, name=title)).to_have_count(1)
    page.get_by_label("Tag", exact=True).fill("slow BURN")
    page.get_by_label("Sort by").select_option("newest")
    page.get_by_role("button", name="Show threads").click()
    expect(page).to_have_url(re.compile(r"tag=slow\+BURN"))
    cards = page.locator("ul.grid > li")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Maps of the drowned coast")
    check_accessibility(page)
    shoot(page, screenshots_dir, "70-directory-filtered")

    # A tag on the card is a link to the tag's page.
    cards.first.get_by_role("link", name=re.compile("Original Work")).click()
    expect(page).to_have_url(re.compile(r"/tags/fandom/Original%20Work/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Original Work")
    expect(page.locator("ul.grid > li")).to_have_count(2)
    check_accessibility(page)
    shoot(page, screenshots_dir, "71-tag-page")
    assert page_problems == []
