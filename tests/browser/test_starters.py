"""Open starters in a real browser: a writer posts a starter, a second writer finds it on the
board by its tag, asks to join with their muse, the owner accepts, and the newcomer writes
the first reply. Each page is checked for accessibility and screenshotted at desktop and
phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

pytestmark = pytest.mark.browser

OPENING = (
    "The lighthouse had been dark for a year when the supply boat came round the point, "
    "and Ivy watched it from the gallery with the logbook shut on her knees."
)


def _writer_with_muse(page, username: str, muse: str) -> None:
    sign_up(page, username)
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill(muse)
    page.get_by_role("button", name="Create muse").click()
    expect(page.get_by_text(f"{muse} is ready to write.")).to_be_visible()


def test_post_a_starter_request_to_join_accept_and_write_the_first_reply(
    new_context, page_problems, screenshots_dir
):
    owner = new_context().new_page()
    _writer_with_muse(owner, "boatwright", "Ivy")

    # The owner posts a starter: a public thread, its opening post, what they look for.
    owner.get_by_role("navigation", name="Main").get_by_role("link", name="Starters").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Open starters")
    owner.get_by_role("link", name="Post a starter").click()
    owner.get_by_label("Title").fill("The dark lighthouse")
    owner.get_by_label("Opening post").fill(OPENING)
    owner.get_by_label("Open slots").fill("1")
    owner.get_by_label("What you look for").fill("Slow burn, weekly replies, 500+ words.")
    owner.get_by_label("Tags").fill("slow burn, lighthouse")
    owner.get_by_label("Rating").select_option("teen")
    check_accessibility(owner)
    shoot(owner, screenshots_dir, "70-starter-new")
    owner.get_by_role("button", name="Post starter").click()
    expect(owner.get_by_text("Your starter is on the board.")).to_be_visible()
    expect(owner.get_by_role("heading", level=1)).to_have_text("The dark lighthouse")

    # A second writer finds it on the board by its tag and asks to join with Hale.
    partner = new_context().new_page()
    _writer_with_muse(partner, "rower", "Hale")
    partner.goto("/starters/")
    filters = partner.get_by_role("search", name="Filter starters")
    filters.get_by_label("Tag").fill("Slow Burn")
    filters.get_by_role("button", name="Filter").click()
    expect(partner.locator(".starter-card")).to_have_count(1)
    expect(partner.locator(".starter-card")).to_contain_text("1 open slot")
    check_accessibility(partner)
    shoot(partner, screenshots_dir, "71-starters-board")
    partner.get_by_role("link", name="The dark lighthouse").click()
    expect(partner.get_by_text("Slow burn, weekly replies, 500+ words.")).to_be_visible()
    expect(partner.get_by_role("article", name="Opening post")).to_contain_text("supply boat")
    partner.get_by_label("Join with which muse?").select_option(label="Hale")
    partner.get_by_label("A note to the writer").fill("Hale runs the supply boat. Weekly suits me.")
    check_accessibility(partner)
    shoot(partner, screenshots_dir, "72-starter-detail")
    partner.get_by_role("button", name="Ask to join").click()
    expect(partner.get_by_text("You asked to join with Hale.")).to_be_visible()
    expect(partner.get_by_role("button", name="Withdraw my request")).to_be_visible()

    # The owner hears of it, opens the requests and accepts.
    owner.goto("/notifications/")
    owner.get_by_text(re.compile(r"rower asks to join .The dark lighthouse. with Hale")).click()
    expect(owner.get_by_role("heading", name="Requests")).to_be_visible()
    expect(owner.get_by_text("Hale runs the supply boat.")).to_be_visible()
    check_accessibility(owner)
    shoot(owner, screenshots_dir, "73-starter-requests")
    owner.get_by_role("button", name="Accept Hale").click()
    expect(owner.get_by_text("Hale (rower) joined “The dark lighthouse”.")).to_be_visible()
    expect(owner.get_by_text("Closed", exact=False).first).to_be_visible()

    # Its one slot taken, the starter has left the board.
    partner.goto("/starters/")
    expect(partner.get_by_text("No open starters right now.")).to_be_visible()

    # The newcomer finds the thread from their requests and writes the first reply.
    partner.goto("/starters/mine/")
    expect(partner.get_by_text("Accepted")).to_be_visible()
    partner.get_by_role("link", name="Go to the thread").click()
    reply = partner.get_by_role("region", name="Write your reply")
    reply.get_by_label("Your reply").fill(
        "Hale tied up at the jetty and shouted up at the dark glass until a shutter moved."
    )
    reply.get_by_role("button", name="Post reply").click()
    expect(partner.get_by_text("Posted as Hale.")).to_be_visible()
    expect(partner.locator("#post-2")).to_contain_text("shouted up at the dark glass")
    check_accessibility(partner)
    shoot(partner, screenshots_dir, "74-starter-first-reply")
    assert page_problems == []
