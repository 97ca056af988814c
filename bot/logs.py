"""Logging for every entry point. Some libraries log, at DEBUG, the parameters of every SQL
statement (a Telegram id in a user lookup) or the EXIF tags of images (a name or GPS position
in a tipster's photo): they stay at WARNING whatever LOG_LEVEL says (contract: Anonymity)."""

from __future__ import annotations

import logging

PINNED = (
    "aiosqlite",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "PIL",
    "aiohttp.access",
    "alembic.runtime.plugins",
)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    pin_quiet_loggers()


def pin_quiet_loggers() -> None:
    for name in PINNED:
        logging.getLogger(name).setLevel(logging.WARNING)
