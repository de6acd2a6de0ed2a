"""HTML from Tumblr, Google Docs, AO3 or a forum, as the Markdown-ish text the splitter reads.

``html_to_text(html)`` returns the text and warnings about what was left out. Pure: no
Django, no database, no network.

How it works, in order:

1. **Parsing** is lxml's (libxml2's) HTML parser, which tokenises as browsers do and builds
   a tree however broken the markup. It never loads a DTD, an external entity or anything
   else over the network, and ``huge_tree`` stays off, so libxml2's resource limits hold:
   a document nested more than 256 elements deep, or with a run of over 10 MB of text
   without a tag, is read up to that point and the writer is warned. A few rewrites come
   first, where libxml2 and browsers disagree (see ``_prepare``).
2. **Styles.** Google Docs marks bold and italic with CSS, in ``.class`` rules in a
   ``<style>`` block and in ``style`` attributes; tinycss2 parses both, and only the
   handful of properties that mean bold, italic, underline, strike-through, superscript or
   subscript are read.
3. **The walk** goes through the tree once, without recursion, turning text into tokens;
   block elements end a paragraph, inline ones open and close formatting.
4. **Rendering** (``_render_paragraph``) turns each paragraph's tokens into text: markers
   nest, empty ones vanish, and spaces move outside them, as Markdown needs.

Bounded work: the parser, the walk and the rendering are linear in the size of the input,
and hostile markup (runs of ``<!--``, ``</``, ``<a b='``…) stays linear too; see the tests.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import tinycss2
from lxml import etree

__all__ = ["html_to_text"]

_NEWLINES = re.compile(r"\r\n?")

_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "center", "dd"),
        *("details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure"),
        *("footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "legend"),
        *("li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table"),
        *("tbody", "td", "tfoot", "th", "thead", "tr", "ul", "listing", "xmp"),
    }
)
_PREFORMATTED = frozenset({"pre", "listing", "xmp"})
_VOID = frozenset(
    {
        *("area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link"),
        *("meta", "param", "source", "track", "wbr", "frame", "basefont", "isindex"),
    }
)
# Neither blocks nor formatting, only containers. The <head> is walked like the rest: its
# title, styles and scripts are dropped, but libxml2 leaves in it whatever follows them up to
# the first tag it knows belongs in a body, where a browser shows it.
_DOCUMENT = frozenset({"html", "head", "body"})
# Dropped with everything inside them.
_DROPPED = frozenset(
    {
        *("script", "style", "iframe", "object", "embed", "form", "svg", "math", "select"),
        *("button", "textarea", "input", "video", "audio", "canvas", "template", "title"),
        *("noscript", "noembed", "noframes", "applet", "frameset", "frame", "map"),
    }
)
# Removals worth telling the writer about, except in a page's own <head>, where every page
# has some. (libxml2 also puts a paste's leading <style> or <script> in a <head> of its own
# making; those are reported.)
_REPORTED = ("script", "style", "iframe", "object", "embed", "form", "applet")

# Inline formatting: Markdown emphasis for bold and italic, plain tags the post renderer
# allows for the rest. The order is the nesting order when one element brings several.
_EFFECT_MARKUP = {
    "bold": ("**", "**"),
    "italic": ("*", "*"),
    "u": ("<u>", "</u>"),
    "s": ("<s>", "</s>"),
    "del": ("<del>", "</del>"),
    "ins": ("<ins>", "</ins>"),
    "small": ("<small>", "</small>"),
    "sup": ("<sup>", "</sup>"),
    "sub": ("<sub>", "</sub>"),
    "code": ("<code>", "</code>"),
    "q": ("<q>", "</q>"),
}
_EFFECT_ORDER = tuple(_EFFECT_MARKUP)
_TAG_EFFECTS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "cite": "italic",
    "dfn": "italic",
    "var": "italic",
    "u": "u",
    "ins": "ins",
    "s": "s",
    "strike": "s",
    "del": "del",
    "small": "small",
    "sup": "sup",
    "sub": "sub",
    "code": "code",
    "tt": "code",
    "kbd": "code",
    "samp": "code",
    "q": "q",
}
_LINK = "link"
_LINK_SCHEMES = ("http://", "https://", "mailto:")

_HTML_WHITESPACE = re.compile(r"[ \t\n\f\r\xa0]+")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MANY_SPACES = re.compile(r" {2,}")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_QUOTE_MARKER = re.compile(r"^>", re.MULTILINE)
_URL_UNSAFE = re.compile(r"[\x00-\x20()<>\x7f]")
_BROWSER_STRIPPED = re.compile(r"[\t\n\r]")


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Paragraphs of Markdown-ish text from HTML, and warnings about what was removed.

    Block elements become paragraphs separated by blank lines (each blockquote level too,
    so a reblog chain reads as its posts in order); ``<br>`` a line break; ``<hr>`` a ``---``
    line. Bold and italic become ``**…**`` and ``*…*``, including the CSS kind Google Docs
    writes (inline ``font-weight``/``font-style`` or ``.class`` rules in its stylesheet,
    and its ``<b style="font-weight:normal">`` wrapper counts as not bold). Underline,
    strike-through, small, superscript, subscript, code and ``<q>`` stay as attribute-free
    tags the post renderer allows. Links become ``[text](href)`` for http(s) and mailto,
    plain text otherwise; images their alt text in brackets. Scripts, styles, frames,
    objects, forms and comments go with everything inside them, and no attribute survives.
    A ``<`` in the text is written ``&lt;`` so the renderer cannot take it for a tag.
    """
    root, warnings = _parse(_prepare(_NEWLINES.sub("\n", html)))
    if root is None:
        return "", warnings
    converter = _Converter(_stylesheet_rules(root))
    converter.walk(root, report_head=_HEAD_TAG.search(html) is None)
    text, removed = converter.finish()
    return text, removed + warnings


