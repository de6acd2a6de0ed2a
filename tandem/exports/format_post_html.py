"""A post's HTML rewritten for other readers: XHTML for EPUB, simple HTML for archive editors,
and plain text.

Each conversion parses the post's HTML once (lxml, lenient) and walks the tree with the
renderer's own allow-list (``tandem.writing.markup``): an element not on it is unwrapped, its
text kept, and script-like elements are dropped with their content, so whatever reaches an
e-reader or another site is no more than what the reading page shows. Attribute values are
checked again on the way out, so the XHTML stays valid whatever the HTML was.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

import lxml.html

from tandem.exports.format_common import parse_post_html
from tandem.writing.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, SCENE_BREAK_CLASS

__all__ = ["post_html_to_fragment", "post_html_to_text", "post_html_to_xhtml"]

DIALOGUE_CLASS = "dialogue"
#: The plain-text scene break, centred in the reading page's 68-character measure.
TEXT_SCENE_BREAK = "* * *".center(68).rstrip()

_VOID = frozenset({"br", "hr"})
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "object", "noscript", "textarea", "head", "title"}
)
_GLOBAL_ATTRIBUTES = frozenset(ALLOWED_ATTRIBUTES["*"])
_URL_SCHEMES = ("http:", "https:", "mailto:")
_LANGUAGE_TAG = re.compile(r"(?:[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*)?")
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_DIRECTIONS = frozenset({"ltr", "rtl", "auto"})
# Characters a URL may hold as they are; anything else is percent-encoded so the XHTML's
# href is a valid URL (epubcheck rejects spaces and the like).
_URL_SAFE = "!$&'()*+,/:;=?@~-._%"
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _tag(element: lxml.html.HtmlElement) -> str:
    # Comments and processing instructions have a function, not a string, as their tag.
    return element.tag.lower() if isinstance(element.tag, str) else ""


def _checked_href(value: str) -> str | None:
    value = value.strip()
    if not value.lower().startswith(_URL_SCHEMES):
        return None
    value = _STRAY_PERCENT.sub("%25", value)
    address, hash_mark, fragment = value.partition("#")
    return quote(address, safe=_URL_SAFE + "[]") + hash_mark + quote(fragment, safe=_URL_SAFE)


def _checked_attributes(element: lxml.html.HtmlElement, tag: str) -> list[tuple[str, str]]:
    """The element's attributes that the renderer allows, with values that mean something."""
    allowed = _GLOBAL_ATTRIBUTES | ALLOWED_ATTRIBUTES.get(tag, set())
    kept: list[tuple[str, str]] = []
    for name, value in element.attrib.items():
        name = name.lower()
        if name not in allowed:
            continue
        if name == "href":
            value = _checked_href(value)
        elif name == "dir":
            value = value.strip().lower() if value.strip().lower() in _DIRECTIONS else None
        elif name == "lang":
            value = value.strip() if _LANGUAGE_TAG.fullmatch(value.strip()) else None
        elif name == "start":
            value = value.strip() if _INTEGER.fullmatch(value.strip()) else None
        if value is not None:
            kept.append((name, value))
    return kept


def _classes(element: lxml.html.HtmlElement) -> set[str]:
    return set(element.get("class", "").split())


def _attribute_markup(attributes: list[tuple[str, str]]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in attributes)


# ---------------------------------------------------------------------------- XHTML


def _write_xhtml(parent: lxml.html.HtmlElement, out: list[str]) -> None:
    for child in parent:
        tag = _tag(child)
        if tag in ALLOWED_TAGS:
            attributes = _checked_attributes(child, tag)
            if tag == "span" and DIALOGUE_CLASS in _classes(child):
                attributes.append(("class", DIALOGUE_CLASS))
            elif tag == "hr":
                attributes.append(("class", SCENE_BREAK_CLASS))
            if tag in _VOID:
                out.append(f"<{tag}{_attribute_markup(attributes)}/>")
            else:
                out.append(f"<{tag}{_attribute_markup(attributes)}>")
                if child.text:
                    out.append(escape(child.text, quote=False))
                _write_xhtml(child, out)
                out.append(f"</{tag}>")
        elif tag and tag not in _DROPPED_WITH_CONTENT:
            if child.text:
                out.append(escape(child.text, quote=False))
            _write_xhtml(child, out)
        if child.tail:
            out.append(escape(child.tail, quote=False))


def post_html_to_xhtml(html: str) -> str:
    """The post as well-formed XHTML (to go inside an element in the XHTML namespace).

    Void elements are self-closed, every character is written as itself (no named entities)
    and characters XML cannot hold are gone. Dialogue keeps its ``dialogue`` class and scene
    breaks their ``scene-break`` class, for the book's stylesheet.
    """
    root = parse_post_html(html)
    out = [escape(root.text, quote=False)] if root.text else []
    _write_xhtml(root, out)
    return "".join(out)


# ---------------------------------------------------------------------------- archive HTML

# Tags archive editors know better under their modern names.
_FRAGMENT_RENAMES = {"b": "strong", "i": "em"}
FRAGMENT_SCENE_BREAK = '<p style="text-align: center">* * *</p>'


