"""Explicit structure: separators, name headers, script lines and Date lines.

Where a paste has any of these between posts, they alone decide the posts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from tandem.imports.splitter.cast import _Cast, _fold
from tandem.imports.splitter.dates import parse_date

DATE_SPLIT_CONFIDENCE = 0.9

# Header labels that are not names.
NON_NAME_LABELS = frozenset(
    "date time place location setting scene chapter part prologue epilogue interlude note "
    "notes ooc a/n an edit update tw cw warning warnings summary rating pairing pairings "
    "characters tags status prompt author from to subject re ps p.s. title fandom words "
    "wordcount mood music song outfit link url source credit credits rules starter closed "
    "open continued cont end fin reply replies quote spoiler spoilers thread post round "
    "turn later earlier meanwhile elsewhere now then before after today tonight yesterday "
    "tomorrow morning evening night afternoon also however".split()
)

# ---------------------------------------------------------------------------------------
# Patterns that do not depend on the muses.

SEPARATOR_RE = re.compile(r"^[ \t]*(?:(?:[-*~_=—–][ \t]*){3,}|<hr\b[^>]*>)[ \t]*$", re.I)
DATE_LINE_RE = re.compile(
    r"^[ \t]*(?:\*\*|__)?[ \t]*date[ \t]*(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?"
    r"[ \t]*(?P<value>.*?)[ \t]*(?:\*\*|__)?[ \t]*$",
    re.I,
)
BRACKET_HEADER_RE = re.compile(r"^[ \t]*\[[ \t]*(?P<name>[^\[\]\n:]{1,40}?)[ \t]*\][ \t]*:?[ \t]*$")
BOLD_HEADER_RE = re.compile(
    r"^[ \t]*(?P<mark>\*\*|__)[ \t]*(?P<name>[^*_\n:]{1,40}?)[ \t]*:?[ \t]*(?P=mark)[ \t]*:?[ \t]*$"
)
COLON_HEADER_RE = re.compile(r"^[ \t]*(?P<name>[^\s:*\[\]#>][^:\n]{0,39}?)[ \t]*:[ \t]*$")
SCRIPT_HEADER_RE = re.compile(
    r"^[ \t]*(?:\*\*|__)?(?P<name>[^\s:*\[\]#>\"“❛❝'‘(][^:\n*]{0,29}?)(?:\*\*|__)?[ \t]*:"
    r"(?:\*\*|__)?[ \t]+(?P<rest>\S.*)$"
)
# A post headed with the writer's account, as forums and archives export them: "@name",
# "name wrote:", "Posted by name on 4 March 2019", "**name** · Tue 14 Nov, 09:12". Only a
# known writer makes it a header.
ACCOUNT_HEADER_RE = re.compile(
    r"^[ \t]*(?:\*\*|__)?[ \t]*(?:"
    r"@(?P<at>[\w.-]{1,40})"
    r"|@?(?P<wrote>[\w.-]{1,40})[ \t]+(?:wrote|writes|said|says|replied|posted)"
    r"|(?:(?:post|posted|written|sent|reply|replied)[ \t]+)?by[ \t]*:?[ \t]*@?(?P<by>[\w.-]{1,40})"
    r"|(?P<dated>[\w.-]{1,40})(?=(?:\*\*|__)?[ \t]*[·|»—–-][ \t]*\S)"
    r")[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*(?:(?:on|at|[-–—»|·,])[ \t]*[^\n]{0,60})?$",
    re.IGNORECASE,
)
# A forum post's subject line, "Re: The Saint Perpetua [IC / closed]": forum chrome, not
# prose, where the paste repeats it (each reply carries one) or its first line is the title.
REPLY_TITLE_RE = re.compile(
    r"^[ \t]*(?:\*\*|__)?[ \t]*re[ \t]*:[ \t]*(?P<title>\S[^\n]{0,200}?)[ \t]*(?:\*\*|__)?[ \t]*$",
    re.IGNORECASE,
)
# Header forms alone on a line, and whether an unknown name in them may be lower case.
HEADER_FORMS = ((BRACKET_HEADER_RE, True), (BOLD_HEADER_RE, False), (COLON_HEADER_RE, False))
NAME_SHAPE_RE = re.compile(r"^[^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,2}$")
LINE_RE = re.compile(r"[^\n]*\n?")


@dataclass
class _Segment:
    """A stretch of the paste that explicit structure says is (at least) one post."""

    start: int  # offset of the first content character in the normalised text
    end: int
    reason: str  # "start" | "separator" | "header"
    split_confidence: float = 1.0
    named: str | None = None
    muse_index: int | None = None
    script: bool = False
    date: datetime | None = None
    date_line: str | None = None  # an unreadable Date line, kept in the text
    pieces: list[tuple[int, int]] = field(default_factory=list)  # merged script lines


def _is_name_like(label: str, *, allow_lowercase: bool) -> bool:
    """Whether a header label could be a character's name we don't know."""
    label = label.strip()
    if not NAME_SHAPE_RE.match(label) or label.endswith(".") or _fold(label) in NON_NAME_LABELS:
        return False
    words = label.split()
    if any(word.isupper() and len(word) > 1 for word in words):
        return False  # "**STOP**" is shouting, not a name
    return allow_lowercase or all(word[0].isupper() for word in words)


@dataclass
class _HeaderContext:
    """What the whole paste says about which header-like lines are headers.

    A known muse's header is always a header. An unknown name only counts where the paste
    is evidently structured by headers — some header names a known muse, or two or more
    lines look like headers — so that a lone ``**Run**`` or ``Warning: ...`` in the middle
    of prose does not become a character. Script lines by an unknown speaker need the
    same label on two lines and two script lines by known muses.
    """

    structured: bool
    script_names: set[str]
    titles: set[str] = field(default_factory=set)  # folded thread titles of "Re:" lines


def _header_context(lines: list[str], cast: _Cast) -> _HeaderContext:
    known_headers = header_like = known_script = 0
    script_labels: Counter[str] = Counter()
    for line in lines:
        if _account_header(line, cast) is not None:
            known_headers += 1
            continue
        for pattern, allow_lowercase in HEADER_FORMS:
            match = pattern.match(line)
            if match:
                if cast.resolve_label(match["name"]) is not None:
                    known_headers += 1
                elif _is_name_like(match["name"], allow_lowercase=allow_lowercase):
                    header_like += 1
                break
        else:
            match = SCRIPT_HEADER_RE.match(line)
            if match and cast.resolve_label(match["name"]) is not None:
                known_script += 1
            elif match and len(match["name"].split()) == 1:
                script_labels[_fold(match["name"])] += 1
    script_names = set()
    if known_script >= 2:
        script_names = {label for label, count in script_labels.items() if count >= 2}
    return _HeaderContext(
        known_headers + known_script > 0 or header_like >= 2, script_names, _titles(lines)
    )


def _titles(lines: list[str]) -> set[str]:
    """The thread titles that "Re:" lines repeat: one that two replies carry, or one that
    is also the paste's first line (the opening post's subject)."""
    replies = Counter(
        _fold(match["title"]) for line in lines if (match := REPLY_TITLE_RE.match(line))
    )
    first = next((_fold(line.strip(" \t*_")) for line in lines if line.strip()), "")
    return {title for title, count in replies.items() if count >= 2 or title == first}


def _account_header(line: str, cast: _Cast) -> tuple[str, list[int]] | None:
    """(account, its muses) if the line heads a post with a known writer's account."""
    match = ACCOUNT_HEADER_RE.match(line)
    if match is None:
        return None
    label = match["at"] or match["wrote"] or match["by"] or match["dated"]
    muses = cast.writers_muses(label)
    return (label, muses) if muses else None


