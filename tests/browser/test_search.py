"""Search in a real browser: a writer half-remembers a line from an old scene, types a few of
its words into the header's search box and lands on the post. The results page, the thread's
own search and a refused query are checked for accessibility and screenshotted at desktop and
phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

pytestmark = pytest.mark.browser

POSTS = [
    "The lighthouse keeper's log was three weeks behind, and Ivy had stopped pretending "
    "otherwise. She wrote the date, crossed it out, wrote it again.",
    "Out on the gallery the gulls had eaten the salt off the lantern glass again; she swore "
    "at every one of them by name, which took a while.",
    "By dusk the fog came in like a tide of wool. She lit the lamp early & let the log wait "
    "another night — it had waited this long.",
]


def _write_thread(page) -> str:
    sign_up(page, "keeper")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Ivy")
    page.get_by_role("button", name="Create muse").click()
    page.goto("/t/new/")
    page.get_by_label("Title").fill("The keeper's log")
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()
    thread_path = page.url.split("?")[0].split("#")[0]
    for text in POSTS:
        reply = page.get_by_role("region", name="Write your reply")
        reply.get_by_label("Your reply").fill(text)
        reply.get_by_role("button", name="Post reply").click()
        expect(page.get_by_text("Posted as Ivy.")).to_be_visible()
    return thread_path


def test_search_for_a_half_remembered_line_and_land_on_the_post(
    new_context, page_problems, screenshots_dir
):
    page = new_context().new_page()
    thread_path = _write_thread(page)

    # From any page: the header's search box, a few words remembered out of order.
    page.goto("/")
    header_search = page.get_by_role("search", name="Site")
    header_search.get_by_label("Search").fill("gull lantern salt")
    header_search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=gull\+lantern\+salt"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    results = page.locator("ol.search-results > li")
    expect(results).to_have_count(1)
    expect(results.first.locator("mark").first).to_be_visible()
    expect(results.first).to_contain_text("gulls")
    expect(page.get_by_role("link", name=re.compile(r"Posts\s+1"))).to_have_attribute(
        "aria-current", "page"
    )
    check_accessibility(page)
    shoot(page, screenshots_dir, "60-search-results")

    # The result is the post's permalink: it opens the thread at that post.
    results.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"#post-2$"))
    expect(page.locator("#post-2")).to_be_in_viewport()
    expect(page.locator("#post-2")).to_contain_text("the gulls had eaten the salt")

    # "Search in this thread" from the thread page, with the filters open for the shot.
    page.goto(thread_path)
    thread_search = page.get_by_role("search", name="This thread")
    check_accessibility(page)
    shoot(page, screenshots_dir, "63-thread-search-form")
    thread_search.get_by_label("Search in this thread").fill("log -gulls")
    thread_search.get_by_role("button", name="Search").click()
    expect(page.get_by_text("In The keeper's log only.")).to_be_visible()
    expect(page.locator("ol.search-results > li")).to_have_count(2)
    page.get_by_text("Filters and order").click()
    page.get_by_label("Sort by").select_option("date")
    page.get_by_role("search", name="Search posts and threads").get_by_role(
        "button", name="Search"
    ).click()
    numbers = page.locator("ol.search-results > li h3 a")
    expect(numbers.first).to_contain_text("post 3")
    check_accessibility(page)
    shoot(page, screenshots_dir, "61-search-in-thread")

    # A query with no words: a sentence next to the box, the page still whole.
    page.get_by_label("Search for").fill("?!… ---")
    page.get_by_role("search", name="Search posts and threads").get_by_role(
        "button", name="Search"
    ).click()
    expect(page.get_by_role("alert")).to_contain_text("at least one word")
    check_accessibility(page)
    shoot(page, screenshots_dir, "62-search-refused")
    assert page_problems == []
