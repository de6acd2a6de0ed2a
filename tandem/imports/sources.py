"""Turning an uploaded or pasted file into plain text for the thread splitter.

``read_source(data, filename=..., format=...)`` is pure: bytes in, a :class:`SourceText` out,
or a :class:`SourceError` whose message is a sentence a writer can act on. Nothing here
touches Django, the database or the network.

Steps, in order:

1. **Size and emptiness.** More than ``MAX_IMPORT_BYTES`` is refused before anything else
   looks at the bytes; an empty or whitespace-only file is refused too.
2. **Binary files.** Known signatures (PNG, JPEG, GIF, WebP, PDF, ZIP and the word-processor
   and e-book formats built on it, gzip, ELF, 7-Zip, RAR, old Word, RTF), NUL bytes outside
   UTF-16/UTF-32 text, or a high share of control characters after decoding.
3. **Decoding** (``decode_text``), first fit wins: a byte-order mark (UTF-8, UTF-32, UTF-16);
   UTF-16 without a mark when every other byte is NUL; UTF-8; the charset an HTML file
   declares in its first 4 KB; Windows-1252. Latin-1 is never tried: Windows-1252 already
   accepts every Latin-1 text without C1 control bytes, and Latin-1 itself accepts any bytes
   at all, so it would hide a wrong guess. Anything but UTF-8 or an encoding a byte-order
   mark named adds a warning naming the encoding used.
4. **Format.** The file extension decides (.txt, .md, .markdown, .html, .htm…); without one,
   block-level HTML near the start (``<html``, ``<p>``, ``<br>``, ``<div>``…) means HTML.
   Inline tags alone (``<i>``, ``<b>``) do not: writers type those in plain-text posts.
5. **Text and Markdown** pass through with newlines made ``\\n`` and trailing spaces removed.
   **HTML** goes through ``html_to_text`` (see there).

Python's ``html.parser`` is quadratic on some malformed input (runs of ``<!--`` or
unterminated tags) and can even raise on odd ``<![`` declarations, so the HTML is first
re-tokenised by a linear pass (``_normalise_markup``) that hands the parser only well-formed
tags, with every attribute Tandem does not read already gone.

Bounded work: every stage is linear in the size of the input. Measured on this project's
shared 2-core development machine: 10 MB of prose HTML (a tag every few hundred bytes)
converts in about 2 s, Google Docs HTML in about 4 s, and a pathological 10 MB file with a
tag every 17 bytes in about 8 s, over half of it inside ``html.parser``. Hostile markup
(runs of ``<!--``, ``</``, ``<a b='``…) stays linear too; see the tests.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = [
    "MAX_IMPORT_BYTES",
    "SourceError",
    "SourceText",
    "check_size",
    "decode_text",
    "html_to_text",
    "read_source",
]

MAX_IMPORT_BYTES = 10 * 1024 * 1024

FORMATS = ("text", "md", "html")
_EXTENSION_FORMATS = {
    "txt": "text",
    "text": "text",
    "md": "md",
    "markdown": "md",
    "mdown": "md",
    "mkd": "md",
    "html": "html",
    "htm": "html",
    "xhtml": "html",
}
# A share of control characters above this after decoding means the file is not text.
_MAX_CONTROL_SHARE = 0.05


class SourceError(ValueError):
    """A file that cannot be imported; the message is a sentence for the writer."""


@dataclass(frozen=True)
class SourceText:
    text: str
    format: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def read_source(data: bytes, *, filename: str = "", format: str = "auto") -> SourceText:
    """The text of an uploaded or pasted file, ready for the splitter."""
    if format not in ("auto", *FORMATS):
        raise ValueError(f"Unknown import format {format!r}.")
    check_size(len(data))
    if not data.strip():
        raise SourceError("The file is empty.")
    _refuse_known_binary(data, filename)
    text, encoding = decode_text(data)
    warnings = []
    # A byte-order mark says what the encoding is; anything else was a guess worth flagging.
    if encoding not in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        warnings.append(
            _ENCODING_WARNINGS.get(
                encoding, f"Decoded as {encoding}, the character set the file declares."
            )
        )
    _refuse_control_characters(text)
    text = _NEWLINES.sub("\n", text)
    if not text.strip():
        raise SourceError("The file is empty.")
    if format == "auto":
        format = _format_from_name(filename) or _sniff_format(text)
    if format == "html":
        text, html_warnings = html_to_text(text)
        warnings.extend(html_warnings)
        if not text.strip():
            raise SourceError("The file has no text in it once the HTML markup is set aside.")
    else:
        text = _TRAILING_SPACE.sub("", text)
        text = from_tandem_markdown(text) or text
    return SourceText(text=text, format=format, encoding=encoding, warnings=warnings)


# ---------------------------------------------------------------------------- our own exports

_TANDEM_MD_MUSES = re.compile(r"^- \*\*Muses:\*\* ", re.MULTILINE)
_TANDEM_MD_HEADING = re.compile(r"^## \d+\. (?P<name>.+?)[ \t]*$")
_TANDEM_MD_POSTED = re.compile(r"^\*posted (?P<date>\d{1,2} [A-Za-z]+ \d{4})\b.*\*$")


def from_tandem_markdown(text: str) -> str | None:
    """A Markdown export of Tandem's own, rewritten as a paste the splitter reads exactly:
    the title block goes, each ``## 3. Ivy`` heading becomes an ``**Ivy**`` header and its
    "posted …" line a ``Date:`` line. None for any other text."""
    if not text.startswith("# ") or not _TANDEM_MD_MUSES.search(text):
        return None
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _TANDEM_MD_HEADING.match(line)), None)
    if start is None:
        return None
    out = []
    for line in lines[start:]:
        heading = _TANDEM_MD_HEADING.match(line)
        posted = _TANDEM_MD_POSTED.match(line)
        if heading:
            out.append(f"**{heading['name']}**")
        elif posted:
            out.append(f"Date: {posted['date']}")
        else:
            out.append(line)
    return "\n".join(out)


def check_size(size: int) -> None:
    """Refuse a file over the import limit, saying both sizes; before reading it, if possible."""
    if size > MAX_IMPORT_BYTES:
        raise SourceError(
            f"The file is {_megabytes(size)}; imports are limited to "
            f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB."
        )


def _megabytes(size: int) -> str:
    shown = f"{size / (1024 * 1024):.1f}"
    # "10.0 MB; imports are limited to 10 MB" would read as a contradiction.
    if float(shown) * 1024 * 1024 <= MAX_IMPORT_BYTES < size:
        return f"{size:,} bytes"
    return f"{shown} MB"


# ---------------------------------------------------------------------------- binary files

_SAVE_AS_TEXT = (
    "Open it in your word processor and save it as plain text (.txt) or a web page (.html), "
    "then import that file."
)
_TEXT_ONLY = "Tandem imports plain text (.txt), Markdown (.md) and web pages (.html)."

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "program (ELF)"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _refuse_known_binary(data: bytes, filename: str) -> None:
    head = data[:64]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if head.startswith(_ZIP_SIGNATURES):
        if b"word/document.xml" in data or extension == "docx":
            raise SourceError(f"This looks like a Word document (DOCX), not text. {_SAVE_AS_TEXT}")
        if b"opendocument.text" in head or extension == "odt":
            raise SourceError(
                f"This looks like an OpenDocument text file (ODT), not text. {_SAVE_AS_TEXT}"
            )
        if b"epub+zip" in head or extension == "epub":
            raise SourceError(f"This looks like an e-book (EPUB), not text. {_TEXT_ONLY}")
        raise SourceError(f"This looks like a binary file (ZIP archive), not text. {_TEXT_ONLY}")
    if head.startswith(_OLE_SIGNATURE):
        raise SourceError(
            f"This looks like an older Word or Office document (DOC), not text. {_SAVE_AS_TEXT}"
        )
    if head.startswith(b"{\\rtf"):
        raise SourceError(f"This looks like a Rich Text Format document (RTF). {_SAVE_AS_TEXT}")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise SourceError(f"This looks like a binary file (WebP image), not text. {_TEXT_ONLY}")
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            raise SourceError(f"This looks like a binary file ({kind}), not text. {_TEXT_ONLY}")


# Every C0 control but tab, newline, vertical tab, form feed and carriage return, plus DEL and
# the C1 controls.
_CONTROL_CHARACTERS = dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def _refuse_control_characters(text: str) -> None:
    controls = len(text) - len(text.translate(_CONTROL_CHARACTERS))
    if "\x00" in text or controls > len(text) * _MAX_CONTROL_SHARE:
        raise SourceError(f"This looks like a binary file, not text. {_TEXT_ONLY}")


# ---------------------------------------------------------------------------- decoding

_BOMS = (
    # UTF-32 LE before UTF-16 LE: its mark starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_WARNINGS = {
    "cp1252": (
        "Decoded as Windows-1252 because the file is not valid UTF-8; check that accented "
        "letters, curly quotes and dashes look right."
    ),
    "utf-16-le": "Decoded as UTF-16 (little-endian) without a byte-order mark.",
    "utf-16-be": "Decoded as UTF-16 (big-endian) without a byte-order mark.",
}
# Legacy encodings a web page may declare, by Python codec name. Only these are honoured:
# Python also has codecs such as raw_unicode_escape or idna that no page means.
_DECLARABLE_ENCODINGS = frozenset(
    {
        *("shift_jis", "euc_jp", "iso2022_jp", "cp932", "gbk", "gb2312", "gb18030", "big5"),
        *("big5hkscs", "euc_kr", "cp949", "koi8_r", "koi8_u", "cp866", "cp874", "tis_620"),
        *("cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258"),
        *(f"iso8859_{number}" for number in (2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)),
        "mac_roman",
    }
)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of the bytes and the name of the encoding that read them."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise SourceError(
                    f"The file starts with a {encoding.upper()} byte-order mark but byte "
                    f"{error.start:,} is not valid {encoding.upper()}; save it as UTF-8 and "
                    "try again."
                ) from error
    unmarked_utf16 = _guess_unmarked_utf16(data)
    if unmarked_utf16:
        try:
            return data.decode(unmarked_utf16), unmarked_utf16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise SourceError(f"This looks like a binary file, not text. {_TEXT_ONLY}")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    declared = _declared_charset(data)
    if declared in _DECLARABLE_ENCODINGS:
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    bad_byte = data[utf8_error.start]
    raise SourceError(
        f"Byte 0x{bad_byte:02x} at position {utf8_error.start:,} is not valid UTF-8, and the "
        "file is not Windows-1252 either; save it as UTF-8 and try again."
    )


def _guess_unmarked_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: text in Latin script has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    pairs = len(sample) // 2
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls > pairs * 0.3 and even_nuls < pairs * 0.05:
        return "utf-16-le"
    if even_nuls > pairs * 0.3 and odd_nuls < pairs * 0.05:
        return "utf-16-be"
    return None


def _declared_charset(data: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(data[:4096])
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name.replace("-", "_")
    except LookupError:
        return None


# ---------------------------------------------------------------------------- format

_NEWLINES = re.compile(r"\r\n?")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_HTML_SNIFF = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|p|div|br|hr|table|tr|td|h[1-6]|blockquote|ul|ol|li)"
    r"[\s/>]",
    re.IGNORECASE,
)


def _format_from_name(filename: str) -> str | None:
    if "." not in filename:
        return None
    return _EXTENSION_FORMATS.get(filename.rsplit(".", 1)[1].lower())


def _sniff_format(text: str) -> str:
    return "html" if _HTML_SNIFF.search(text, 0, 65536) else "text"


# ---------------------------------------------------------------------------- HTML → text

# Attributes the converter reads; every other one (event handlers included) never reaches it.
_KEPT_ATTRIBUTES = frozenset({"href", "alt", "style", "class"})
_START_TAG = re.compile(
    r"<([a-zA-Z][^\t\n\f\r />]*+)((?:=[\t\n\f\r ]*+(?:\"[^\"]*+\"|'[^']*+')|[^>])*+)>"
)
_END_TAG = re.compile(r"</([a-zA-Z][^\t\n\f\r />]*+)[^>]*+>")
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />="'][^\t\n\f\r />=]*+)"""
    r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+("[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+))?"""
)
_TAG_NAME = re.compile(r"[a-z][a-z0-9:_.-]*")
# Elements whose content is raw text up to their end tag; only <xmp> shows it.
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "iframe", "noembed", "noframes", "noscript", "xmp"}
)
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _RAW_TEXT}


