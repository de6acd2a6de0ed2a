"""Single-file HTML export, and the plain fragment for pasting into an archive's editor.

``export_html`` writes one self-contained page: no external stylesheet, script, font or
image, so it opens the same offline, years later. It is styled like the reading page (serif
text in a 68-character measure, a card per post with a left border in the muse's accent
colour, dialogue in the muse's colour for light and for dark schemes) and has landmarks: a
header with the title, facts and summary, a table of contents, a ``main`` with one
``article`` per post labelled by its heading, and a footer.

Post bodies are the renderer's sanitised HTML, inserted as they are; every other piece of
writers' text (title, names, tags, summary) is escaped here.

``export_html_fragment`` gives only the posts, in the simple HTML archive editors accept:
no classes and no ``<style>``, dialogue coloured with an inline ``style`` (the light-scheme
colour, as archives are read on light pages), scene breaks as a centred ``* * *``, posts
separated by ``<hr>``.
"""

from __future__ import annotations

from html import escape

from tandem.exports.document import PostInfo, ThreadDocument
from tandem.exports.format_common import (
    MuseStyle,
    human_date,
    iso_utc,
    metadata_rows,
    muse_name,
    muse_styles,
    one_line,
    post_byline,
    summary_paragraphs,
    thread_title,
    word_count_label,
    writer_name,
)
from tandem.exports.format_post_html import post_html_to_fragment

__all__ = ["export_html", "export_html_fragment"]

# The table of contents starts open for a short thread; a long one would push the story down.
_TOC_OPEN_UP_TO = 60

# The reading page's palette (tandem.css), written out for each scheme because a file opened
# from disk cannot rely on light-dark() being supported.
_STYLESHEET = """
:root {
  color-scheme: light dark;
  --paper: #fbf8f4; --card: #ffffff; --ink: #1f1b24; --muted: #5b5466; --line: #e4dde8;
  --link: #5a2375;
  --serif: "Iowan Old Style", "Palatino Linotype", Palatino, Georgia, "DejaVu Serif", serif;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --paper: #17141b; --card: #211d27; --ink: #eee9f2; --muted: #b7aec2; --line: #3a3342;
    --link: #d9b8ec; }
}
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink); font: 16px/1.55 var(--sans); }
.page { max-width: 50rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
a { color: var(--link); text-underline-offset: .15em; }
h1, h2 { font-family: var(--serif); font-weight: 600; line-height: 1.2; }
h1 { font-size: clamp(1.6rem, 4vw, 2.2rem); margin: 0 0 .75rem; }
.thread-head { border-bottom: 1px solid var(--line); padding-bottom: 1rem; margin-bottom: 1.5rem; }
.thread-meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem;
  margin: 0 0 1rem; color: var(--muted); font-size: .92rem; }
.thread-meta dt { font-weight: 600; }
.thread-meta dd { margin: 0; }
.summary { font-family: var(--serif); font-size: 1.1rem; line-height: 1.6; max-width: 68ch; }
.toc { margin: 1rem 0 0; }
.toc summary { cursor: pointer; font-weight: 600; }
.toc ol { list-style: none; padding: 0; margin: .5rem 0 0; columns: 16rem; font-size: .95rem; }
.toc li { break-inside: avoid; }
.post { background: var(--card); border: 1px solid var(--line);
  border-left: 4px solid var(--accent, var(--line)); border-radius: 10px; margin: 0 0 1.5rem;
  overflow-wrap: anywhere; }
.post__head { padding: .85rem 1.1rem; border-bottom: 1px solid var(--line); }
.post__head h2 { margin: 0; font-size: 1.15rem; }
.post__number { color: var(--muted); font-weight: 400; }
.post__info { margin: .15rem 0 0; color: var(--muted); font-size: .85rem; }
.post__body { font-family: var(--serif); font-size: 1.1rem; line-height: 1.75; max-width: 68ch;
  padding: .5rem 1.1rem 1rem; }
.post__body p { margin: .9rem 0; }
.post__body small { font-size: .8em; }
.post__body blockquote { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid var(--line); }
.post__body hr.scene-break { border: 0; height: auto; margin: 1.6rem 0; text-align: center; }
.post__body hr.scene-break::after { content: "\\2042"; color: var(--muted); font-size: 1.2rem; }
.post__body pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.post__body :is(ul, ol) { padding-left: 1.4rem; }
.post__body details { border: 1px solid var(--line); border-radius: 8px; padding: .4rem .8rem; }
.dialogue { color: var(--dialogue, currentColor); }
.page-foot { color: var(--muted); font-size: .88rem; }
@media print {
  .post { border-color: #999; break-inside: auto; }
  .toc { display: none; }
}
""".strip()