# ---------------------------------------------------------------------------- parsing

# Where libxml2 builds a different tree from a browser's, the markup is adjusted first:
# - it ends an open <b>, <i>, <u>, <s>, <small>, <font> (and a few older tags) when a <p>
#   starts, where browsers carry the formatting into the paragraph. Under a name libxml2
#   does not know they nest as in a browser; the walk reads them under their own names.
# - it ignores "</br>" and a "</p>" with no paragraph open; browsers make them a line break
#   and an empty paragraph. ("</p><p></p>" is that empty paragraph when none is open, and
#   adds nothing when one is.)
# - it stops reading at </body> or </html>; a browser shows what follows them.
_RENAMED = "tandem-"
_DISAGREEMENTS = re.compile(
    r"<(/?)(b|i|u|s|strike|big|tt|small|font|br|p)(?=[\t\n\f\r />])", re.IGNORECASE
)
_DOCUMENT_END = re.compile(r"</(?:body|html)[^>]*>", re.IGNORECASE)
_HEAD_TAG = re.compile(r"<head[\t\n\f\r />]", re.IGNORECASE)


def _prepare(html: str) -> str:
    """The document with the rewrites above, and a tag cut off by its end made text."""

    def rewrite(match: re.Match[str]) -> str:
        closing, name = match.groups()
        name = name.lower()
        if name == "br":
            return "<br"
        if name == "p":
            return "</p><p></p" if closing else "<p"
        return f"<{closing}{_RENAMED}{name}"

    html = _DOCUMENT_END.sub("", _DISAGREEMENTS.sub(rewrite, html))
    # Past the last ">" nothing can be a tag. A browser shows a tag cut off by the end of
    # the file as text; libxml2 would drop it, and the writer's words with it.
    last_gt = html.rfind(">")
    if "<" in html[last_gt + 1 :]:
        html = html[: last_gt + 1] + html[last_gt + 1 :].replace("<", "&lt;")
    return html


def _restore_names(text: str) -> str:
    """Text (or an attribute) as written, where ``_prepare`` renamed a tag inside it."""
    return text.replace(f"<{_RENAMED}", "<").replace(f"</{_RENAMED}", "</")


def _parse(html: str) -> tuple[etree._Element | None, list[str]]:
    # A parser per call: lxml parsers keep state (the error log) and are not shared safely
    # between threads. The text is already decoded, so the parser is told it is UTF-8: lxml
    # refuses a str that starts with an XML declaration, and must not obey a <meta charset>.
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    try:
        root = etree.fromstring(html.encode("utf-8", "replace"), parser)
    except etree.ParserError:  # nothing but whitespace and comments
        return None, []
    warnings = []
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        warnings.append(
            "Only the start of this page was read: it is nested more than 256 levels deep "
            "or has over 10 MB of text without a tag. Split it into smaller files."
        )
    return root, warnings


# ---------------------------------------------------------------------------- CSS

