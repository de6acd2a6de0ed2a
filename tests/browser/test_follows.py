"""Following and bookmarks in a real browser: a reader follows a public thread from its
page, bookmarks a post, writes a private note on the Bookmarks page and finds the thread on
the Following page with its feed address. Screenshotted at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

pytestmark = pytest.mark.browser

OPENING = (
    "The ferry horn sounded twice, which on this island meant a stranger. Ivy put down the "
    "net she was mending and went to see who it was."
)


def _public_thread(page) -> str:
    sign_up(page, "islander")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Ivy")
    page.get_by_role("button", name="Create muse").click()
    page.goto("/t/new/")
    page.get_by_label("Title").fill("Two horns for a stranger")
    page.locator("input[name=visibility][value=public]").check()
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()
    thread_path = page.url.split("?")[0].split("#")[0]
    reply = page.get_by_role("region", name="Write your reply")
    reply.get_by_label("Your reply").fill(OPENING)
    reply.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Posted as Ivy.")).to_be_visible()
    return thread_path


def test_follow_a_thread_bookmark_a_post_and_keep_a_note(
    new_context, page_problems, screenshots_dir
):
    thread_path = _public_thread(new_context().new_page())

    # A reader with no muse in the thread.
    page = new_context().new_page()
    sign_up(page, "gullwatcher")
    page.get_by_role("button", name="Create account").click()
    page.goto(thread_path)
    page.get_by_role("button", name="Follow this thread").click()
    expect(page.get_by_text("Followed. New posts will reach your notifications.")).to_be_visible()
    expect(page.get_by_role("button", name="Unfollow this thread")).to_be_visible()

    # Bookmark the opening post: back on the thread at that post, marked "Bookmarked".
    page.get_by_role("button", name="Bookmark post #1").click()
    expect(page.get_by_text("Post #1 bookmarked.")).to_be_visible()
    post = page.locator("#post-1")
    expect(post.get_by_role("link", name="Bookmarked")).to_be_visible()
    expect(post.get_by_role("button", name="Remove bookmark on post #1")).to_be_visible()
    check_accessibility(page)
    shoot(page, screenshots_dir, "90-follows-thread")

    # The Bookmarks page: the post, and a private note saved on it.
    post.get_by_role("link", name="Bookmarked").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bookmarks")
    bookmark = page.locator("li.follows-bookmark")
    expect(bookmark).to_have_count(1)
    expect(bookmark).to_contain_text("Ivy in “Two horns for a stranger” · #1")
    expect(bookmark).to_contain_text("The ferry horn sounded twice")
    bookmark.get_by_label("Private note").fill("Use the two-horns custom when Hale arrives.")
    bookmark.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Note saved.")).to_be_visible()
    expect(page.get_by_label("Private note")).to_have_value(
        "Use the two-horns custom when Hale arrives."
    )
    check_accessibility(page)
    shoot(page, screenshots_dir, "91-follows-bookmarks")

    # The Following page: the thread, and the private feed address.
    page.get_by_role("link", name="Following").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Following")
    expect(page.get_by_role("link", name="Two horns for a stranger")).to_be_visible()
    expect(page.get_by_label("Feed address")).to_have_value(re.compile(r"/follows/feed/.+\.atom$"))
    check_accessibility(page)
    shoot(page, screenshots_dir, "92-follows-following")

    # The feed answers its address with the post, as Atom.
    feed_url = page.get_by_label("Feed address").input_value()
    response = page.request.get(feed_url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert "The ferry horn sounded twice" in response.text()
    assert page_problems == []