def _muse_rules(styles: dict[str, MuseStyle]) -> str:
    # Colours come from MuseStyle, which only lets "#rrggbb" through: safe inside CSS.
    light = [
        f".{s.css_class} {{ --accent: {s.accent}; --dialogue: {s.light}; }}"
        for s in styles.values()
    ]
    dark = [f"  .{s.css_class} {{ --dialogue: {s.dark}; }}" for s in styles.values()]
    if not styles:
        return ""
    return "\n".join([*light, "@media (prefers-color-scheme: dark) {", *dark, "}"])


def _summary_html(doc: ThreadDocument) -> str:
    paragraphs = "".join(
        "<p>" + "<br>\n".join(escape(line) for line in paragraph.split("\n")) + "</p>\n"
        for paragraph in summary_paragraphs(doc)
    )
    return f'<div class="summary">\n{paragraphs}</div>\n' if paragraphs else ""


def _post_info_html(post: PostInfo) -> str:
    """The byline of ``post_byline`` with the dates marked up as ``<time>``."""
    parts = [
        f'posted <time datetime="{iso_utc(post.created_at)}">{human_date(post.created_at)}</time>'
        f" by {escape(writer_name(post.muse.writer))}"
    ]
    if post.edited_at is not None:
        edited = human_date(post.edited_at)
        parts.append(f'edited <time datetime="{iso_utc(post.edited_at)}">{edited}</time>')
    parts.append(word_count_label(post.word_count))
    return " · ".join(parts)


def _table_of_contents(doc: ThreadDocument) -> str:
    if not doc.posts:
        return ""
    opened = " open" if len(doc.posts) <= _TOC_OPEN_UP_TO else ""
    count = f"{len(doc.posts):,} post" + ("" if len(doc.posts) == 1 else "s")
    items = "".join(
        f'<li><a href="#post-{post.number}">{post.number}. {escape(muse_name(post.muse))}</a></li>\n'
        for post in doc.posts
    )
    return (
        '<nav class="toc" aria-labelledby="toc-title">\n'
        f'<details{opened}><summary id="toc-title">Contents ({count})</summary>\n'
        f"<ol>\n{items}</ol>\n</details>\n</nav>\n"
    )


def _article(post: PostInfo, style: MuseStyle) -> str:
    anchor = f"post-{post.number}"
    return (
        f'<article class="post {style.css_class}" id="{anchor}" aria-labelledby="{anchor}-title">\n'
        '<header class="post__head">\n'
        f'<h2 id="{anchor}-title"><span class="post__number">{post.number}.</span> '
        f"{escape(muse_name(post.muse))}</h2>\n"
        f'<p class="post__info">{_post_info_html(post)}</p>\n'
        "</header>\n"
        f'<div class="post__body" dir="auto">\n{post.html}\n</div>\n'
        "</article>\n"
    )


def export_html(doc: ThreadDocument) -> str:
    """The whole thread as one self-contained HTML page."""
    styles = muse_styles(doc)
    title = escape(thread_title(doc))
    facts = "".join(
        f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>\n"
        for label, value in metadata_rows(doc)
    )
    if doc.posts:
        articles = "".join(_article(post, styles[post.muse.key]) for post in doc.posts)
    else:
        articles = "<p>No posts yet.</p>\n"
    source = ""
    if one_line(doc.url):
        url = escape(one_line(doc.url))
        source = f' Read it on Tandem at <a href="{url}">{url}</a>.'
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="Tandem">\n'
        f"<title>{title}</title>\n"
        f"<style>\n{_STYLESHEET}\n{_muse_rules(styles)}\n</style>\n"
        '</head>\n<body>\n<div class="page">\n'
        f'<header class="thread-head">\n<h1>{title}</h1>\n'
        f'<dl class="thread-meta">\n{facts}</dl>\n'
        f"{_summary_html(doc)}"
        f"{_table_of_contents(doc)}</header>\n"
        f'<main id="posts">\n{articles}</main>\n'
        '<footer class="page-foot">\n'
        f"<p>Exported from Tandem.{source}</p>\n"
        "</footer>\n</div>\n</body>\n</html>\n"
    )


def export_html_fragment(doc: ThreadDocument) -> str:
    """Only the posts, as simple HTML to paste into an archive's editor (see the module doc)."""
    styles = muse_styles(doc)
    posts = []
    for post in doc.posts:
        colour = styles[post.muse.key].light
        posts.append(
            f'<p><strong style="color: {colour}">{post.number}. {escape(muse_name(post.muse))}'
            f"</strong><br>\n<small>{escape(post_byline(post))}</small></p>\n"
            f"{post_html_to_fragment(post.html, colour)}\n"
        )
    return "<hr>\n".join(posts)
