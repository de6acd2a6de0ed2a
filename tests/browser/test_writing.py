"""Writing like an RP writer, in a real browser: every construct, preview, draft, edit, diff,
dark mode and OOC talk."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

EVERY_CONSTRUCT = (
    "marguerite set the lantern down — carefully, *so carefully* — & counted the steps "
    "back to the door.\n"
    "one. two. **three.**\n\n"
    '❛ you kept it, ❜ she said. “all these years.” "of course," came the answer, '
    "« quietly », 「 almost a whisper 」.\n\n"
    "she didn't laugh. 'cause it wasn't funny — not even a little —— not  r e a l l y. "
    "it was THE WORST thing he could have said.\n\n"
    "---\n\n"
    '<small>(somewhere, a kettle started to sing.)</small> <abbr title="out of character">ooc</abbr>: '
    "sorry this is short!! <marquee>no scrolling</marquee>\n\n"
    "> a letter, folded twice:\n> *come home.*"
)


@pytest.mark.browser
def test_a_post_with_every_construct_from_draft_to_dark_mode(
    new_context, page_problems, screenshots_dir
):
    page = new_context().new_page()
    sign_up(page, "quill")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Marguerite")
    page.get_by_label("Accent colour").fill("#c2185b")
    page.get_by_role("button", name="Create muse").click()
    page.goto("/t/new/")
    page.get_by_label("Title").fill("The lantern keeper")
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()

    # --- compose with every construct: live preview and word count ------------------------
    body = page.locator("#id_body")
    body.fill(EVERY_CONSTRUCT)
    preview = page.locator("#preview-reply")
    expect(preview.locator("hr.scene-break")).to_have_count(1)
    expect(preview.locator(".dialogue").first).to_be_visible()
    expect(preview.locator("em").first).to_have_text("so carefully")
    expect(preview.locator("strong")).to_have_text("three.")
    expect(preview.locator("small")).to_contain_text("a kettle started to sing")
    expect(preview.locator("blockquote")).to_contain_text("come home.")
    expect(preview).to_contain_text("<marquee>no scrolling</marquee>")
    expect(preview.locator("marquee")).to_have_count(0)
    expect(page.locator("#word-count-reply")).to_have_text(re.compile(r"^\d+ words$"))
    expect(page.get_by_text(re.compile(r"^Saved at"))).to_be_visible(timeout=15_000)
    shoot(page, screenshots_dir, "20-composer-preview")

    # --- reload mid-draft: the text comes back --------------------------------------------
    page.reload()
    expect(page.locator("#id_body")).to_have_value(EVERY_CONSTRUCT)
    expect(page.get_by_text(re.compile(r"^Draft restored"))).to_be_visible()

    # --- post with the keyboard shortcut ----------------------------------------------------
    page.locator("#id_body").press("Control+Enter")
    expect(page).to_have_url(re.compile(r"#post-1$"))
    post = page.locator("#post-1")
    expect(post.locator(".dialogue").first).to_be_visible()
    expect(post.locator("hr.scene-break")).to_have_count(1)
    expect(post).to_contain_text("<marquee>no scrolling</marquee>")
    dialogue_colour = post.locator(".dialogue").first.evaluate("e => getComputedStyle(e).color")
    ink = post.locator(".post__body p").first.evaluate("e => getComputedStyle(e).color")
    assert dialogue_colour != ink, "dialogue should be in the muse's colour"
    check_accessibility(page)
    shoot(page, screenshots_dir, "21-post-every-construct")

    # --- edit, then compare revisions -------------------------------------------------------
    post.get_by_role("link", name=re.compile("^Edit")).click()
    edited = EVERY_CONSTRUCT.replace("counted the steps", "counted the long steps")
    page.locator("#id_body").fill(edited)
    expect(page.locator("#preview-edit")).to_contain_text("counted the long steps")
    page.get_by_role("button", name="Save").click()
    page.locator("#post-1").get_by_role("link", name="edited").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revisions of post #1")
    expect(page.locator(".diff ins")).to_contain_text("long")
    shoot(page, screenshots_dir, "22-revisions-diff")

    # --- switch to dark mode, remembered ----------------------------------------------------
    page.goto(page.url.split("/posts/")[0] + "/")
    page.locator(".reading-prefs summary").click()
    page.get_by_label("Theme").select_option("dark")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 20, 27)"
    dark_dialogue = page.locator("#post-1 .dialogue").first.evaluate(
        "e => getComputedStyle(e).color"
    )
    assert dark_dialogue != dialogue_colour, "dark mode uses a lighter dialogue colour"
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    shoot(page, screenshots_dir, "23-thread-dark")

    # --- OOC talk beside the story ----------------------------------------------------------
    page.get_by_role("link", name=re.compile("^OOC talk")).click()
    page.get_by_label("Out of character").fill("plotting: the kettle is a clue!!")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".ooc")).to_contain_text("plotting: the kettle is a clue!!")
    shoot(page, screenshots_dir, "24-ooc-dark")
    assert page_problems == []


BAD_POSTS = [
    "<b><i><u>" * 50 + "all markup, never closed",
    ">" * 10_000 + " the bottom of the well",
    "<blockquote>" * 10_000 + "deeper still",
    "❛",
    "mixed: שלום עולם and hello, then مرحبا — ❛ كيف حالك ❜ she asked.",
    "zero\u200bwidth\u200d joiners\ufeff everywhere\u200c.",
    "longwordwithoutanybreak" * 400,
]


@pytest.mark.browser
def test_hostile_posts_keep_the_page_layout(new_context, page_problems, screenshots_dir):
    """Unclosed tags, 10,000 nested quotes, a lone ❛, RTL and zero-width text: each posts
    without an error and nothing spills out of the post box or the phone screen."""
    page = new_context().new_page()
    sign_up(page, "stress")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Edge")
    page.get_by_role("button", name="Create muse").click()
    page.goto("/t/new/")
    page.get_by_label("Title").fill("Edge cases")
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()
    for number, body in enumerate(BAD_POSTS, start=1):
        page.locator("#id_body").fill(body)
        page.get_by_role("button", name="Post reply").click()
        expect(page).to_have_url(re.compile(rf"#post-{number}$"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.url.split("#")[0].split("?")[0] + "?page=last")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    spill = page.evaluate(
        """() => [...document.querySelectorAll('.post')].filter(post => {
             const box = post.getBoundingClientRect();
             return [...post.querySelectorAll('.post__body *')].some(e => {
               const r = e.getBoundingClientRect();
               return r.width && (r.right > box.right + 1 || r.left < box.left - 1);
             });
           }).map(post => post.id)"""
    )
    assert spill == []
    shoot(page, screenshots_dir, "25-hostile-posts")
    assert page_problems == []
