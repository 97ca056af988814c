"""The enterprise's safety QR code (安全二维码) as a printable PNG: the code of its public
page (or deep link), with the enterprise's name under it (seed 003: posted on the workshop
wall); and an A4 poster of it as a PDF at 300 dpi."""

from __future__ import annotations

import io
from functools import cache
from importlib.resources import files

import segno
from PIL import Image, ImageDraw, ImageFont

SCALE = 16  # pixels per module: about 6 cm wide at 300 dpi for a link-sized code
MARGIN = 4
DPI = 300
A4 = (2480, 3508)  # 210 × 297 mm at 300 dpi


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    # A CJK font shipped in a package (mplfonts), so enterprise names print on any machine.
    path = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
    return ImageFont.truetype(str(path), size)


def render(link: str, title: str, subtitle: str = "") -> bytes:
    buf = io.BytesIO()
    segno.make(link, error="m").save(buf, kind="png", scale=SCALE, border=MARGIN)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    width = code.width
    title_font, sub_font = _font(max(28, width // 16)), _font(max(20, width // 26))
    draw = ImageDraw.Draw(code)
    lines = [(t, title_font) for t in _wrap(draw, title, title_font, width - 40)]
    if subtitle:
        lines.append((subtitle, sub_font))
    heights = [draw.textbbox((0, 0), text, font=font)[3] + 12 for text, font in lines]
    page = Image.new("RGB", (width, code.height + sum(heights) + 30), "white")
    page.paste(code, (0, 0))
    draw = ImageDraw.Draw(page)
    y = code.height
    for (text, font), h in zip(lines, heights, strict=True):
        w = draw.textlength(text, font=font)
        draw.text(((width - w) / 2, y), text, fill="black", font=font)
        y += h
    out = io.BytesIO()
    page.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def poster(link: str, title: str, line: str) -> bytes:
    """An A4 page (PDF, 300 dpi): the enterprise's name, a large code and the call to scan."""
    width, height = A4
    page = Image.new("RGB", A4, "white")
    draw = ImageDraw.Draw(page)
    title_font, line_font = _font(150), _font(110)
    y = 260
    for text in _wrap(draw, title, title_font, width - 300):
        draw.text(
            ((width - draw.textlength(text, font=title_font)) / 2, y), text, fill="black", font=title_font
        )
        y += 200
    code = segno.make(link, error="m")
    side = code.symbol_size(scale=1, border=MARGIN)[0]
    scale = min(1900, height - y - 700) // side
    buf = io.BytesIO()
    code.save(buf, kind="png", scale=scale, border=MARGIN)
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    page.paste(image, ((width - image.width) // 2, y + 80))
    y += 80 + image.height + 120
    draw.text(((width - draw.textlength(line, font=line_font)) / 2, y), line, fill="black", font=line_font)
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=DPI)
    return out.getvalue()


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break a long name into lines that fit (character by character: Chinese has no spaces)."""
    lines, current = [], ""
    for ch in text:
        if current and draw.textlength(current + ch, font=font) > width:
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current] if current else lines
