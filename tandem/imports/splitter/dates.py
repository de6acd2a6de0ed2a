"""Dates: the value of a Date line at the top of a post, read as an aware UTC datetime."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
FULL_MONTHS = (
    "january february march april may june july august september october november december sept"
).split()

_TIME = r"(?:,?[ \t]*(?:at[ \t]+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?::(?P<second>\d{2}))?[ \t]*(?P<ampm>[ap]\.?m\.?)?)?"
_ZONE = r"(?:[ \t]*(?P<zone>z|utc|gmt|[+-]\d{2}:?\d{2}))?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?[ \t]+)?"
_MONTH = r"(?P<month>[a-z]{3,9})\.?"
ISO_DATE_RE = re.compile(
    r"^(?P<year>\d{4})[-/](?P<mon>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[t ][ \t]*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?)?"
    + _ZONE
    + "$",
    re.I,
)
DAY_MONTH_RE = re.compile(
    "^" + _WEEKDAY + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?" + _MONTH
    + r",?[ \t]+(?P<year>\d{4})" + _TIME + _ZONE + "$",
    re.I,
)  # fmt: skip
MONTH_DAY_RE = re.compile(
    "^" + _WEEKDAY + _MONTH + r"[ \t]+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?[ \t]+(?P<year>\d{4})"
    + _TIME + _ZONE + "$",
    re.I,
)  # fmt: skip


def parse_date(value: str) -> datetime | None:
    """A Date line's value as an aware UTC datetime, or None when it can't be read.

    Accepts ISO dates (``2019-03-04``, ``2019-03-04 18:22``, ``2019-03-04T18:22:00+01:00``)
    and written ones (``4 March 2019``, ``March 4, 2019``, ``Mon 4th March 2019 6:22 pm``).
    A date without a zone is taken to be UTC.
    """
    value = value.strip().rstrip(".").strip()
    match = ISO_DATE_RE.match(value)
    if match:
        month_number = int(match["mon"])
    else:
        match = DAY_MONTH_RE.match(value) or MONTH_DAY_RE.match(value)
        if not match:
            return None
        month_name = match["month"].lower()
        month_number = MONTHS.get(month_name[:4]) or MONTHS.get(month_name[:3])
        if month_number is None or not any(full.startswith(month_name) for full in FULL_MONTHS):
            return None
    hour = int(match["hour"]) if match["hour"] else 0
    ampm = (match.groupdict().get("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        moment = datetime(
            int(match["year"]),
            month_number,
            int(match["day"]),
            hour,
            int(match["minute"] or 0),
            int(match["second"] or 0),
        )
    except ValueError:
        return None
    zone = (match["zone"] or "").lower()
    if zone in ("", "z", "utc", "gmt"):
        return moment.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)
