"""Bringing a thread in and taking it out again, in a real browser."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tandem.muses.character_files import CharacterRecord, card_png, read_card_png
from tests.browser.test_story import check_accessibility, shoot, sign_up

PASTED_THREAD = """wren had been standing under the station clock for twenty minutes & the rain had \
found every gap in her coat. she checked the board again. delayed. of course it was delayed.

❛ you look like a drowned cat, ❜ someone said behind her.

---

cass did not wait for an answer. she shook out her umbrella — the enormous, ridiculous \
yellow one — and held it over both of them, which meant holding it mostly over wren.

she had meant to be early. she was never early.

---

wren looked up at the yellow canopy, then at cass, and tried very hard not to smile. \
❛ you're late. ❜

---

cass shrugged. ❛ the train's later. ❜ she nodded at the board, where the word DELAYED \
blinked on and off like it was enjoying itself.
"""


@pytest.mark.browser
def test_paste_correct_import_and_download_every_format(
    new_context, page_problems, screenshots_dir, tmp_path
):
    page = new_context().new_page()
    sign_up(page, "porter")
    page.get_by_role("button", name="Create account").click()
    for name, colour in (("Wren", "#2e7d32"), ("Cass", "#8e24aa")):
        page.goto("/muses/new/")
        page.get_by_label(re.compile(r"^Name:?$")).fill(name)
        page.get_by_label("Accent colour").fill(colour)
        page.get_by_role("button", name="Create muse").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)

    # --- paste ---------------------------------------------------------------------------
    page.locator(".site-account summary").click()
    page.get_by_role("link", name="Import a thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a thread")
    page.get_by_label("Title").fill("Under the station clock")
    page.get_by_label("Paste the thread").fill(PASTED_THREAD)
    page.get_by_label("Wren", exact=True).check()
    page.get_by_label("Cass", exact=True).check()
    check_accessibility(page)
    shoot(page, screenshots_dir, "33-import-paste")
    page.get_by_role("button", name="Propose the split").click()

    # --- the proposal: four posts, each with a muse ---------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    posts = page.locator(".import-post")
    expect(posts).to_have_count(4)
    expected = ["Wren", "Cass", "Wren", "Cass"]
    for index, name in enumerate(expected):
        expect(page.get_by_label(f"Whose is post {index + 1}?")).to_have_value(re.compile(r"\d+"))
        selected = page.get_by_label(f"Whose is post {index + 1}?").evaluate(
            "s => s.options[s.selectedIndex].text"
        )
        assert selected.startswith(name), (index, selected)
    check_accessibility(page)
    shoot(page, screenshots_dir, "34-import-review")

    # --- correct one attribution, merge two posts (HTMX), then import ---------------------
    page.get_by_label("Whose is post 4?").select_option(label="Wren (porter)")
    page.get_by_role("button", name="Merge into post 1").click()
    expect(posts).to_have_count(3)
    expect(page.get_by_label("Text of post 1")).to_have_value(re.compile("yellow one"))
    # The correction made before the merge survived it (it is now post 3).
    selected = page.get_by_label("Whose is post 3?").evaluate(
        "s => s.options[s.selectedIndex].text"
    )
    assert selected.startswith("Wren"), selected
    page.get_by_role("button", name="Import 3 posts").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Under the station clock")
    expect(page.get_by_text("Imported 3 posts into “Under the station clock”.")).to_be_visible()
    story = page.get_by_role("list", name="Posts").get_by_role("listitem")
    expect(story).to_have_count(3)
    expect(story.nth(0)).to_contain_text("drowned cat")
    expect(story.nth(0)).to_contain_text("yellow one")
    expect(story.nth(2)).to_contain_text("Wren")
    expect(story.nth(2)).to_contain_text("the train's later")

    # --- download every format -------------------------------------------------------------
    page.locator("summary", has_text="Download").click()
    shoot(page, screenshots_dir, "35-imported-thread-download")
    downloads = {}
    for fmt in ("epub", "html", "archive", "md", "txt", "json"):
        page.get_by_label("Format", exact=True).select_option(fmt)
        with page.expect_download() as info:
            page.get_by_role("button", name="Download", exact=True).click()
        download = info.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        downloads[fmt] = target
    assert downloads["epub"].name.endswith(".epub")
    with zipfile.ZipFile(io.BytesIO(downloads["epub"].read_bytes())) as book:
        assert book.read("mimetype") == b"application/epub+zip"
    for fmt in ("html", "md", "txt", "json"):
        text = downloads[fmt].read_text(encoding="utf-8")
        assert "Under the station clock" in text, fmt
        assert "drowned cat" in text, fmt
    assert "<script" not in downloads["html"].read_text(encoding="utf-8")
    archive_html = downloads["archive"].read_text(encoding="utf-8")
    assert "drowned cat" in archive_html and "<style" not in archive_html

    # --- characters in from a card, and out again -------------------------------------------
    card = tmp_path / "odette.png"
    card.write_bytes(card_png(CharacterRecord(name="Odette", nicknames=["dette"]), None))
    page.goto("/muses/")
    page.get_by_role("link", name="Import characters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import characters")
    page.get_by_label("Character file").set_input_files(str(card))
    check_accessibility(page)
    shoot(page, screenshots_dir, "36-muse-import")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 1 muse(s): Odette.")).to_be_visible()
    page.get_by_role("link", name="Odette").first.click()
    expect(page.get_by_text("Also called dette")).to_be_visible()
    page.get_by_text("Character card").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="PNG card (V2 + V3)").click()
    card_out = tmp_path / info.value.suggested_filename
    info.value.save_as(card_out)
    assert read_card_png(card_out.read_bytes())["data"]["name"] == "Odette"

    # --- the whole account as a backup ------------------------------------------------------
    page.locator(".site-account summary").click()
    page.get_by_role("link", name="Back up my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back up your account")
    check_accessibility(page)
    shoot(page, screenshots_dir, "37-backup")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download my backup").click()
    backup = tmp_path / info.value.suggested_filename
    info.value.save_as(backup)
    with zipfile.ZipFile(backup) as archive:
        assert "manifest.json" in archive.namelist()

    assert page_problems == [], "server errors or console errors during import and export"