def _normalise_markup(html: str) -> str:
    """The same document, re-tokenised so ``html.parser`` sees nothing it handles slowly.

    Comments, doctypes, processing instructions and CDATA sections are removed; a ``<`` that
    does not start a tag is escaped; tags are rewritten with only the attributes the
    converter reads; raw-text elements are emptied (a stylesheet keeps its rules). A tag cut
    off by the end of the file is, as in a browser, the end of the markup: what follows is
    kept as text. Every search either consumes what it scanned or ends the pass, so the
    whole pass is linear.
    """
    out: list[str] = []
    position, length = 0, len(html)
    # Past the last ">" nothing can be a tag: knowing it keeps failed searches from
    # rescanning the rest of the document at every "<".
    last_gt = html.rfind(">")
    comments_closed = True  # until a "<!--" is found with no "-->" after it
    while position < length:
        lt = html.find("<", position)
        if lt < 0:
            out.append(html[position:])
            break
        out.append(html[position:lt])
        following = html[lt + 1 : lt + 2]
        if lt > last_gt:
            out.append(html[lt:].replace("<", "&lt;"))
            break
        if following.isascii() and following.isalpha():
            match = _START_TAG.match(html, lt)
            if match is None:
                out.append(html[lt:].replace("<", "&lt;"))
                break
            name = match.group(1).lower()
            position = match.end()
            if not (name.isalnum() or _TAG_NAME.fullmatch(name)):
                continue
            out.append(_rewrite_start_tag(name, match.group(2)))
            if name in _RAW_TEXT:
                end = _RAW_TEXT_END[name].search(html, position)
                content = html[position : end.start() if end else length]
                if name == "style":
                    out.append(content.replace("<", " "))
                elif name == "xmp":  # shown by browsers as preformatted text, as written
                    out.append(content.replace("&", "&amp;").replace("<", "&lt;"))
                out.append(f"</{name}>")
                if end is None:
                    break
                closing = html.find(">", end.end() - 1)
                position = length if closing < 0 else closing + 1
            continue
        if following == "/":
            match = _END_TAG.match(html, lt)
            if match is not None:
                name = match.group(1).lower()
                if name.isalnum() or _TAG_NAME.fullmatch(name):
                    out.append(f"</{name}>")
                position = match.end()
                continue
        if html.startswith("<!--", lt) and comments_closed:
            end = html.find("-->", lt + 4)
            if end >= 0:
                position = end + 3
                continue
            comments_closed = False
        elif following in ("!", "?", "/"):
            # Doctypes, CDATA, processing instructions and "</3>" are bogus comments to ">".
            end = html.find(">", lt + 2)
            if end >= 0:
                position = end + 1
                continue
        out.append("&lt;")
        position = lt + 1
    return "".join(out)


