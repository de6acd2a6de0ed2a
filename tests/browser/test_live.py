"""Live updates in a real browser: two writers, each in their own browser context.

B keeps the thread page (and, in a second tab, the queue) open while A writes: B sees
"Ivy is writing…", then A's post, the turn banner, the reply box and the queue badge, all
without a reload. Screenshots go to docs/screenshots/30-*.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_story import nav, queue_section, shoot, sign_up

pytestmark = pytest.mark.browser

WRITER_A = "linnet"
WRITER_B = "tamsin"
TITLE = "Lighthouse keepers"
A_POST = (
    "the lamp turns & turns — ivy counts the sweeps out loud, the way her father did.\n\n"
    "❛ you're on the late watch tonight, ❜ she says, not looking up from the logbook."
)
B_POST = "hale sets two mugs down on the logbook. ❛ then so are you. ❜"


def make_writer_with_muse(page: Page, username: str, muse: str, colour: str) -> None:
    sign_up(page, username)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/muses/new/$"))
    page.get_by_label(re.compile(r"^Name:?$")).fill(muse)
    page.get_by_label("Accent colour").fill(colour)
    page.get_by_role("button", name="Create muse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(muse)


def queue_badge(page: Page):
    return nav(page).get_by_role("link", name=re.compile(r"^Queue")).locator(".badge")


def live(page: Page, *sockets: str) -> None:
    """Wait until the page's sockets ("thread", "me") are open."""
    for name in sockets:
        expect(page.locator(f"main[data-live-{name}-open]")).to_have_count(1)


def test_a_reply_typing_and_the_queue_reach_the_other_writer_without_a_reload(
    new_context, page_problems, screenshots_dir
):
    a = new_context().new_page()
    context_b = new_context()
    b = context_b.new_page()
    make_writer_with_muse(a, WRITER_A, "Ivy", "#b3261e")
    make_writer_with_muse(b, WRITER_B, "Hale", "#1d5c8c")

    # A starts a private, ordered thread and invites B, who joins with Hale.
    a.goto("/t/new/")
    a.get_by_label("Title").fill(TITLE)
    a.get_by_role("button", name="Start thread").click()
    expect(a).to_have_url(re.compile(r"/t/[^/]+/settings/$"))
    thread_path = re.sub(r"settings/$", "", urlsplit(a.url).path)
    a.get_by_label("Writer's username").fill(WRITER_B)
    a.get_by_role("button", name="Send invitation").click()
    expect(a.get_by_text(f"Invited {WRITER_B}.")).to_be_visible()
    b.goto("/")
    queue_section(b, "Invitations").get_by_role(
        "link", name=f"Answer invitation to {TITLE}"
    ).click()
    b.get_by_label("Bring which muse?").select_option(label="Hale")
    b.get_by_role("button", name="Accept and join").click()
    expect(b).to_have_url(re.compile(re.escape(thread_path) + r"$"))

    # B keeps the thread open (Ivy's turn) and the queue in a second tab.
    expect(b.get_by_role("heading", name="Not your turn yet")).to_be_visible()
    expect(queue_badge(b)).to_have_count(0)
    b_queue = context_b.new_page()
    b_queue.goto("/")
    expect(queue_section(b_queue, "Your turn").get_by_role("listitem")).to_have_count(0)
    live(b, "thread", "me")
    live(b_queue, "me")
    b.evaluate("() => { window.notReloaded = true; }")
    b_queue.evaluate("() => { window.notReloaded = true; }")
    bell = nav(b).get_by_role("link", name=re.compile(r"^Notifications"))
    shown = bell.locator("[data-unread-count]")
    unread_before = int(shown.text_content()) if shown.count() else 0

    # A types: B sees who is writing, and A does not see itself.
    a.goto(thread_path)
    live(a, "thread")
    reply = a.get_by_role("region", name="Write your reply")
    reply.get_by_label("Your reply").fill(A_POST[:40])
    presence = b.locator("[data-live-presence]")
    expect(presence).to_have_text("Ivy is writing…")
    expect(b.get_by_role("status").filter(has_text="is writing")).to_have_count(1)
    expect(a.locator("[data-live-presence]")).to_have_text("")
    shoot(b, screenshots_dir, "31-live-b-sees-ivy-writing")

    # A posts: B's page takes the post, the turn and the reply box without reloading.
    reply.get_by_label("Your reply").fill(A_POST)
    reply.get_by_role("button", name="Post reply").click()
    expect(a.get_by_text("Posted as Ivy.")).to_be_visible()
    posts = b.get_by_role("list", name="Posts").get_by_role("listitem")
    expect(posts).to_have_count(1)
    expect(posts.first).to_contain_text("Ivy")
    expect(posts.first).to_contain_text("the lamp turns & turns")
    # A's controls stay A's: B gets only a reader's foot (a bookmark button).
    expect(posts.first.locator(".post__foot:not(.post__foot--reader)")).to_have_count(0)
    expect(posts.first.get_by_role("link", name=re.compile("Edit"))).to_have_count(0)
    expect(posts.first.locator(".post__head")).to_have_css("border-top-color", "rgb(179, 38, 30)")
    expect(b.get_by_text("No posts yet.")).to_have_count(0)
    expect(b.locator(".turn-banner")).to_contain_text("Your turn as Hale")
    expect(presence).to_have_text("")  # Ivy posted: no longer "writing"
    b_reply = b.get_by_role("region", name="Write your reply")
    expect(b_reply).to_be_visible()
    queue_link = nav(b).get_by_role("link", name=re.compile(r"^Queue"))
    expect(queue_link).to_have_accessible_name(re.compile(r"^Queue\s+1\s+waiting on you$"))
    expect(queue_link.locator(".badge")).to_have_text("1")
    # The bell counts the "your turn" notification, also without a reload.
    expect(bell.locator("[data-unread-count]")).to_have_text(str(unread_before + 1))
    expect(bell).to_have_accessible_name(f"Notifications {unread_before + 1} unread")
    assert b.evaluate("() => window.notReloaded") is True
    b.evaluate("() => window.scrollTo(0, 0)")
    shoot(b, screenshots_dir, "30-live-b-reply-arrived")

    # ... and B's queue tab moved the thread to "Your turn".
    your_turn = queue_section(b_queue, "Your turn")
    expect(your_turn.get_by_role("listitem")).to_have_count(1)
    expect(your_turn.get_by_role("listitem")).to_contain_text("Your turn as Hale")
    expect(queue_badge(b_queue)).to_have_text("1")
    assert b_queue.evaluate("() => window.notReloaded") is True
    # Muse colours come along with the new HTML (re-nonced: the CSP would refuse them).
    hale_avatar = your_turn.locator(".avatar").first
    expect(hale_avatar).to_have_css("background-color", "rgb(29, 92, 140)")
    shoot(b_queue, screenshots_dir, "32-live-b-queue-updated")

    # The reply box that arrived live works like any other: preview, then post.
    b_reply.get_by_label("Your reply").fill(B_POST)
    expect(b.locator("#preview-reply")).to_contain_text("then so are you.")
    b_reply.get_by_role("button", name="Post reply").click()
    expect(b.get_by_text("Posted as Hale.")).to_be_visible()

    # A, still on the page the post redirected to, gets Hale's post and the turn back.
    a_posts = a.get_by_role("list", name="Posts").get_by_role("listitem")
    expect(a_posts).to_have_count(2)
    expect(a_posts.nth(1)).to_contain_text("then so are you.")
    expect(a.locator(".turn-banner")).to_contain_text("Your turn as Ivy")
    expect(a.get_by_role("region", name="Write your reply")).to_be_visible()
    expect(queue_badge(a)).to_have_text("1")

    assert page_problems == [], "server errors or console errors (a CSP refusal among them)"


