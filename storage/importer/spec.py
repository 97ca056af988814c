"""What the importer knows of one kind of file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from storage.importer.lookups import Lookups

Record = dict[str, Any]
# (session, [(id, new record)], [(id, old values by column, new record)])
History = Callable[
    [AsyncSession, list[tuple[int, Record]], list[tuple[int, Record, Record]]], Awaitable[None]
]


@dataclass(frozen=True)
class KindSpec:
    table: Table
    columns: tuple[str, ...]  # required columns of the file
    key: tuple[str, ...]  # natural key, as table columns
    parse: Callable[[dict[str, str], Lookups], Record]
    fill_new: Callable[[Record], None] | None = None  # values only a new row gets
    history: History | None = None  # what an insert or a change leaves behind
