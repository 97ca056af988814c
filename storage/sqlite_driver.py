"""aiosqlite with one trip to its thread per statement instead of four, and none to roll back
a connection with no transaction open.

SQLAlchemy's aiosqlite adapter awaits the database thread to make a cursor, to execute, to
fetch and to close: four hand-offs between threads for each statement, which cost more than
SQLite's own work on a small read (most of a /status update's time went there). This cursor
does all four in one function run on aiosqlite's thread and keeps what it returned.
Server-side cursors (streamed results) keep SQLAlchemy's own adapter."""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _run(conn: sqlite3.Connection, many: bool, operation: str, parameters: Any) -> tuple:
    """On the database thread: the statement, its rows and what the cursor tells of it."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def _make_new_cursor(self, connection: Any) -> None:
        return None  # made on the database thread with each statement

    def _aenter_cursor(self, cursor: Any) -> None:
        self._description = None
        self._rowcount = -1
        self._lastrowid = None
        return None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    async def _async_soft_close(self) -> None:
        """Nothing is open: the rows were fetched with the statement."""

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(False, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._trip(True, operation, seq_of_parameters)

    async def _trip(self, many: bool, operation: Any, parameters: Any) -> None:
        conn = self._connection
        async with self._adapt_connection._execute_mutex:
            self._description, self._rowcount, self._lastrowid, rows = await conn._execute(
                _run, conn._conn, many, operation, parameters
            )
        self._rows = collections.deque(rows or ())


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor

    def rollback(self) -> None:
        # A session that only read leaves no transaction open (pysqlite begins one before a
        # write): its rollback on close would be a trip to the thread to do nothing.
        # `in_transaction` is safe to read from this thread (no check of the owning thread).
        if self._connection._connection and not self._connection._conn.in_transaction:
            return
        super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to create_async_engine for a sqlite+aiosqlite URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        connection = super().connect(*arg, **kw)
        connection.__class__ = _OneTripConnection  # the same object, with this cursor
        return connection
