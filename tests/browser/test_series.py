"""Series in a real browser: a writer starts a series, adds two threads to it from their
pages, links a side story, and reorders the parts. The thread page's "Part N of …" box is
checked for accessibility and screenshotted at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

pytestmark = pytest.mark.browser


def _thread(page, title: str, text: str) -> str:
    page.goto("/t/new/")
    page.get_by_label("Title").fill(title)
    page.locator("input[name=visibility][value=public]").check()
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()
    path = page.url.split("?")[0].split("#")[0]
    reply = page.get_by_role("region", name="Write your reply")
    reply.get_by_label("Your reply").fill(text)
    reply.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Posted as Ivy.")).to_be_visible()
    return path


def _manage(page):
    page.locator("details.thread-about").evaluate("(el) => { el.open = true; }")
    box = page.get_by_role("complementary", name=re.compile(r"Series|Part|Related"))
    box.get_by_text("Series and links of this thread").click()
    return box


def test_a_series_box_on_the_thread_page(new_context, page_problems, screenshots_dir):
    page = new_context().new_page()
    sign_up(page, "wanderer")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Ivy")
    page.get_by_role("button", name="Create muse").click()

    first = _thread(page, "The first winter", "Snow closed the pass before the inn was lit.")
    second = _thread(page, "The second winter", "She came back the same way, a year older.")
    aside = _thread(page, "What the innkeeper saw", "He kept the lamp burning for her anyway.")

    page.goto("/series/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your series")
    page.get_by_label("Title").fill("The Long Road")
    page.get_by_label("Description").fill("Two winters on the mountain pass.")
    page.get_by_role("button", name="Start the series").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The Long Road")

    # Added in the wrong order on purpose, then put right on the series page.
    for path in (second, first):
        page.goto(path)
        box = _manage(page)
        box.get_by_label("Add to series").select_option(label="The Long Road")
        box.get_by_role("button", name="Add").click()
        expect(page.get_by_text("Added to “The Long Road”.")).to_be_visible()
    page.get_by_role("link", name="The Long Road").first.click()
    parts = page.locator(".series-order__item h3")
    expect(parts).to_have_text(["Part 1. The second winter", "Part 2. The first winter"])
    page.get_by_role("button", name="Move up The first winter").click()
    expect(parts).to_have_text(["Part 1. The first winter", "Part 2. The second winter"])
    check_accessibility(page)
    shoot(page, screenshots_dir, "95-series-page")

    # A side story, linked from the second winter by its address.
    page.goto(second)
    box = _manage(page)
    box.get_by_label("Link a thread").fill(page.url.split("/t/")[0] + aside)
    box.get_by_label("as a").select_option(label="Side story")
    box.get_by_role("button", name="Link").click()
    expect(page.get_by_text("Linked to “What the innkeeper saw”.")).to_be_visible()

    page.goto(second)
    page.locator("details.thread-about").evaluate("(el) => { el.open = true; }")
    box = page.get_by_role("complementary", name="Part 2 of The Long Road")
    expect(box.get_by_role("link", name=re.compile("Previous: The first winter"))).to_be_visible()
    expect(box.get_by_role("link", name="What the innkeeper saw")).to_be_visible()
    check_accessibility(page)
    box.scroll_into_view_if_needed()
    shoot(page, screenshots_dir, "96-thread-series-box")

    # A reader without an account sees the same box, without the writer's controls.
    reader = new_context().new_page()
    reader.goto(first)
    reader.locator("details.thread-about").evaluate("(el) => { el.open = true; }")
    box = reader.get_by_role("complementary", name="Part 1 of The Long Road")
    expect(box.get_by_role("link", name=re.compile("Next: The second winter"))).to_be_visible()
    expect(box.get_by_text("Series and links of this thread")).to_have_count(0)