def _classify_line(line: str, cast: _Cast, context: _HeaderContext) -> tuple[str, dict]:
    """("separator"|"date"|"header"|"script"|"text", details) for one line of the paste."""
    if SEPARATOR_RE.match(line):
        return "separator", {}
    match = DATE_LINE_RE.match(line)
    if match:
        return "date", {"value": match["value"]}
    title = REPLY_TITLE_RE.match(line)
    if title and _fold(title["title"]) in context.titles:
        return "separator", {}
    if _fold(line.strip(" \t*_")) in context.titles:
        return "separator", {}  # the opening post's subject line
    account = _account_header(line, cast)
    if account is not None:
        label, muses = account
        if len(muses) == 1:
            return "header", {"name": label, "muse": muses[0]}
        # A writer with several muses here: the post starts, its point of view says whose.
        return "separator", {}
    for pattern, allow_lowercase in HEADER_FORMS:
        match = pattern.match(line)
        if match:
            label = match["name"].strip()
            muse_index = cast.resolve_label(label)
            # In a paste built from headers, a lower-case **name** is a header too: RP
            # writers write names in lower case.
            lowercase_ok = allow_lowercase or pattern is BOLD_HEADER_RE
            if muse_index is not None or (
                context.structured and _is_name_like(label, allow_lowercase=lowercase_ok)
            ):
                return "header", {"name": label, "muse": muse_index}
    match = SCRIPT_HEADER_RE.match(line)
    if match:
        label = match["name"].strip()
        muse_index = cast.resolve_label(label)
        if muse_index is not None or (
            _fold(label) in context.script_names and _is_name_like(label, allow_lowercase=True)
        ):
            return "script", {"name": label, "muse": muse_index, "rest": match.start("rest")}
    return "text", {}


