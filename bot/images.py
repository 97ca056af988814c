"""Photos from tipsters are re-encoded: a fresh JPEG carries no EXIF, GPS or camera data.

An image's size is read from its header before anything is decoded, so a small file that
unpacks to gigabytes (a decompression bomb) is refused cheaply; decoding runs in a thread so
other users are answered meanwhile."""

from __future__ import annotations

import asyncio
import io

from PIL import Image, UnidentifiedImageError

MAX_SIDE = 2560


class ImageRefused(Exception):
    """`reason`: "unreadable" (not an image) or "too_large" (more pixels than allowed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def reencode(data: bytes, max_pixels: int) -> bytes:
    """A clean JPEG of the image, at most MAX_SIDE on its longer side."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size  # from the header: nothing decoded yet
            if width * height > max_pixels:
                raise ImageRefused("too_large")
            img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale
            img.load()
            clean = img.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise ImageRefused("too_large") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRefused("unreadable") from exc
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85)  # no exif= argument: nothing is carried over
    return out.getvalue()


async def clean_image(data: bytes, max_pixels: int) -> bytes:
    return await asyncio.to_thread(reencode, data, max_pixels)
