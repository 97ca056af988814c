"""Logging for every entry point. Some libraries log, at DEBUG, the parameters of every SQL
statement (a Telegram id in a user lookup) or the EXIF tags of images (a name or GPS position
in a tipster's photo): they stay at WARNING whatever LOG_LEVEL says (contract: Anonymity)."""

from __future__ import annotations

import logging
import re

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


# What a traceback may carry that identifies someone or opens the bot: statement parameters,
# the bot token (in Bot API and file URLs), and Telegram ids (user and chat ids are 6+ digits).
_REDACTIONS = (
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: <redacted>]"),
    (re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}"), "<token>"),
    (re.compile(r"(?<![0-9A-Za-z])\d{6,}(?![0-9A-Za-z])"), "<id>"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text