_SKIP = {"skip_comments": True, "skip_whitespace": True}
_READ_PROPERTIES = frozenset(
    {"font-weight", "font-style", "text-decoration", "text-decoration-line", "vertical-align"}
)
# (property, its keywords in order): "font-weight: 700 !important" is ("font-weight", ["700"]).
_Declaration = tuple[str, list[str]]


def _declarations(css: str | list) -> list[_Declaration]:
    """The properties Tandem reads from a ``style`` attribute or a rule's body."""
    declarations = []
    for item in tinycss2.parse_blocks_contents(css, **_SKIP):
        if item.type == "declaration" and item.lower_name in _READ_PROPERTIES:
            declarations.append((item.lower_name, _keywords(item.value)))
    return declarations


def _keywords(tokens: Iterable) -> list[str]:
    # Only top-level words and whole numbers: every property read here is made of them,
    # and never looking inside nested blocks keeps hostile CSS from recursing.
    words = []
    for token in tokens:
        if token.type == "ident":
            words.append(token.lower_value)
        elif token.type == "number" and token.is_integer:
            words.append(str(token.int_value))
    return words


def _stylesheet_rules(root: etree._Element) -> dict[str, list[_Declaration]]:
    """Declarations of simple ``.class`` and ``tag.class`` rules in the page's ``<style>``
    blocks, as Google Docs and Word write them; other selectors are ignored."""
    rules: dict[str, list[_Declaration]] = {}
    for style in root.iter("style"):
        pending = [(tinycss2.parse_stylesheet(style.text or "", **_SKIP), 0)]
        while pending:
            items, depth = pending.pop()
            for rule in items:
                if rule.type == "qualified-rule":
                    declarations = _declarations(rule.content)
                    for class_name in _class_selectors(rule.prelude) if declarations else ():
                        rules.setdefault(class_name, []).extend(declarations)
                # Rules inside "@media print { … }" count too, a few levels deep at most.
                elif rule.type == "at-rule" and rule.content is not None and depth < 3:
                    pending.append((tinycss2.parse_rule_list(rule.content, **_SKIP), depth + 1))
    return rules


def _class_selectors(prelude: list) -> list[str]:
    """The class names of the selectors ``.name`` and ``tag.name`` in a selector list."""
    names, selector = [], []
    for token in [*prelude, None]:  # None ends the last selector
        if token is not None and not (token.type == "literal" and token.value == ","):
            selector.append(token)
            continue
        while selector and selector[0].type == "whitespace":
            selector.pop(0)
        while selector and selector[-1].type == "whitespace":
            selector.pop()
        if selector and selector[0].type == "ident":
            selector.pop(0)
        if (
            len(selector) == 2
            and selector[0].type == "literal"
            and selector[0].value == "."
            and selector[1].type == "ident"
        ):
            names.append(selector[1].value)
        selector = []
    return names


def _apply_css(declarations: list[_Declaration], wanted: set[str]) -> None:
    """Add and remove effects as the declarations say, later ones winning."""
    for name, words in declarations:
        first = words[0] if words else ""
        if name == "font-weight":
            if first in ("bold", "bolder") or (first.isdigit() and int(first) >= 600):
                wanted.add("bold")
            elif first in ("normal", "lighter") or first.isdigit():
                wanted.discard("bold")
        elif name == "font-style":
            if first in ("italic", "oblique"):
                wanted.add("italic")
            elif first == "normal":
                wanted.discard("italic")
        elif name in ("text-decoration", "text-decoration-line"):
            if "underline" in words:
                wanted.add("u")
            if "line-through" in words:
                wanted.add("s")
            if first == "none":
                wanted.difference_update(("u", "s"))
        elif name == "vertical-align":
            if first == "super":
                wanted.add("sup")
            elif first == "sub":
                wanted.add("sub")


# ---------------------------------------------------------------------------- the walk

# (kind, text or opening markup, effect, closing markup); see _render_paragraph.
_Token = tuple[str, str, str, str]
_LINE_BREAK: _Token = ("N", "", "", "")


