"""The bounds of every input, defined once: API schemas, web forms and page query values use these.

Dates outside [EARLIEST_DATE, LATEST_DATE] keep date arithmetic (a stay's departure, a calendar's
four weeks, a year's range) far from Python's year 1 and 9999; ids are 32-bit database integers;
single-line text may hold no control character or line separator, because such text can reach an
e-mail header, a CSV cell or a log line.
"""
from __future__ import annotations

import datetime as dt
import re

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000

# C0 and C1 controls (tab included), DEL, and the Unicode line and paragraph separators.
_SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Multi-line text (notes, reasons) may hold tab, line feed and carriage return, nothing else.
_MULTI_LINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def in_date_range(day: dt.date) -> bool:
    """True when ``day`` lies within the dates this service accepts."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def parse_day(value: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` value as a date within the bounds, or None when empty, unreadable or out of range."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if in_date_range(day) else None


def parse_id(value: str | None) -> int | None:
    """A positive 32-bit id from text, or None."""
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def parse_page(value: str | None) -> int:
    """A page number from text: 1 when empty or unreadable, at most MAX_PAGE."""
    if value is None:
        return 1
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        return 1
    return min(max(int(text), 1), MAX_PAGE)


def is_single_line(text: str) -> bool:
    """True when ``text`` holds no control character or line separator."""
    return _SINGLE_LINE_FORBIDDEN.search(text) is None


def is_clean_multi_line(text: str) -> bool:
    """True when ``text`` holds no control character other than tab and line breaks."""
    return _MULTI_LINE_FORBIDDEN.search(text) is None


def single_line(text: str) -> str:
    """``text`` made safe for one line (an e-mail subject, a header): controls and separators become spaces."""
    return " ".join(_SINGLE_LINE_FORBIDDEN.sub(" ", text).split())
