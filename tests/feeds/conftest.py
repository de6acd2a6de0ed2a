"""Reading what the feeds answer: Atom with lxml, calendars with icalendar."""

from __future__ import annotations

import icalendar
from lxml import etree

NS = {"a": "http://www.w3.org/2005/Atom"}


def atom(response) -> etree._Element:
    """The Atom document a feed answered (it must have answered one)."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return etree.fromstring(response.content)


def entry_titles(root: etree._Element) -> list[str]:
    return root.xpath("a:entry/a:title/text()", namespaces=NS)


def calendar_events(response) -> list[icalendar.Event]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))
