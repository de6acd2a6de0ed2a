"""The core user story, end to end in a real browser against the real server.

Two writers sign up, each creates a muse, one starts a private thread and invites the
other, they take one turn each, and both queues follow along. Every key page is checked
for basic accessibility and screenshotted at desktop and phone widths into
docs/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
WRITER_A = "marigold"
WRITER_B = "bramble"
THREAD_TITLE = "Coffee cart"
# The nav's Queue link reads "Queue 1 waiting on you": the visible "Queue 1" comes first.
QUEUE_OF_ONE = re.compile(r"^Queue\s+1\s+waiting on you$")

OPENING_POST = (
    "the cart rattles over the cobbles before ivy has even finished tying her apron — steam "
    "already curling from the urn, cinnamon & burnt sugar clinging to everything she owns. "
    "she spots her regular before he spots her.\n\n"
    "❛ you're late, ❜ she calls, sliding a paper cup across the counter without being asked. "
    "❛ oat milk, two sugars — & don't tell me you've switched, because i won't believe "
    "you. ❜\n\n"
    "the queue behind him groans. ivy only grins."
)
REPLY_POST = (
    "hale takes the cup like a peace offering — careful, both hands, thumb smudging the "
    "marker where she's written a looping h. across the lid.\n\n"
    "❛ i'm not late. the tram was early & i refused to reward it. ❜ a sip; a wince; another "
    "sip anyway. ❛ …you burnt it on purpose. ❜\n\n"
    "he doesn't step out of the queue — not yet."
)


# ---------------------------------------------------------------------------------------
# helpers


def shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page screenshots at desktop and phone widths: NAME-desktop.png, NAME-phone.png."""
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(directory / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: page scrolls sideways by {overflow}px at phone width"
    page.screenshot(path=str(directory / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


UNLABELLED_CONTROLS_JS = """
() => {
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== 'hidden' && style.display !== 'none'
      && (box.width > 0 || box.height > 0);
  };
  const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.tagName === 'INPUT' && skip.has(el.type)) continue;
    if (!visible(el)) continue;
    const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    const byAria = (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').trim();
    const wrapped = el.closest('label');
    if (!byFor && !byAria && !wrapped) {
      problems.push(`${el.tagName.toLowerCase()}[name=${el.name}][type=${el.type}]`);
    }
  }
  return problems;
}
"""

FOCUS_FROM_PAGE_START_JS = """
() => {
  // Put the sequential-focus starting point at the top of the document, whatever an
  // autofocus attribute did on load.
  if (document.activeElement && document.activeElement !== document.body) {
    document.activeElement.blur();
  }
  document.body.setAttribute('tabindex', '-1');
  document.body.focus();
  document.body.removeAttribute('tabindex');
}
"""


def check_accessibility(page: Page) -> None:
    """Labels on every visible control, one <main> and one <h1>, skip link first in tab order."""
    assert page.evaluate(UNLABELLED_CONTROLS_JS) == [], f"unlabelled controls on {page.url}"
    expect(page.locator("main")).to_have_count(1)
    expect(page.locator("h1")).to_have_count(1)
    page.evaluate(FOCUS_FROM_PAGE_START_JS)
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    expect(focused).to_have_attribute("href", "#main")
    expect(focused).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")
    # Leave the page as it was: no #main in the URL (a redirect after a form post would
    # keep it), nothing focused, scrolled to the top for the screenshots.
    page.evaluate(
        """() => {
          history.replaceState(null, '', location.pathname + location.search);
          document.activeElement.blur();
          window.scrollTo(0, 0);
        }"""
    )


def make_avatar(path: Path, background: str, ink: str) -> Path:
    image = Image.new("RGB", (96, 96), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((18, 18, 78, 78), fill=ink)
    draw.rectangle((40, 0, 56, 96), fill=background)
    image.save(path, format="PNG")
    return path


def nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def queue_section(page: Page, heading: str):
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(heading)}\b"))


def sign_up(page: Page, username: str) -> None:
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Tandem")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.test")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)


def fill_muse(page: Page, *, name, pronouns, fandom, bio, colour, avatar: Path) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("A new muse")
    page.get_by_label(re.compile(r"^Name:?$")).fill(name)
    page.get_by_label("Pronouns").fill(pronouns)
    page.get_by_label("Fandom").fill(fandom)
    page.get_by_label("Short bio").fill(bio)
    page.get_by_label("Accent colour").fill(colour)
    page.get_by_label("Avatar").set_input_files(str(avatar))


def expect_muse_profile(page: Page, *, name, pronouns, fandom, writer) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text(f"{name} is ready to write.")).to_be_visible()
    expect(page.get_by_text(f"{pronouns} · {fandom}")).to_be_visible()
    expect(page.get_by_text(f"Written by {writer}")).to_be_visible()
    avatar = page.locator("main .avatar img").first
    expect(avatar).to_have_attribute("src", re.compile(r"^/media/.+\.webp$"))
    assert avatar.evaluate("img => img.complete && img.naturalWidth > 0"), "avatar did not load"