class _Converter:
    """Paragraphs from one pass over the tree: text becomes tokens, a block element ends
    the paragraph, an inline element opens formatting at its start and closes it at its end.
    """

    def __init__(self, class_rules: dict[str, list[_Declaration]]) -> None:
        self.class_rules = class_rules
        self.blocks: list[str] = []
        self.tokens: list[_Token] = []
        # No formatting or line break in the paragraph so far: it renders by joining.
        self.plain = True
        self.preformatted = 0
        self.paragraph_preformatted = False
        # The effects each open inline element brought, outermost first.
        self.inline: list[list[str]] = []
        self.active: set[str] = set()
        self.link_target = ""
        self.removed: Counter[str] = Counter()
        self.images = 0

    def walk(self, root: etree._Element, *, report_head: bool) -> None:
        # iterwalk, not recursion: however deep the tree, Python's stack is not. It yields
        # elements only, which is why comments and processing instructions, whose tails
        # would be skipped, are removed while parsing.
        events = etree.iterwalk(root, events=("start", "end"))
        in_head = False
        for event, element in events:
            tag = element.tag.removeprefix(_RENAMED)
            if tag == "head":
                in_head = event == "start"
            if event == "start":
                if tag in _DROPPED:
                    if tag in _REPORTED and (report_head or not in_head):
                        self.removed[tag] += 1
                    # libxml2 makes the text after an <embed> its content; that text stays.
                    if tag not in _VOID:
                        events.skip_subtree()
                        continue
                self._start(tag, element)
                if element.text:
                    self._text(element.text)
            else:
                if tag not in _DROPPED:
                    self._end(tag)
                if element.tail:
                    self._text(element.tail)

    def _start(self, tag: str, element: etree._Element) -> None:
        if tag in _DOCUMENT:
            pass
        elif tag in _BLOCKS:
            self._end_paragraph()
            if tag in _PREFORMATTED:
                self.preformatted += 1
                self.paragraph_preformatted = True
        elif tag == "br":
            self.tokens.append(_LINE_BREAK)
            self.plain = False
        elif tag == "hr":
            self._end_paragraph()
            self.blocks.append("---")
        elif tag == "img":
            self._image(_restore_names(element.get("alt", "")))
        elif tag not in _VOID:
            self._open_inline(tag, element)

    def _end(self, tag: str) -> None:
        if tag in _DOCUMENT:
            pass
        elif tag in _BLOCKS:
            if tag in _PREFORMATTED:
                self.preformatted -= 1
            self._end_paragraph()
        elif tag not in _VOID:
            # The tree nests properly, so the element ending is the innermost one open.
            for effect in reversed(self.inline.pop()):
                self.active.discard(effect)
                self.tokens.append(("C", "", effect, ""))

    def _text(self, data: str) -> None:
        if _RENAMED in data:
            data = _restore_names(data)
        # Inside <pre> spaces and newlines are the author's; elsewhere they are layout.
        text = data.replace("\xa0", " ") if self.preformatted else _HTML_WHITESPACE.sub(" ", data)
        if text:
            self.tokens.append(("T", _escape_text(text), "", ""))

    def _open_inline(self, tag: str, element: etree._Element) -> None:
        effect = _TAG_EFFECTS.get(tag)
        wanted = {effect} if effect else set()
        declarations = []
        for class_name in element.get("class", "").split():
            declarations.extend(self.class_rules.get(class_name, ()))
        if element.get("style"):
            declarations.extend(_declarations(element.get("style")))
        _apply_css(declarations, wanted)
        effects = [effect for effect in _EFFECT_ORDER if effect in wanted - self.active]
        if tag == "a" and _LINK not in self.active:
            href = _link_target(_restore_names(element.get("href", "")))
            if href:
                effects.insert(0, _LINK)
                self.link_target = href
        for effect in effects:
            self.active.add(effect)
            self.tokens.append(self._opening(effect))
            self.plain = False
        self.inline.append(effects)

    def _opening(self, effect: str) -> _Token:
        if effect == _LINK:
            return ("O", "[", effect, f"]({self.link_target})")
        opening, closing = _EFFECT_MARKUP[effect]
        return ("O", opening, effect, closing)

    def _image(self, alt: str) -> None:
        self.images += 1
        alt = _HTML_WHITESPACE.sub(" ", alt).strip()
        if alt:
            alt = _escape_text(alt)
            self.tokens.append(("T", alt if _LINK in self.active else f"[{alt}]", "", ""))

    def _end_paragraph(self) -> None:
        if self.tokens:
            if self.plain and not self.paragraph_preformatted:
                text = _finish_lines("".join([token[1] for token in self.tokens]))
            else:
                text = _render_paragraph(self.tokens, preformatted=self.paragraph_preformatted)
            if text:
                self.blocks.append(text)
            # Formatting still open carries on into the next paragraph, as in a browser.
            self.tokens = [self._opening(effect) for effects in self.inline for effect in effects]
            self.plain = not self.tokens
        self.paragraph_preformatted = self.preformatted > 0

    def finish(self) -> tuple[str, list[str]]:
        self._end_paragraph()
        warnings = []
        for tag in _REPORTED:
            count = self.removed[tag]
            if count:
                warnings.append(f"Removed {count} {tag} element{'' if count == 1 else 's'}.")
        if self.images:
            some = "an image" if self.images == 1 else f"{self.images} images"
            warnings.append(f"Left out {some}; descriptions (alt text) are kept in brackets.")
        return "\n\n".join(self.blocks), warnings


