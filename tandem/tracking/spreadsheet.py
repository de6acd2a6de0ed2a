"""Tracker spreadsheets in and out: reading a CSV, mapping its columns, writing ours. Pure:
no database here (the services turn rows into tracked threads).

Rules, in order:

1. A file is UTF-8 (a byte-order mark is fine), at most ``MAX_BYTES`` and ``MAX_ROWS`` data
   rows; anything else is refused whole with a sentence saying why, before any row is read.
   Commas, semicolons and tabs are all understood as separators.
2. The first row is the header. A header holding every column of the Tumblr thread tracker
   (``TUMBLR_COLUMNS``, any case) is recognised and mapped without asking; any other header
   is mapped by the writer, who picks which column is the title, the link, … .
3. Whose turn it is, per row: an explicit *Turn* column wins (``mine``/``theirs`` and the
   like); else *Queued* set means the writer's reply is written and waiting to post, so it is
   their partner's turn; else a *Last Poster* equal to the partner means it is the writer's
   turn, and anyone else (the writer's own blog) means it is the partner's; with none of
   these it is the writer's turn.
4. Our export writes the Tumblr tracker's columns first (so the tracker can read it back),
   then ``EXTRA_COLUMNS`` with what it has no room for; export then import gives back the
   same threads.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

MAX_BYTES = 1_000_000
MAX_ROWS = 1000

TUMBLR_COLUMNS = (
    "Thread Title",
    "Post ID / URL",
    "Partner",
    "Tags",
    "Archived",
    "Queued",
    "Last Poster",
)
EXTRA_COLUMNS = ("Turn", "Site", "Muse", "Notes", "Remind After (days)")
EXPORT_COLUMNS = TUMBLR_COLUMNS + EXTRA_COLUMNS

#: What a column can be, with the label the mapping page shows.
FIELDS: dict[str, str] = {
    "title": "Title",
    "url": "Link",
    "site": "Site",
    "partner": "Partner",
    "muse": "Muse (one of yours, by name)",
    "tags": "Tags",
    "turn": "Whose turn (mine / theirs)",
    "last_poster": "Last poster",
    "queued": "Queued (your reply is written)",
    "archived": "Archived",
    "notes": "Notes",
    "remind_after_days": "Remind after (days)",
}

#: Our export's columns, as fields (the Tumblr tracker's header maps the same way).
COLUMN_FIELDS: dict[str, str] = {
    "thread title": "title",
    "post id / url": "url",
    "partner": "partner",
    "tags": "tags",
    "archived": "archived",
    "queued": "queued",
    "last poster": "last_poster",
    "turn": "turn",
    "site": "site",
    "muse": "muse",
    "notes": "notes",
    "remind after (days)": "remind_after_days",
}

_YES = {"yes", "y", "true", "1", "x", "✓", "archived", "queued"}
_NO = {"", "no", "n", "false", "0"}
_MINE = {"mine", "me", "my turn", "my", "i", "yes", "y", "true", "1"}
_THEIRS = {"theirs", "them", "their turn", "partner", "waiting", "no", "n", "false", "0"}
# What our export writes as the last poster when it is the partner's turn.
ME = "me"
_FORMULA_STARTS = ("=", "+", "-", "@")


class SpreadsheetError(ValueError):
    """The whole file is refused; the message says why."""


class RowError(ValueError):
    """One row is refused; the message says why."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, cells)


