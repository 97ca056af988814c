"""What a tip may hold, the same in the chat and on the web."""

from __future__ import annotations

TEXT_MIN, TEXT_MAX = 10, 2000
MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def text_fits(text: str) -> bool:
    return TEXT_MIN <= len(text) <= TEXT_MAX
