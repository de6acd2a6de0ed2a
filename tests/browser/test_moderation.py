"""Moderation in a real browser: a reader reports a spam post, a moderator finds it in the
queue and hides it, and the reader is told the outcome. The report form, the queue, the
report page and the reader's "My reports" are checked for accessibility and screenshotted at
desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import manage
from tests.browser.test_story import check_accessibility, shoot, sign_up

pytestmark = pytest.mark.browser

SPAM = "Cheap lamp oil at lampoil-bargains dot example, best prices, buy buy buy!"


def _join(page, username: str) -> None:
    sign_up(page, username)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A new muse")


def test_a_reader_reports_a_post_and_a_moderator_hides_it(
    new_context, page_problems, screenshots_dir
):
    # A writer posts spam in a public thread.
    spammer = new_context().new_page()
    _join(spammer, "oilseller")
    spammer.get_by_label(re.compile(r"^Name:?$")).fill("Pip")
    spammer.get_by_role("button", name="Create muse").click()
    spammer.goto("/t/new/")
    spammer.get_by_label("Title").fill("Harbour lights")
    spammer.locator("input[name=visibility][value=public]").check()
    spammer.get_by_role("button", name="Start thread").click()
    spammer.get_by_role("link", name="Read the thread").click()
    thread_path = spammer.url.split("?")[0].split("#")[0]
    reply = spammer.get_by_role("region", name="Write your reply")
    reply.get_by_label("Your reply").fill(SPAM)
    reply.get_by_role("button", name="Post reply").click()
    expect(spammer.get_by_text("Posted as Pip.")).to_be_visible()

    # A reader reports it from the post itself.
    reader = new_context().new_page()
    _join(reader, "wren")
    reader.goto(thread_path)
    reader.locator("#post-1").get_by_role("link", name="Report post #1").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(
        "Report post #1 in “Harbour lights”"
    )
    reader.get_by_label("Spam or advertising").check()
    reader.get_by_label("Tell the moderators more").fill("Every post of theirs sells lamp oil.")
    check_accessibility(reader)
    shoot(reader, screenshots_dir, "80-report-form")
    reader.get_by_role("button", name="Send report").click()
    expect(reader.get_by_text(re.compile("your report of post #1"))).to_be_visible()

    # A moderator (staff) opens the queue, then the report, and hides the post.
    moderator = new_context().new_page()
    _join(moderator, "mira")
    manage(
        "shell",
        "-c",
        "from tandem.accounts.models import User; "
        "User.objects.filter(username='mira').update(is_staff=True)",
    )
    moderator.goto("/")
    expect(moderator.locator(".site-account a[href='/moderation/']")).to_have_text("Moderation")
    moderator.goto("/moderation/")
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Moderation")
    expect(moderator.get_by_text("1 open report, oldest first.")).to_be_visible()
    check_accessibility(moderator)
    shoot(moderator, screenshots_dir, "81-moderation-queue")
    moderator.get_by_role("link", name="post #1 in “Harbour lights”").click()
    expect(moderator.get_by_text(SPAM)).to_be_visible()
    expect(moderator.get_by_text("Every post of theirs sells lamp oil.")).to_be_visible()
    moderator.get_by_label("Note for the audit log").fill("Advertising, third time this week.")
    check_accessibility(moderator)
    shoot(moderator, screenshots_dir, "82-moderation-report")
    moderator.get_by_role("button", name="Hide the post").click()
    expect(moderator.get_by_text(re.compile(r"Done: hid content\."))).to_be_visible()
    expect(moderator.get_by_text(re.compile("Hidden by moderators since"))).to_be_visible()
    moderator.get_by_role("link", name="Audit log").click()
    expect(moderator.get_by_role("cell", name="Hid content")).to_be_visible()

    # The reader no longer sees the post, and hears what was decided.
    reader.goto(thread_path)
    expect(reader.locator("#post-1")).to_contain_text("This post was removed by moderators.")
    expect(reader.locator("#post-1")).not_to_contain_text("lamp oil")
    check_accessibility(reader)
    shoot(reader, screenshots_dir, "84-post-removed-by-moderators")
    reader.goto("/notifications/")
    expect(reader.get_by_text(re.compile("removed the post from view"))).to_be_visible()
    reader.goto("/moderation/mine/")
    expect(reader.get_by_text("Acted on")).to_be_visible()
    check_accessibility(reader)
    shoot(reader, screenshots_dir, "83-my-reports")

    # Its writer still sees it, marked as removed by moderators.
    spammer.goto(thread_path)
    expect(spammer.locator("#post-1")).to_contain_text("lamp oil")
    expect(spammer.locator("#post-1")).to_contain_text("Removed by moderators")

    assert page_problems == []