def _write_fragment(parent: lxml.html.HtmlElement, out: list[str], dialogue_colour: str) -> None:
    for child in parent:
        tag = _tag(child)
        if tag == "hr":
            out.append(FRAGMENT_SCENE_BREAK)
        elif tag in ALLOWED_TAGS:
            attributes = _checked_attributes(child, tag)
            if tag == "span" and DIALOGUE_CLASS in _classes(child):
                attributes.append(("style", f"color: {dialogue_colour}"))
            tag = _FRAGMENT_RENAMES.get(tag, tag)
            if tag == "span" and not attributes:
                tag = ""  # a bare span says nothing to an archive editor
            if tag == "br":
                out.append("<br>")
            else:
                out.append(f"<{tag}{_attribute_markup(attributes)}>" if tag else "")
                if child.text:
                    out.append(escape(child.text, quote=False))
                _write_fragment(child, out, dialogue_colour)
                out.append(f"</{tag}>" if tag else "")
        elif tag and tag not in _DROPPED_WITH_CONTENT:
            if child.text:
                out.append(escape(child.text, quote=False))
            _write_fragment(child, out, dialogue_colour)
        if child.tail:
            out.append(escape(child.tail, quote=False))


def post_html_to_fragment(html: str, dialogue_colour: str) -> str:
    """The post as plain HTML for an archive's editor, which keeps tags but strips ``<style>``
    and classes: dialogue gets an inline colour, scene breaks a centred ``* * *``."""
    root = parse_post_html(html)
    out = [escape(root.text, quote=False)] if root.text else []
    _write_fragment(root, out, dialogue_colour)
    return "".join(out)


# ---------------------------------------------------------------------------- plain text

_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "details", "summary"}
    | {"hr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
)
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_SPACES = re.compile(r" {2,}")
_LINE_BREAK = "\n"


def _finish_inline(pieces: list[str]) -> str:
    """Inline text as the page shows it: spaces collapsed, lines trimmed, ``<br>`` kept."""
    lines = "".join(pieces).split(_LINE_BREAK)
    return "\n".join(_SPACES.sub(" ", line).strip(" ") for line in lines).strip("\n")


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join(
        [first + lines[0], *((rest + line) if line else rest.rstrip() for line in lines[1:])]
    )


class _PlainText:
    """Walks a post's tree into blocks of text that are joined by blank lines."""

    def blocks(self, parent: lxml.html.HtmlElement) -> list[str]:
        blocks: list[str] = []
        pieces: list[str] = []

        def flush() -> None:
            text = _finish_inline(pieces)
            pieces.clear()
            if text.strip():
                blocks.append(text)

        if parent.text:
            pieces.append(_HTML_WHITESPACE.sub(" ", parent.text))
        for child in parent:
            tag = _tag(child)
            if tag in _BLOCKS:
                flush()
                blocks.extend(self.block(child, tag))
            elif tag not in _DROPPED_WITH_CONTENT:
                self.inline(child, tag, pieces)
            if child.tail:
                pieces.append(_HTML_WHITESPACE.sub(" ", child.tail))
        flush()
        return blocks

    def block(self, element: lxml.html.HtmlElement, tag: str) -> list[str]:
        if tag == "hr":
            return [TEXT_SCENE_BREAK]
        if tag == "pre":
            text = element.text_content().strip("\n")
            return [text] if text.strip() else []
        if tag == "blockquote":
            quoted = "\n\n".join(self.blocks(element))
            return [_indent(quoted, "> ", "> ")] if quoted else []
        if tag in ("ul", "ol"):
            return self.list_items(element, ordered=tag == "ol")
        if tag == "dd":
            described = "\n\n".join(self.blocks(element))
            return [_indent(described, "    ", "    ")] if described else []
        return self.blocks(element)

    def list_items(self, element: lxml.html.HtmlElement, *, ordered: bool) -> list[str]:
        start = element.get("start", "1").strip()
        number = int(start) if _INTEGER.fullmatch(start) else 1
        items: list[str] = []
        for child in element:
            if _tag(child) != "li":
                continue
            marker = f"{number}. " if ordered else "• "
            number += 1
            text = "\n\n".join(self.blocks(child))
            items.append(_indent(text, marker, " " * len(marker)))
        # One block, so a tight list stays one item per line.
        return ["\n".join(items)] if items else []

    def inline(self, element: lxml.html.HtmlElement, tag: str, pieces: list[str]) -> None:
        if tag == "br":
            pieces.append(_LINE_BREAK)
            return
        if tag == "rp":
            return  # the parentheses are written around <rt> below
        inner: list[str] = []
        if element.text:
            inner.append(_HTML_WHITESPACE.sub(" ", element.text))
        for child in element:
            child_tag = _tag(child)
            if child_tag not in _DROPPED_WITH_CONTENT:
                self.inline(child, child_tag, inner)
            if child.tail:
                inner.append(_HTML_WHITESPACE.sub(" ", child.tail))
        text = "".join(inner)
        if tag == "rt":
            text = f"({text.strip()})"
        elif tag == "a":
            href = element.get("href", "").strip()
            if not href.lower().startswith(_URL_SCHEMES):
                href = ""
            href = href.removeprefix("mailto:")
            if href and href not in text:
                text = f"{text} ({href})"
        pieces.append(text)


def post_html_to_text(html: str) -> str:
    """The post as plain text (see ``tandem.exports.text_export`` for the conventions)."""
    return "\n\n".join(_PlainText().blocks(parse_post_html(html)))