def test_ooc_talk_and_a_new_partner_reach_open_pages_without_a_reload(
    new_context, page_problems, screenshots_dir
):
    """Issue 10, item 12: the owner's open thread page shows a partner joining; each
    writer's OOC page shows the other's message live; the story page's OOC count follows."""
    a = new_context().new_page()
    context_a = a.context
    b = new_context().new_page()
    make_writer_with_muse(a, "perrin", "Sorrel", "#6b4e9b")
    make_writer_with_muse(b, "tansywright", "Tansy", "#2e7d4f")

    a.goto("/t/new/")
    a.get_by_label("Title").fill("Harbour lights")
    a.get_by_role("button", name="Start thread").click()
    expect(a).to_have_url(re.compile(r"/t/[^/]+/settings/$"))
    thread_path = re.sub(r"settings/$", "", urlsplit(a.url).path)
    a.get_by_label("Writer's username").fill("tansywright")
    a.get_by_role("button", name="Send invitation").click()
    expect(a.get_by_text("Invited tansywright.")).to_be_visible()

    # The owner keeps the story open; the partner joins from their queue.
    a_story = context_a.new_page()
    a_story.goto(thread_path)
    live(a_story, "thread", "ooc")
    a_story.evaluate("() => { window.notReloaded = true; }")
    people = a_story.locator("[data-live-people]")
    expect(people).not_to_contain_text("Tansy")
    b.goto("/")
    queue_section(b, "Invitations").get_by_role(
        "link", name="Answer invitation to Harbour lights"
    ).click()
    b.get_by_label("Bring which muse?").select_option(label="Tansy")
    b.get_by_role("button", name="Accept and join").click()
    expect(people).to_contain_text("Sorrel (perrin) → Tansy (tansywright)")

    # Both open the OOC talk; the partner's message arrives on the owner's page.
    a.goto(thread_path + "ooc/")
    b.goto(thread_path + "ooc/")
    live(a, "ooc")
    live(b, "ooc")
    a.evaluate("() => { window.notReloaded = true; }")
    expect(a.get_by_text("No OOC talk yet.")).to_be_visible()
    b.get_by_label("Out of character").fill(
        "Shall we open at the **night market**? Sorrel could be late."
    )
    b.get_by_role("button", name="Send").click()
    talk = a.get_by_role("list", name="OOC messages").get_by_role("listitem")
    expect(talk).to_have_count(1)
    expect(talk.first).to_contain_text("tansywright")
    expect(talk.first.locator("strong", has_text="night market")).to_be_visible()
    expect(a.locator("#ooc-latest")).to_have_count(1)
    expect(a.locator("[data-live-ooc-status]")).to_have_text("New OOC message from tansywright.")
    # And the other way round, on the partner's page (which reloaded after sending).
    a.get_by_label("Out of character").fill("Late is perfect. She brings the wrong lantern.")
    a.get_by_role("button", name="Send").click()
    b_talk = b.get_by_role("list", name="OOC messages").get_by_role("listitem")
    expect(b_talk).to_have_count(2)
    expect(b_talk.nth(1)).to_contain_text("the wrong lantern")
    expect(b.locator("#ooc-latest")).to_contain_text("the wrong lantern")
    # The owner's story page counts the OOC talk, still without a reload.
    expect(people.get_by_role("link", name="OOC talk (2)")).to_be_visible()
    assert a_story.evaluate("() => window.notReloaded") is True
    b.evaluate("() => window.scrollTo(0, 0)")
    shoot(b, screenshots_dir, "33-live-ooc-arrived")

    assert page_problems == [], "server errors or console errors (a CSP refusal among them)"