# ---------------------------------------------------------------------------------------
# the story


def test_two_writers_take_turns_in_a_private_thread(
    new_context, page_problems, screenshots_dir, tmp_path
):
    shots = screenshots_dir
    ivy_png = make_avatar(tmp_path / "ivy.png", "#f3d9b1", "#b3261e")
    hale_png = make_avatar(tmp_path / "hale.png", "#cfe3f2", "#1d5c8c")
    a = new_context().new_page()
    b = new_context().new_page()

    # --- A signs up ----------------------------------------------------------------------
    sign_up(a, WRITER_A)
    check_accessibility(a)
    shoot(a, shots, "01-signup")
    a.get_by_role("button", name="Create account").click()
    expect(a).to_have_url(re.compile(r"/muses/new/$"))
    expect(a.get_by_text("Welcome to Tandem! Start by creating your first muse.")).to_be_visible()
    expect(a.locator(".site-account summary")).to_contain_text(WRITER_A)

    # --- A creates Ivy -------------------------------------------------------------------
    fill_muse(
        a,
        name="Ivy",
        pronouns="she/her",
        fandom="Original character",
        bio="runs the coffee cart on the corner of mill & vine. remembers every order; "
        "forgets every name.",
        colour="#b3261e",
        avatar=ivy_png,
    )
    check_accessibility(a)
    shoot(a, shots, "02-muse-form")
    a.get_by_role("button", name="Create muse").click()
    expect(a).to_have_url(re.compile(r"/muses/\d+/$"))
    expect_muse_profile(
        a, name="Ivy", pronouns="she/her", fandom="Original character", writer=WRITER_A
    )
    expect(a.get_by_text("runs the coffee cart on the corner of mill & vine.")).to_be_visible()
    check_accessibility(a)
    shoot(a, shots, "03-muse-profile")

    # --- B signs up and creates Hale -----------------------------------------------------
    sign_up(b, WRITER_B)
    b.get_by_role("button", name="Create account").click()
    expect(b).to_have_url(re.compile(r"/muses/new/$"))
    fill_muse(
        b,
        name="Hale",
        pronouns="he/him",
        fandom="Original character",
        bio="a night-shift nurse who is never, ever late. (he is always late.)",
        colour="#1d5c8c",
        avatar=hale_png,
    )
    b.get_by_role("button", name="Create muse").click()
    expect_muse_profile(
        b, name="Hale", pronouns="he/him", fandom="Original character", writer=WRITER_B
    )

    # --- A starts a private thread -------------------------------------------------------
    a.goto("/t/new/")
    expect(a.get_by_role("heading", level=1)).to_have_text("Start a thread")
    a.get_by_label("Title").fill(THREAD_TITLE)
    a.get_by_label("Summary").fill("a coffee cart, a regular, and a very bad oat latte.")
    a.get_by_label("Rating").select_option(label="General Audiences")
    a.get_by_label("No Archive Warnings Apply").check()
    a.get_by_label("Tags").fill("coffee shop AU, slow burn")
    expect(a.get_by_label("Private — participants only")).to_be_checked()
    expect(a.get_by_label("Ordered — muses post in a set order")).to_be_checked()
    a.get_by_label("Your muse").select_option(label="Ivy")
    check_accessibility(a)
    shoot(a, shots, "04-thread-new")
    a.get_by_role("button", name="Start thread").click()

    # --- ... and invites B on the settings page ------------------------------------------
    expect(a).to_have_url(re.compile(r"/t/[^/]+/settings/$"))
    thread_path = re.sub(r"settings/$", "", urlsplit(a.url).path)
    expect(a.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
    expect(a.get_by_text("Thread started. Invite your partners below.")).to_be_visible()
    a.get_by_label("Writer's username").fill(WRITER_B)
    a.get_by_role("button", name="Send invitation").click()
    expect(a.get_by_text(f"Invited {WRITER_B}.")).to_be_visible()
    invite_card = a.get_by_role("region", name="Invite a writer")
    expect(invite_card.get_by_role("heading", name="Waiting for an answer")).to_be_visible()
    expect(invite_card.get_by_role("listitem")).to_have_count(1)
    expect(invite_card.get_by_role("listitem")).to_contain_text(WRITER_B)
    order = a.get_by_role("region", name="Posting order")
    expect(order.get_by_role("listitem")).to_have_count(1)
    expect(order.get_by_role("listitem")).to_contain_text(f"Ivy ({WRITER_A}) — your turn")
    check_accessibility(a)
    shoot(a, shots, "05-thread-settings-invite")

    # --- B sees the invitation and accepts with Hale -------------------------------------
    b.goto("/")
    expect(b.get_by_role("heading", level=1)).to_have_text("Your queue")
    expect(nav(b).get_by_role("link", name=re.compile(r"^Invites"))).to_have_accessible_name(
        re.compile(r"^Invites\s+1\s+pending$")
    )
    invitations = queue_section(b, "Invitations")
    expect(invitations.get_by_role("listitem")).to_have_count(1)
    expect(invitations.get_by_role("listitem")).to_contain_text(THREAD_TITLE)
    expect(invitations.get_by_role("listitem")).to_contain_text(f"{WRITER_A} invited you")
    check_accessibility(b)
    shoot(b, shots, "06-home-b-invitation")
    invitations.get_by_role("link", name=f"Answer invitation to {THREAD_TITLE}").click()
    expect(b.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
    expect(b.get_by_text(f"{WRITER_A} invited you to write in this thread.")).to_be_visible()
    b.get_by_label("Bring which muse?").select_option(label="Hale")
    check_accessibility(b)
    shoot(b, shots, "07-invitation")
    b.get_by_role("button", name="Accept and join").click()
    expect(b).to_have_url(re.compile(re.escape(thread_path) + r"$"))
    expect(b.get_by_text(f"Hale joined “{THREAD_TITLE}”.")).to_be_visible()
    # Ivy holds the first turn, so B already sees that it is not theirs.
    expect(b.get_by_role("heading", name="Not your turn yet")).to_be_visible()

    # --- A writes the opening post as Ivy ------------------------------------------------
    a.goto(thread_path)
    expect(a.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
    expect(a.get_by_role("status").filter(has_text="Your turn")).to_contain_text("Your turn as Ivy")
    expect(a.get_by_text("No posts yet. Yours will open the story.")).to_be_visible()
    reply = a.get_by_role("region", name="Write your reply")
    expect(reply.get_by_label("Post as")).to_have_value(re.compile(r"\d+"))
    reply.get_by_label("Post as").select_option(label="Ivy")
    reply.get_by_label("Your reply").fill(OPENING_POST)
    check_accessibility(a)
    shoot(a, shots, "08-thread-a-opening-draft")
    reply.get_by_role("button", name="Post reply").click()
    expect(a.get_by_text("Posted as Ivy.")).to_be_visible()
    posts = a.get_by_role("list", name="Posts").get_by_role("listitem")
    expect(posts).to_have_count(1)
    expect(posts.first).to_contain_text("Ivy")
    expect(posts.first).to_contain_text("cinnamon & burnt sugar clinging to everything")
    expect(posts.first).to_contain_text("❛ you're late, ❜ she calls")

    # --- A, out of turn, sees whose turn it is instead of a form -------------------------
    expect(a.get_by_role("heading", name="Not your turn yet")).to_be_visible()
    expect(a.get_by_role("region", name="Not your turn yet")).to_contain_text(
        f"It is Hale’s turn ({WRITER_B})."
    )
    expect(a.get_by_label("Your reply")).to_have_count(0)
    expect(a.get_by_role("button", name="Post reply")).to_have_count(0)
    a.goto(thread_path)  # a fresh load, not just the redirect after posting
    expect(a.get_by_role("heading", name="Not your turn yet")).to_be_visible()
    expect(a.get_by_role("status").filter(has_text="turn")).to_contain_text(
        f"It is Hale’s turn ({WRITER_B})"
    )
    expect(a.locator("main textarea")).to_have_count(0)
    check_accessibility(a)
    shoot(a, shots, "09-thread-a-not-your-turn")

    # --- the queues: A waits on Hale, B's turn -------------------------------------------
    a.goto("/")
    expect(queue_section(a, "Your turn").get_by_role("listitem")).to_have_count(0)
    expect(queue_section(a, "Your turn")).to_contain_text("No thread is waiting on you.")
    waiting = queue_section(a, "Waiting on partners")
    expect(waiting.get_by_role("listitem")).to_have_count(1)
    expect(waiting.get_by_role("listitem")).to_contain_text(THREAD_TITLE)
    expect(waiting.get_by_role("listitem")).to_contain_text(f"Waiting on Hale ({WRITER_B})")
    expect(nav(a).get_by_role("link", name=re.compile(r"^Queue")).locator(".badge")).to_have_count(
        0
    )
    expect(a.get_by_text("Nothing waits on you right now.")).to_be_visible()
    check_accessibility(a)
    shoot(a, shots, "10-home-a-waiting")

    b.goto("/")
    your_turn = queue_section(b, "Your turn")
    expect(your_turn.get_by_role("heading", level=2)).to_have_text(re.compile(r"Your turn\s*1"))
    expect(your_turn.get_by_role("listitem")).to_have_count(1)
    expect(your_turn.get_by_role("listitem")).to_contain_text(THREAD_TITLE)
    expect(your_turn.get_by_role("listitem")).to_contain_text("Your turn as Hale")
    expect(queue_section(b, "Waiting on partners").get_by_role("listitem")).to_have_count(0)
    expect(queue_section(b, "Invitations")).to_have_count(0)
    queue_link = nav(b).get_by_role("link", name=re.compile(r"^Queue"))
    expect(queue_link).to_have_accessible_name(QUEUE_OF_ONE)
    expect(queue_link.locator(".badge")).to_contain_text("1")
    expect(b.get_by_text("1 thread waiting on you.")).to_be_visible()
    check_accessibility(b)
    shoot(b, shots, "11-home-b-your-turn")

    # --- B reads Ivy's post and replies as Hale ------------------------------------------
    your_turn.get_by_role("link", name=THREAD_TITLE).click()
    expect(b.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
    expect(b.get_by_role("list", name="Posts").get_by_role("listitem")).to_have_count(1)
    reply = b.get_by_role("region", name="Write your reply")
    expect(reply).to_be_visible()
    expect(reply.get_by_label("Post as")).to_have_text("Hale")
    reply.get_by_label("Your reply").fill(REPLY_POST)
    check_accessibility(b)
    shoot(b, shots, "12-thread-b-reply-box")
    reply.get_by_role("button", name="Post reply").click()
    expect(b.get_by_text("Posted as Hale.")).to_be_visible()
    posts = b.get_by_role("list", name="Posts").get_by_role("listitem")
    expect(posts).to_have_count(2)
    expect(posts.nth(1)).to_contain_text("Hale")
    expect(posts.nth(1)).to_contain_text("the tram was early & i refused to reward it.")
    expect(b.get_by_role("heading", name="Not your turn yet")).to_be_visible()
    b.goto(thread_path)
    check_accessibility(b)
    shoot(b, shots, "13-thread-two-posts")

    # --- the queues flip -----------------------------------------------------------------
    a.goto("/")
    your_turn = queue_section(a, "Your turn")
    expect(your_turn.get_by_role("listitem")).to_have_count(1)
    expect(your_turn.get_by_role("listitem")).to_contain_text(THREAD_TITLE)
    expect(your_turn.get_by_role("listitem")).to_contain_text("Your turn as Ivy")
    expect(queue_section(a, "Waiting on partners").get_by_role("listitem")).to_have_count(0)
    expect(nav(a).get_by_role("link", name=re.compile(r"^Queue"))).to_have_accessible_name(
        QUEUE_OF_ONE
    )
    check_accessibility(a)
    shoot(a, shots, "14-home-a-your-turn")

    b.goto("/")
    expect(queue_section(b, "Your turn").get_by_role("listitem")).to_have_count(0)
    waiting = queue_section(b, "Waiting on partners")
    expect(waiting.get_by_role("listitem")).to_have_count(1)
    expect(waiting.get_by_role("listitem")).to_contain_text(f"Waiting on Ivy ({WRITER_A})")
    expect(nav(b).get_by_role("link", name=re.compile(r"^Queue")).locator(".badge")).to_have_count(
        0
    )
    check_accessibility(b)
    shoot(b, shots, "15-home-b-waiting")

    # --- a stranger cannot see the private thread ----------------------------------------
    anonymous = new_context().new_page()
    response = anonymous.goto(thread_path)
    assert response is not None and response.status == 404
    expect(anonymous.get_by_role("heading", level=1)).to_have_text("Nothing here")
    expect(anonymous.locator("body")).not_to_contain_text(THREAD_TITLE)
    assert THREAD_TITLE not in anonymous.content()
    check_accessibility(anonymous)
    shoot(anonymous, shots, "16-private-thread-anonymous-404")

    assert page_problems == [], "server errors or console errors during the story"


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/t/public/"])
def test_public_pages_pass_the_basic_accessibility_checks(new_context, page_problems, path):
    page = new_context().new_page()
    response = page.goto(path)
    assert response is not None and response.status == 200
    check_accessibility(page)
    assert page_problems == []