def _rewrite_start_tag(name: str, attributes: str) -> str:
    lowered = attributes.lower()
    if not any(attribute in lowered for attribute in _KEPT_ATTRIBUTES):
        return f"<{name}>"
    kept = []
    for match in _ATTRIBUTE.finditer(attributes):
        attribute = match.group(1).lower()
        if attribute not in _KEPT_ATTRIBUTES:
            continue
        value = match.group(2) or ""
        if value[:1] in ("'", '"') and len(value) >= 2 and value[-1] == value[0]:
            value = value[1:-1]
        value = value.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
        kept.append(f' {attribute}="{value}"')
    return f"<{name}{''.join(kept)}>"


_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "center", "dd"),
        *("details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure"),
        *("footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "html", "legend"),
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
# Dropped with everything inside them (raw-text elements are emptied before parsing).
_DROPPED = frozenset(
    {
        *("script", "style", "iframe", "object", "embed", "form", "svg", "math", "select"),
        *("button", "textarea", "input", "video", "audio", "canvas", "template", "title"),
        *("noscript", "noembed", "noframes", "applet", "frameset", "frame", "map", "head"),
    }
)
# Removals worth telling the writer about.
_REPORTED = ("script", "style", "iframe", "object", "embed", "form", "applet")
_HEAD_CONTENT = frozenset({"style", "title", "meta", "link", "base"})

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
    converter = _Converter()
    converter.feed(_normalise_markup(_NEWLINES.sub("\n", html)))
    converter.close()
    return converter.finish()


# (kind, text or opening markup, effect, closing markup); see _render_paragraph.
_Token = tuple[str, str, str, str]
_LINE_BREAK: _Token = ("N", "", "", "")


@dataclass
class _Element:
    tag: str
    effects: list[str]


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.tokens: list[_Token] = []
        # No formatting or line break in the paragraph so far: it renders by joining.
        self.plain = True
        self.preformatted = 0
        self.paragraph_preformatted = False
        self.skipping: list[str] = []
        self.skipping_count: dict[str, int] = {}
        self.inline: list[_Element] = []
        self.inline_count: dict[str, int] = {}
        self.block_marks: list[tuple[str, int]] = []
        self.block_count: dict[str, int] = {}
        self.active: set[str] = set()
        self.link_target = ""
        self.class_rules: dict[str, list[tuple[str, str]]] = {}
        self.stylesheet: list[str] | None = None
        self.removed: Counter[str] = Counter()
        self.images = 0

    # ---------------------------------------------------------------- parser callbacks

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self.stylesheet = []
        if self.skipping:
            if tag not in _VOID:
                self.skipping.append(tag)
                self.skipping_count[tag] = self.skipping_count.get(tag, 0) + 1
            return
        if tag in _BLOCKS:
            self._end_paragraph()
            if tag in _PREFORMATTED:
                self.preformatted += 1
                self.paragraph_preformatted = True
            self.block_marks.append((tag, len(self.inline)))
            self.block_count[tag] = self.block_count.get(tag, 0) + 1
        elif tag == "br":
            self.tokens.append(_LINE_BREAK)
            self.plain = False
        elif tag in _DROPPED:
            if tag in _REPORTED:
                self.removed[tag] += 1
            if tag not in _VOID:
                self.skipping.append(tag)
                self.skipping_count[tag] = self.skipping_count.get(tag, 0) + 1
        elif tag == "hr":
            self._end_paragraph()
            self.blocks.append("---")
        elif tag == "img":
            self._image(next((value or "" for name, value in attrs if name == "alt"), ""))
        elif tag not in _VOID:
            self._open_inline(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self.stylesheet is not None:
            self.class_rules.update(_class_rules("".join(self.stylesheet)))
            self.stylesheet = None
        if self.skipping:
            if self.skipping_count.get(tag):
                while True:
                    closed = self.skipping.pop()
                    self.skipping_count[closed] -= 1
                    if closed == tag:
                        break
            return
        if tag in _BLOCKS:
            if self.block_count.get(tag):
                while True:
                    closed, inline_depth = self.block_marks.pop()
                    self.block_count[closed] -= 1
                    self._close_inline_to(inline_depth)
                    if closed in _PREFORMATTED:
                        self.preformatted -= 1
                    if closed == tag:
                        break
            self._end_paragraph()
        elif self.inline_count.get(tag):
            depth = len(self.inline)
            while self.inline[depth - 1].tag != tag:
                depth -= 1
            self._close_inline_to(depth - 1)
        elif tag == "br":  # "</br>" is a line break in every browser
            self.tokens.append(_LINE_BREAK)
            self.plain = False

    def handle_data(self, data: str) -> None:
        if self.stylesheet is not None:
            self.stylesheet.append(data)
            return
        if self.skipping:
            return
        # Inside <pre> spaces and newlines are the author's; elsewhere they are layout.
        text = data.replace("\xa0", " ") if self.preformatted else _HTML_WHITESPACE.sub(" ", data)
        if text:
            self.tokens.append(("T", _escape_text(text), "", ""))

    # ---------------------------------------------------------------- inline elements

    def _open_inline(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        effect = _TAG_EFFECTS.get(tag)
        if attrs:
            wanted = {effect} if effect else set()
            declarations = []
            for name, value in attrs:
                if name == "class" and value:
                    for class_name in value.split():
                        declarations.extend(self.class_rules.get(class_name, ()))
            for name, value in attrs:
                if name == "style" and value:
                    declarations.extend(_declarations(value))
            _apply_css(declarations, wanted)
            effects = [effect for effect in _EFFECT_ORDER if effect in wanted - self.active]
            if tag == "a" and _LINK not in self.active:
                href = _link_target(
                    next((value or "" for name, value in attrs if name == "href"), "")
                )
                if href:
                    effects.insert(0, _LINK)
                    self.link_target = href
        else:
            effects = [effect] if effect and effect not in self.active else []
        for effect in effects:
            self.active.add(effect)
            self.tokens.append(self._opening(effect))
            self.plain = False
        self.inline.append(_Element(tag, effects))
        self.inline_count[tag] = self.inline_count.get(tag, 0) + 1

    def _close_inline_to(self, depth: int) -> None:
        while len(self.inline) > depth:
            element = self.inline.pop()
            self.inline_count[element.tag] -= 1
            for effect in reversed(element.effects):
                self.active.discard(effect)
                self.tokens.append(("C", "", effect, ""))

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

    # ---------------------------------------------------------------- paragraphs

    def _end_paragraph(self) -> None:
        if self.tokens:
            if self.plain and not self.paragraph_preformatted:
                text = _finish_lines("".join([token[1] for token in self.tokens]))
            else:
                text = _render_paragraph(self.tokens, preformatted=self.paragraph_preformatted)
            if text:
                self.blocks.append(text)
            # Formatting still open carries on into the next paragraph, as in a browser.
            self.tokens = [
                self._opening(effect) for element in self.inline for effect in element.effects
            ]
            self.plain = not self.tokens
        self.paragraph_preformatted = self.preformatted > 0

    def finish(self) -> tuple[str, list[str]]:
        self._close_inline_to(0)
        self._end_paragraph()
        text = "\n\n".join(self.blocks)
        warnings = []
        for tag in _REPORTED:
            count = self.removed[tag]
            if count:
                warnings.append(f"Removed {count} {tag} element{'' if count == 1 else 's'}.")
        if self.images:
            some = "an image" if self.images == 1 else f"{self.images} images"
            warnings.append(f"Left out {some}; descriptions (alt text) are kept in brackets.")
        return text, warnings


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


# ---------------------------------------------------------------------------- CSS

_CLASS_SELECTOR = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9]*)?\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
_READ_PROPERTIES = frozenset(
    {"font-weight", "font-style", "text-decoration", "text-decoration-line", "vertical-align"}
)


def _declarations(style: str) -> list[tuple[str, str]]:
    declarations = []
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name = name.strip().lower()
        if name in _READ_PROPERTIES:
            value = value.lower().replace("!important", "").strip()
            declarations.append((name, value))
    return declarations


def _class_rules(css: str) -> dict[str, list[tuple[str, str]]]:
    """Declarations of simple ``.class`` and ``tag.class`` rules, as Google Docs and Word
    write them; other selectors are ignored."""
    uncommented, position = [], 0
    while True:
        start = css.find("/*", position)
        if start < 0:
            uncommented.append(css[position:])
            break
        uncommented.append(css[position:start])
        end = css.find("*/", start + 2)
        if end < 0:
            break
        position = end + 2
    rules: dict[str, list[tuple[str, str]]] = {}
    for rule in "".join(uncommented).split("}"):
        selectors, brace, body = rule.rpartition("{")
        if not brace:
            continue
        declarations = _declarations(body)
        if not declarations:
            continue
        # After "@media x {" only the innermost selector list is this rule's.
        for selector in selectors.rsplit("{", 1)[-1].split(","):
            match = _CLASS_SELECTOR.fullmatch(selector.strip())
            if match:
                rules.setdefault(match.group(1), []).extend(declarations)
    return rules


def _apply_css(declarations: list[tuple[str, str]], wanted: set[str]) -> None:
    for name, value in declarations:
        if name == "font-weight":
            if value in ("bold", "bolder") or (value.isdigit() and int(value) >= 600):
                wanted.add("bold")
            elif value in ("normal", "lighter") or value.isdigit():
                wanted.discard("bold")
        elif name == "font-style":
            if value.startswith(("italic", "oblique")):
                wanted.add("italic")
            elif value == "normal":
                wanted.discard("italic")
        elif name in ("text-decoration", "text-decoration-line"):
            if "underline" in value:
                wanted.add("u")
            if "line-through" in value:
                wanted.add("s")
            if value.startswith("none"):
                wanted.difference_update(("u", "s"))
        elif name == "vertical-align":
            if value == "super":
                wanted.add("sup")
            elif value == "sub":
                wanted.add("sub")


# ---------------------------------------------------------------------------- rendering


def _render_paragraph(tokens: list[_Token], *, preformatted: bool) -> str:
    """One paragraph's text from its tokens: text (T), line breaks (N) and formatting that
    opens (O, with its opening and closing markup) and closes (C).

    Markers are made to nest properly (closing an outer one closes and reopens the inner
    ones), an opening marker with nothing before its closing one disappears, and spaces and
    line breaks move outside the markers, because ``** bold **`` is not bold in Markdown.
    """
    out: list[tuple[str, str, str]] = []  # (kind, text, effect)
    open_effects: list[str] = []
    markup: dict[str, tuple[str, str]] = {}
    in_link = False

    def open_marker(effect: str) -> None:
        nonlocal in_link
        out.append(("O", markup[effect][0], effect))
        open_effects.append(effect)
        in_link = in_link or effect == _LINK

    def close_marker(effect: str) -> None:
        nonlocal in_link
        if effect == _LINK:
            in_link = False
        if out and out[-1][0] == "O" and out[-1][2] == effect:
            out.pop()
        else:
            out.append(("C", markup[effect][1], effect))

    def close(effect: str) -> None:
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
        reopen = []
        while open_effects[-1] != effect:
            inner = open_effects.pop()
            close_marker(inner)
            reopen.append(inner)
        open_effects.pop()
        close_marker(effect)
        for inner in reversed(reopen):
            open_marker(inner)
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
            if effect not in open_effects:
                markup[effect] = (text, closing)
                open_marker(effect)
        elif effect in open_effects:
            close(effect)
    while open_effects:
        close(open_effects[-1])

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