def _explicit_segments(text: str, cast: _Cast) -> tuple[list[_Segment], int]:
    """Cut the paste at separators, headers and Date lines.

    Returns the non-empty segments and how many explicit splits were found between
    posts (a Date line or header at the very top is not a split).
    """
    lines = []
    offset = 0
    for match in LINE_RE.finditer(text):
        if not match.group():
            break
        lines.append((offset, match.group().rstrip("\n")))
        offset = match.end()
    context = _header_context([line for _, line in lines], cast)

    segments: list[_Segment] = []
    current = _Segment(start=0, end=0, reason="start")
    has_content = False
    previous_blank = True
    splits = 0

    def close(at: int) -> None:
        if has_content:
            current.end = at
            segments.append(current)

    for line_start, line in lines:
        kind, details = _classify_line(line, cast, context)
        if kind == "date" and not (has_content and not previous_blank):
            moment = parse_date(details["value"])
            if has_content:
                close(line_start)
                splits += 1
                current = _Segment(start=0, end=0, reason="separator")
                current.split_confidence = DATE_SPLIT_CONFIDENCE
                has_content = False
            if moment is not None and current.date is None:
                current.date = moment
                current.start = line_start + len(line) + 1
            else:
                current.date_line = line.strip()
                current.start = line_start
                has_content = True
        elif kind == "separator":
            close(line_start)
            if has_content or segments:
                splits += 1
            current = _Segment(start=line_start + len(line) + 1, end=0, reason="separator")
            has_content = False
        elif kind in ("header", "script"):
            close(line_start)
            if has_content or segments:
                splits += 1
            content_start = (
                line_start + details["rest"] if kind == "script" else line_start + len(line) + 1
            )
            current = _Segment(
                start=content_start,
                end=0,
                reason="header",
                named=details["name"],
                muse_index=details["muse"],
                script=kind == "script",
            )
            has_content = kind == "script"
        elif line.strip():
            if not has_content:
                current.start = line_start
            has_content = True
        previous_blank = not line.strip()
    close(len(text))
    return _merge_script_turns(segments), splits


def _merge_script_turns(segments: list[_Segment]) -> list[_Segment]:
    """Consecutive script lines by the same speaker are one post."""
    merged: list[_Segment] = []
    for segment in segments:
        segment.pieces = [(segment.start, segment.end)]
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.script
            and segment.script
            and (previous.muse_index, _fold(previous.named or ""))
            == (segment.muse_index, _fold(segment.named or ""))
        ):
            previous.pieces.extend(segment.pieces)
            previous.end = segment.end
            continue
        merged.append(segment)
    return merged
