"""Shortening texts that can grow; kept free of aiogram so the command line can use it."""

from __future__ import annotations

ELLIPSIS = "…"


def clip(text: str | None, limit: int) -> str:
    """`text` shortened to at most `limit` characters, ending in "…" when cut."""
    text = text or ""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS
