"""Checking one cell of a row: every problem is a RowProblem naming its catalogue key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from domain import uscc

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RowProblem(Exception):
    """A bad value in one row: `reason` is a key of the `import.err` catalogue section."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def required(row: dict[str, str], col: str) -> str:
    value = row.get(col, "")
    if not value:
        raise RowProblem("missing", column=col)
    return value


def day(row: dict[str, str], col: str, optional: bool = False) -> date | None:
    value = row.get(col, "")
    if not value and optional:
        return None
    value = required(row, col)
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise RowProblem("date", column=col, value=value) from None


def choice(row: dict[str, str], col: str, allowed: Iterable[str], default: str | None = None) -> str:
    value = row.get(col, "")
    if not value and default is not None:
        return default
    value = required(row, col)
    options = [str(a) for a in allowed]
    if value not in options:
        raise RowProblem("enum", column=col, value=value, allowed=", ".join(options))
    return value


def code(row: dict[str, str], col: str = "uscc", optional: bool = False) -> str:
    """A unified social credit code, checked to its last character."""
    value = row.get(col, "")
    if not value and optional:
        return ""
    try:
        return uscc.validate(required(row, col))
    except uscc.USCCError as exc:
        raise RowProblem(f"uscc_{exc}", value=value) from None


def text(row: dict[str, str], col: str, limit: int, optional: bool = False) -> str:
    value = row.get(col, "") if optional else required(row, col)
    if len(value) > limit:
        raise RowProblem("too_long", column=col, limit=limit)
    return value