def _escape_text(text: str) -> str:
    if "&" in text:
        text = _ENTITY_LIKE.sub("&amp;", text)
    return text.replace("<", "&lt;") if "<" in text else text


def _link_target(href: str) -> str:
    # Browsers ignore tabs and newlines inside URLs and spaces around them, so
    # "java\nscript:" is still a javascript: link; check what a browser would follow.
    href = _BROWSER_STRIPPED.sub("", href).strip(" \x00\x0b\x0c")
    if not href.lower().startswith(_LINK_SCHEMES):
        return ""
    return _URL_UNSAFE.sub(lambda match: f"%{ord(match.group()):02X}", href)


# ---------------------------------------------------------------------------- rendering


def _render_paragraph(tokens: list[_Token], *, preformatted: bool) -> str:
    """One paragraph's text from its tokens: text (T), line breaks (N) and formatting that
    opens (O, with its opening and closing markup) and closes (C).

    The tokens nest properly (they come from a tree), so each closing marker closes the
    innermost one open. An opening marker with nothing before its closing one disappears,
    and spaces and line breaks move outside the markers, because ``** bold **`` is not
    bold in Markdown.
    """
    out: list[tuple[str, str, str]] = []  # (kind, text, effect)
    open_effects: list[str] = []
    markup: dict[str, tuple[str, str]] = {}
    in_link = False

    def close() -> None:
        nonlocal in_link
        moved_out = []
        while out:
            kind, text, _ = out[-1]
            if kind == "N":
                moved_out.append(out.pop())
            elif kind == "T" and not preformatted and text.endswith(" "):
                out.pop()
                if text.rstrip(" "):
                    out.append(("T", text.rstrip(" "), ""))
                moved_out.append(("T", " ", ""))
            else:
                break
        effect = open_effects.pop()
        if effect == _LINK:
            in_link = False
        if out and out[-1][0] == "O" and out[-1][2] == effect:
            out.pop()
        else:
            out.append(("C", markup[effect][1], effect))
        out.extend(reversed(moved_out))

    def add_leading_whitespace(item: tuple[str, str, str]) -> None:
        # Whitespace right after opening markers belongs before them.
        position = len(out)
        while position and out[position - 1][0] == "O":
            position -= 1
        out.insert(position, item)

    for kind, text, effect, closing in tokens:
        if kind == "T":
            if in_link:
                text = text.replace("[", "\\[").replace("]", "\\]")
            if not preformatted and text.startswith(" ") and out and out[-1][0] == "O":
                add_leading_whitespace(("T", " ", ""))
                text = text[1:]
            if text:
                out.append(("T", text, ""))
        elif kind == "N":
            if len(out) >= 2 and out[-1][0] == "N" and out[-2][0] == "N":
                continue  # more than one blank line says nothing more
            add_leading_whitespace(("N", "\n", ""))
        elif kind == "O":
            markup[effect] = (text, closing)
            out.append(("O", text, effect))
            open_effects.append(effect)
            in_link = in_link or effect == _LINK
        else:
            close()
    while open_effects:
        close()

    joined = "".join([text for _, text, _ in out])
    if preformatted:
        lines = [line.rstrip() for line in joined.split("\n")]
        joined = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip("\n")
        return joined if joined.strip() else ""
    return _finish_lines(joined)


def _finish_lines(text: str) -> str:
    """Spaces collapsed, lines trimmed, at most one blank line in a row."""
    text = _MANY_SPACES.sub(" ", text)
    if "\n" in text:
        lines = [line.strip() for line in text.split("\n")]
        text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip("\n")
    else:
        text = text.strip()
    # A ">" starting a line would make it a Markdown blockquote.
    if ">" in text:
        text = _QUOTE_MARKER.sub("&gt;", text)
    return text
