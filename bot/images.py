"""Photos from tipsters are re-encoded: a fresh JPEG carries no EXIF, GPS or camera data."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

MAX_SIDE = 2560


def reencode(data: bytes) -> bytes | None:
    """A clean JPEG of the image, or None when the bytes are not an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            clean = img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85)  # no exif= argument: nothing is carried over
    return out.getvalue()
