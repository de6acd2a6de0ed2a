"""Paragraphs as writers mean them, in a real browser: a post pasted with one paragraph per
line reads as separate paragraphs with space between them (preview and reading page alike),
and a poem inside it keeps its lines."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_drafts import open_new_thread
from tests.browser.test_story import shoot
from tests.writing.paragraph_samples import MIXED, PROSE

POST = PROSE["google docs past tense"] + "\n" + MIXED["prose around a poem"][0]
PARAGRAPHS = len(PROSE["google docs past tense"].split("\n")) + 3  # + prose, poem, prose


@pytest.mark.browser
def test_a_pasted_post_of_one_line_paragraphs_reads_as_paragraphs(
    new_context, page_problems, screenshots_dir
):
    page = new_context().new_page()
    open_new_thread(page, "paster")
    page.locator("#id_body").fill(POST)  # as a paste arrives: one event, every line at once
    preview = page.locator("[data-composer-preview]")
    expect(preview.locator("p")).to_have_count(PARAGRAPHS)

    page.get_by_role("button", name="Post reply").click()
    post = page.locator("li.post").filter(has_text="Commander Ilya Reyes")
    expect(post).to_have_count(1)
    paragraphs = post.locator("p")
    expect(paragraphs).to_have_count(PARAGRAPHS)
    # The poem keeps its four lines in one paragraph.
    poem = paragraphs.filter(has_text="roses are overrated")
    expect(poem.locator("br")).to_have_count(3)
    # Paragraphs are set apart: a visible gap between one and the next.
    gaps = page.evaluate(
        """(post) => {
            const ps = [...post.querySelectorAll("p")];
            return ps.slice(1).map((p, i) =>
                p.getBoundingClientRect().top - ps[i].getBoundingClientRect().bottom);
        }""",
        post.element_handle(),
    )
    assert len(gaps) == PARAGRAPHS - 1 and min(gaps) >= 8, gaps
    post.scroll_into_view_if_needed()
    shoot(page, screenshots_dir, "99-paragraphs-pasted")
    # The formatting help says how to get either form.
    page.get_by_text("Formatting help").click()
    help_table = page.get_by_role("table", name="Formatting you can use")
    expect(help_table).to_contain_text("always a new paragraph")
    expect(help_table).to_contain_text("always a line break")
    help_table.screenshot(path=str(screenshots_dir / "99-paragraphs-help.png"))
    assert page_problems == []
