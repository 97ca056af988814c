"""Cutting a notice that Telegram would refuse as too long (4096 characters of text, 1024 of a
caption, counted after HTML parsing) into parts at paragraph boundaries, then at line ends;
a single line longer than a part is cut as plain text."""

from __future__ import annotations

import html
import re

MAX_TEXT = 4096
MAX_CAPTION = 1024
_TAG = re.compile(r"<[^>]*>")


def visible_length(text: str) -> int:
    """Characters Telegram counts in an HTML message: tags removed, entities decoded."""
    return len(html.unescape(_TAG.sub("", text)))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    for piece in _pieces(text, limit):
        if parts and visible_length(parts[-1] + "\n\n" + piece) <= limit:
            parts[-1] = parts[-1] + "\n\n" + piece
        else:
            parts.append(piece)
    return [p for p in parts if p.strip()]


def _pieces(text: str, limit: int) -> list[str]:
    """Paragraphs, each no longer than `limit` (long ones cut at lines, then hard)."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if visible_length(paragraph) <= limit:
            out.append(paragraph)
            continue
        chunk = ""
        for line in paragraph.split("\n"):
            candidate = f"{chunk}\n{line}" if chunk else line
            if visible_length(candidate) <= limit:
                chunk = candidate
                continue
            if chunk:
                out.append(chunk)
            if visible_length(line) <= limit:
                chunk = line
                continue
            plain = html.unescape(_TAG.sub("", line))
            cuts = [plain[i : i + limit] for i in range(0, len(plain), limit)]
            out.extend(html.escape(c, quote=False) for c in cuts[:-1])
            chunk = html.escape(cuts[-1], quote=False)
        if chunk:
            out.append(chunk)
    return out