@dataclass
class RowValues:
    title: str
    url: str = ""
    site: str = ""
    partner: str = ""
    muse: str = ""
    tags: str = ""
    turn: str = "mine"
    archived: bool = False
    notes: str = ""
    remind_after_days: int | None = None


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise SpreadsheetError(
            f"The file is {len(data) // 1024} KB; a tracker spreadsheet may be at most "
            f"{MAX_BYTES // 1000} KB. Split it in two."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpreadsheetError(
            f"The file is not UTF-8 text (byte {error.start + 1} is not); save it as "
            "“CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise SpreadsheetError("The file holds binary data, not CSV text.")
    return text


def read_sheet(data: bytes) -> Sheet:
    """Decode and parse a CSV upload (rule 1). Blank rows are skipped; each kept row keeps
    the line it starts on, for the report."""
    text = decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    sheet: Sheet | None = None
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if sheet is None:
                sheet = Sheet(headers=[cell.strip() for cell in cells])
                continue
            sheet.rows.append((start, cells))
            if len(sheet.rows) > MAX_ROWS:
                raise SpreadsheetError(
                    f"The file has more than {MAX_ROWS} rows; import at most {MAX_ROWS} at a time."
                )
    except csv.Error as error:
        raise SpreadsheetError(f"Line {line}: the CSV cannot be read ({error}).") from None
    if sheet is None:
        raise SpreadsheetError("The file is empty: it needs a header row and a row per thread.")
    return sheet


def _key(header: str) -> str:
    return " ".join(header.lower().split())


def known_mapping(headers: list[str]) -> dict[str, int] | None:
    """The mapping of a Tumblr tracker header (or our own export), or None (rule 2)."""
    keys = [_key(header) for header in headers]
    if not all(_key(column) in keys for column in TUMBLR_COLUMNS):
        return None
    return guess_mapping(headers)


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Columns whose header names a field, for the mapping page's first choice."""
    mapping: dict[str, int] = {}
    by_label = {_key(label): name for name, label in FIELDS.items()}
    for index, header in enumerate(headers):
        key = _key(header)
        name = COLUMN_FIELDS.get(key) or by_label.get(key) or (key if key in FIELDS else None)
        if name and name not in mapping:
            mapping[name] = index
    return mapping


def _flag(value: str, column: str) -> bool:
    word = value.strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise RowError(f"{column} is “{value}”; write yes or no.")


def parse_turn(value: str) -> str:
    word = " ".join(value.lower().split())
    if word in _MINE:
        return "mine"
    if word in _THEIRS:
        return "theirs"
    raise RowError(f"whose turn is “{value}”; write mine or theirs.")


def _name(value: str) -> str:
    return value.strip().lstrip("@").strip().lower()


def row_values(cells: list[str], mapping: dict[str, int]) -> RowValues:
    """One row's values under ``mapping`` (field → column index); RowError if it cannot be
    read. The services check the rest (a title, a valid link, lengths) as for any thread."""

    def cell(name: str) -> str:
        index = mapping.get(name)
        value = cells[index].strip() if index is not None and index < len(cells) else ""
        # Undo our export's formula guard (``_defused``).
        return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA_STARTS else value

    values = RowValues(
        title=cell("title"),
        site=cell("site"),
        partner=cell("partner"),
        muse=cell("muse"),
        tags=cell("tags"),
        notes=cell("notes"),
        archived=_flag(cell("archived"), "Archived"),
    )
    link = cell("url")
    if link.isdigit():
        # The Tumblr tracker may hold a bare post id: no link can be built from it alone.
        values.notes = "\n".join(filter(None, [f"Post ID {link}", values.notes]))
    else:
        values.url = link
    if cell("turn"):
        values.turn = parse_turn(cell("turn"))
    elif _flag(cell("queued"), "Queued"):
        values.turn = "theirs"
    elif cell("last_poster"):
        is_partner = bool(values.partner) and _name(cell("last_poster")) == _name(values.partner)
        values.turn = "mine" if is_partner else "theirs"
    remind = cell("remind_after_days")
    if remind:
        if not remind.isdigit() or int(remind) < 1 or int(remind) > 3650:
            raise RowError(f"remind after is “{remind}”; write a number of days from 1.")
        values.remind_after_days = int(remind)
    return values


def export_row(tracked) -> list[str]:
    """One tracked thread (any object with its attributes) as ``EXPORT_COLUMNS`` (rule 4)."""
    last_poster = (tracked.partner or "partner") if tracked.turn == "mine" else ME
    return [
        tracked.title,
        tracked.url,
        tracked.partner,
        tracked.tags,
        "yes" if tracked.is_archived else "no",
        "no",
        last_poster,
        tracked.turn,
        tracked.site,
        tracked.muse.name if tracked.muse else "",
        tracked.notes,
        str(tracked.remind_after_days or ""),
    ]


def write_sheet(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(_defused(row) for row in rows)
    return out.getvalue()


def _defused(row: list[str]) -> list[str]:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs: a title
    # pasted from elsewhere must not become one on the writer's computer.
    return ["'" + cell if cell[:1] in _FORMULA_STARTS else cell for cell in row]
