"""Blocking in a real browser: a writer finds another's public thread and page, the other
blocks them, and everything of the blocker vanishes from what they can find — while the
thread they already shared stays, with a button to leave it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

pytestmark = pytest.mark.browser


def _writer_with_muse(context, username: str, muse: str):
    page = context.new_page()
    sign_up(page, username)
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill(muse)
    page.get_by_role("button", name="Create muse").click()
    return page


def _public_thread(page, title: str, opening: str) -> str:
    page.goto("/t/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label(re.compile("Public")).check()
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()
    path = page.url.split("?")[0].split("#")[0]
    reply = page.get_by_role("region", name="Write your reply")
    reply.get_by_label("Your reply").fill(opening)
    reply.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text(re.compile(r"^Posted as"))).to_be_visible()
    return path


def test_block_a_writer_and_see_them_vanish_everywhere(new_context, page_problems, screenshots_dir):
    sorrel = _writer_with_muse(new_context(), "sorrel", "Marguerite")
    pike = _writer_with_muse(new_context(), "pike", "Tobias")
    _public_thread(sorrel, "Saltmarsh ferry", "the ferryman counted heron feathers & waited.")

    # Before: pike finds sorrel's thread in search and reads her page.
    pike.goto("/search/?q=heron+feathers")
    expect(pike.locator("ol.search-results > li")).to_have_count(1)
    response = pike.goto("/writers/sorrel/")
    assert response is not None and response.status == 200
    expect(pike.get_by_role("link", name="Saltmarsh ferry")).to_be_visible()

    # Sorrel blocks pike from his page: a confirmation that says what happens.
    sorrel.goto("/writers/pike/")
    sorrel.get_by_role("link", name="Block").click()
    expect(sorrel.get_by_role("heading", level=1)).to_have_text("Block pike?")
    check_accessibility(sorrel)
    shoot(sorrel, screenshots_dir, "90-block-confirm")
    sorrel.get_by_role("button", name="Block pike").click()
    expect(sorrel.get_by_role("heading", level=1)).to_have_text("Blocked writers")
    expect(sorrel.get_by_role("heading", name="pike")).to_be_visible()
    check_accessibility(sorrel)
    shoot(sorrel, screenshots_dir, "91-blocked-writers")

    # After: nothing of sorrel's in pike's search, her page is as absent as a stranger's.
    pike.goto("/search/?q=heron+feathers")
    expect(pike.locator("ol.search-results > li")).to_have_count(0)
    pike.goto("/search/?q=sorrel&kind=writers")
    expect(pike.locator("a[href='/writers/sorrel/']")).to_have_count(0)
    response = pike.goto("/writers/sorrel/")
    assert response is not None and response.status == 404

    # Unblocking brings everything back.
    sorrel.goto("/blocks/")
    sorrel.get_by_role("button", name="Unblock").click()
    expect(sorrel.get_by_text("You have not blocked anyone.")).to_be_visible()
    pike.goto("/search/?q=heron+feathers")
    expect(pike.locator("ol.search-results > li")).to_have_count(1)
    assert page_problems == []
