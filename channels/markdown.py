"""The chat's Telegram-HTML notices turned into the robots' Markdown or plain text for email."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"</?b>")
_TAG = re.compile(r"<[^>]+>")


def to_markdown(text: str) -> str:
    return html.unescape(_TAG.sub("", _BOLD.sub("**", text)))


def to_plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def title_of(text: str) -> str:
    """The first line, plain: a subject or a DingTalk title."""
    return to_plain(text).strip().splitlines()[0][:80] if text.strip() else ""


def clip(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8 (WeCom counts bytes), cut on a character boundary."""
    data = text.encode()
    return text if len(data) <= limit else data[: limit - 3].decode(errors="ignore") + "…"
