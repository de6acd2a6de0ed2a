"""Issue 10, item 13 in a real browser: the phone header menu and the folded thread details,
reaching the reply box in two Tab presses, the focus on a new post, invite suggestions as
you type, the edit preview's dialogue colour, and the composer without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_story import sign_up

pytestmark = pytest.mark.browser

DIALOGUE_POST = "Ivy stood at the stall. ❛ Either buy one or admit you are following me. ❜"


def _writer_with_thread(page: Page, username: str, posts: int) -> str:
    sign_up(page, username)
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Ivy")
    page.get_by_label("Accent colour").fill("#1d5c8c")
    page.get_by_role("button", name="Create muse").click()
    page.goto("/t/new/")
    page.get_by_label("Title").fill("Lanterns at dusk")
    page.get_by_label("Summary").fill("A night market, a grey coat, a red lantern.")
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()
    thread_path = page.url.split("?")[0].split("#")[0]
    for number in range(posts):
        reply = page.get_by_role("region", name="Write your reply")
        reply.get_by_label("Your reply").fill(f"{DIALOGUE_POST} ({number + 1})")
        reply.get_by_role("button", name="Post reply").click()
        expect(page.get_by_text("Posted as Ivy.")).to_be_visible()
    return thread_path


def test_phone_header_menu_folded_details_and_the_reply_box_two_tabs_away(
    new_context, page_problems, screenshots_dir
):
    page = new_context().new_page()
    thread_path = _writer_with_thread(page, "linden", posts=6)

    # After posting, the new post has the focus (not just the scroll position).
    expect(page.locator("#post-6")).to_be_focused()

    # Six posts: two Tab presses reach the reply box ("Skip to content", then this link).
    page.goto(thread_path)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to the reply box")
    page.keyboard.press("Enter")
    expect(page.locator("#reply")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Post as")).to_be_focused()

    # Desktop: every header link in one row, the thread's details shown, no "Menu" button.
    page.goto(thread_path)
    menu = page.locator("summary.site-menu__toggle")
    expect(menu).to_be_hidden()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Muses")
    ).to_be_visible()
    expect(page.locator(".thread-meta")).to_be_visible()
    expect(page.get_by_role("search", name="This thread")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "90-thread-desktop.png"))

    # Phone: the header is one row (brand, "Menu"), the details fold under the title, and
    # the first post starts on the first screen.
    page.set_viewport_size(PHONE)
    page.goto(thread_path)
    expect(menu).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator(".thread-meta")).to_be_hidden()
    about = page.locator("summary.thread-about__toggle")
    expect(about).to_contain_text("About this thread")
    first_post = page.locator("#post-1")
    assert first_post.bounding_box()["y"] < PHONE["height"] - 80, "first post is below the fold"
    page.screenshot(path=str(screenshots_dir / "91-thread-phone-folded.png"))
    about.click()
    expect(page.locator(".thread-meta")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "92-thread-phone-details-open.png"))

    # The menu opens from the keyboard and holds the search, the links and the account.
    menu.focus()
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Notifications")).to_be_visible()
    expect(page.get_by_role("search", name="Site")).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(screenshots_dir / "93-header-menu-phone-open.png"))
    page.keyboard.press("Tab")
    expect(page.get_by_label("Search", exact=True)).to_be_focused()
    nav.get_by_role("link", name="Muses").click()
    expect(page).to_have_url(re.compile(r"/muses/$"))
    page.set_viewport_size(DESKTOP)
    assert page_problems == []


def test_invite_suggestions_and_the_edit_preview_in_the_muses_colour(
    new_context, page_problems, screenshots_dir
):
    partner = new_context().new_page()
    sign_up(partner, "marjoram")
    partner.get_by_role("button", name="Create account").click()
    page = new_context().new_page()
    thread_path = _writer_with_thread(page, "rowan", posts=1)

    # Typing part of a name offers the writers it may be.
    page.goto(thread_path + "settings/")
    box = page.get_by_label("Writer's username")
    box.press_sequentially("marj", delay=40)
    expect(page.locator("#invite-suggestions option[value='marjoram']")).to_have_count(1)
    # A mistyped name comes back in the box with a suggestion.
    box.fill("marjrom")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("There is no writer called “marjrom”.")).to_be_visible()
    expect(page.get_by_label("Writer's username")).to_have_value("marjrom")
    expect(page.locator("#invite-did-you-mean")).to_contain_text("marjoram")
    shoot_both(page, screenshots_dir, "94-invite-mistyped")

    # The edit page's live preview shows dialogue in the muse's colour, as the thread does.
    page.goto(thread_path)
    in_thread = page.locator("#post-1 .dialogue").first.evaluate("e => getComputedStyle(e).color")
    page.goto(thread_path + "posts/1/edit/")
    preview = page.locator("#preview-edit .dialogue").first
    expect(preview).to_be_visible()
    ink = page.evaluate("() => getComputedStyle(document.body).color")
    colour = preview.evaluate("e => getComputedStyle(e).color")
    assert colour == in_thread and colour != ink
    # With JavaScript the live preview runs: no Preview button.
    expect(page.get_by_role("button", name="Preview")).to_be_hidden()
    assert page_problems == []


def test_without_javascript_the_composer_previews_on_request(browser, base_url, screenshots_dir):
    setup = browser.new_context(base_url=base_url, viewport=DESKTOP)
    context = None
    try:
        page = setup.new_page()
        thread_path = _writer_with_thread(page, "hazel", posts=0)
        cookies = setup.cookies()
        context = browser.new_context(
            base_url=base_url, viewport=DESKTOP, java_script_enabled=False
        )
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(thread_path)
        reply = page.get_by_role("region", name="Write your reply")
        expect(
            reply.get_by_text("Not saved until you post: use Preview to check it")
        ).to_be_visible()
        expect(reply.get_by_text("Drafts save as you type")).to_have_count(0)
        expect(reply.get_by_role("heading", name="Preview")).to_be_hidden()
        reply.get_by_label("Your reply").fill(DIALOGUE_POST)
        reply.get_by_role("button", name="Preview").click()
        reply = page.get_by_role("region", name="Write your reply")
        expect(reply.locator("#preview-reply .dialogue")).to_have_text(
            "❛ Either buy one or admit you are following me. ❜"
        )
        expect(reply.get_by_label("Your reply")).to_have_value(DIALOGUE_POST)
        expect(page.locator("ol.posts")).to_have_count(0)  # nothing was posted
        shoot_both(page, screenshots_dir, "95-composer-no-script-preview")
        reply.get_by_role("button", name="Post reply").click()
        expect(page.locator("#post-1")).to_contain_text("Either buy one")
    finally:
        setup.close()
        if context is not None:
            context.close()


def shoot_both(page: Page, directory, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(directory / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(directory / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
