"""Time in one place: aware UTC datetimes in the database, local dates by the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def today(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()
