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
   **HTML** goes through ``html_to_text`` (``tandem.imports.html_text``), re-exported here.

Bounded work: every stage is linear in the size of the input, the HTML conversion included
(see ``tandem.imports.html_text``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from tandem.imports.html_text import html_to_text

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
