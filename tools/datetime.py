"""Date and time tools: current time in a zone, differences, adding durations, weekdays, formatting.

Time zones are IANA names through :mod:`zoneinfo` (the system database, or the
``tzdata`` package where the system has none). Inputs are ISO 8601 strings
(``2024-03-01``, ``2024-03-01T09:30``, ``2024-03-01T09:30+01:00``, ``...Z``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentkit.registry import ToolRegistry
from agentkit.tool import tool

from ._common import registry, shown

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError with an example when it is unknown."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {shown(name)} (use an IANA name such as 'Europe/Paris' or 'UTC')") from None


def parse(value: str, input_format: str | None = None) -> dt.datetime | dt.date:
    """A date (no time part) or a datetime from ISO 8601 text, or from ``input_format`` (strptime)."""
    text = value.strip()
    try:
        if input_format:
            return dt.datetime.strptime(text, input_format)
        if len(text) == 10 and text[4] == "-":
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except (ValueError, IndexError):
        expected = (input_format or "")[:80] or "ISO 8601, e.g. 2024-03-01 or 2024-03-01T09:30:00+01:00"
        raise ValueError(f"cannot read {shown(value)} as a date/time ({expected})") from None


def _as_datetime(value: dt.datetime | dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)


def _number(x: float) -> float:
    return float(f"{x:.12g}")


@tool(input_types=["text"], output_types=["datetime"], cost=0.01, quality=0.99, timeout=5)
def now(timezone: str = "UTC") -> str:
    """The current date and time in a time zone, as ISO 8601 with its UTC offset.

    Args:
        timezone: IANA time zone name, e.g. "Europe/Paris", "America/New_York" or "UTC"
    """
    return dt.datetime.now(zone(timezone)).isoformat(timespec="seconds")


@tool(input_types=["datetime"], output_types=["number"], cost=0.01, quality=0.99, timeout=5)
def date_difference(start: str, end: str, unit: Literal["seconds", "minutes", "hours", "days", "weeks"] = "days") -> float:
    """How much time lies between two dates or datetimes (negative when end is before start).

    Both must carry a UTC offset, or neither: mixing them is ambiguous and refused.

    Args:
        start: the earlier date/time, ISO 8601
        end: the later date/time, ISO 8601
        unit: the unit of the answer
    """
    a, b = _as_datetime(parse(start)), _as_datetime(parse(end))
    if (a.tzinfo is None) != (b.tzinfo is None):
        raise ValueError("one date/time has a UTC offset and the other has none; give both or neither")
    return _number((b - a).total_seconds() / _UNIT_SECONDS[unit])


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    if not 1 <= year <= 9999:
        raise ValueError("the result is outside the years 1-9999")
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


@tool(input_types=["datetime"], output_types=["datetime"], cost=0.01, quality=0.98, timeout=5)
def add_duration(
    start: str,
    years: int = 0,
    months: int = 0,
    weeks: float = 0,
    days: float = 0,
    hours: float = 0,
    minutes: float = 0,
    seconds: float = 0,
) -> str:
    """Add (or, with negative numbers, subtract) a duration to a date or datetime.

    Months and years keep the day of the month, clamped to the month's end
    (2024-01-31 plus 1 month is 2024-02-29). A date stays a date when only whole
    days, weeks, months or years are added.

    Args:
        start: the date/time to start from, ISO 8601
        years: years to add
        months: months to add
        weeks: weeks to add
        days: days to add
        hours: hours to add
        minutes: minutes to add
        seconds: seconds to add
    """
    amounts = {"weeks": weeks, "days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
    for name, amount in amounts.items():
        if not math.isfinite(amount):
            raise ValueError(f"{name} must be a finite number, not {amount}")
    base = parse(start)
    moved = _add_months(_as_datetime(base), years * 12 + months)
    try:
        moved = moved + dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError("the result is outside the years 1-9999") from None
    date_only = not isinstance(base, dt.datetime) and moved.time() == dt.time(0)
    return moved.date().isoformat() if date_only else moved.isoformat()


@tool(input_types=["datetime"], output_types=["text"], cost=0.01, quality=0.99, timeout=5)
def weekday(date: str) -> str:
    """The day of the week (Monday ... Sunday) of a date.

    Args:
        date: the date, ISO 8601, e.g. "2024-03-01"
    """
    return calendar.day_name[parse(date).weekday()]


@tool(input_types=["datetime"], output_types=["text"], cost=0.01, quality=0.98, timeout=5)
def format_datetime(
    value: str,
    format: str = "%Y-%m-%d %H:%M",
    timezone: str | None = None,
    input_format: str | None = None,
) -> str:
    """Parse a date/time and write it in another format, optionally converted to a time zone.

    A value without a UTC offset is taken to be UTC when a time zone is asked for.

    Args:
        value: the date/time text (ISO 8601 unless input_format is given)
        format: strftime format of the result, e.g. "%A %d %B %Y" or "%H:%M"
        timezone: IANA time zone to convert to before formatting, e.g. "Asia/Tokyo"
        input_format: strptime format to read value with, e.g. "%d/%m/%Y"
    """
    moment = _as_datetime(parse(value, input_format))
    if timezone:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(zone(timezone))
    return moment.strftime(format)


def pack() -> ToolRegistry:
    """The date/time tools (no options)."""
    return registry("datetime", [now, date_difference, add_duration, weekday, format_datetime])


__all__ = ["add_duration", "date_difference", "format_datetime", "now", "pack", "parse", "weekday", "zone"]
