"""Time in one place: aware UTC datetimes in the database, local dates by the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def today(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A stored moment in the configured zone. Databases hand timestamps back without their
    zone; they were written in UTC (read as the machine's zone, a date near midnight would be
    a day off)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tz)
