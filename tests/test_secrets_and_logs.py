"""Secrets at rest and in logs: bodies bound to their rows, statement parameters, the bot token
and Telegram ids kept out of error logs."""

import logging

import aiohttp
import pytest
from aiogram.types import ErrorEvent, Update
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from yarl import URL

from bot.emulator.harness import DEMO_TOKEN
from bot.logs import configure_logging
from handlers.errors import on_error
from storage import tips as store
from storage.models import Tip, TipAttachment, TipMessage, User
from tests.conftest import TIP_KEYS

TIPSTER_ID = 987650001234


async def _two_tips(sessions) -> list[Tip]:
    async with sessions() as s:
        target = store.Target("enterprise", 1, "甲", "330226100")
        for text in ("第一条举报：仓库堆放油漆桶", "第二条举报：消防通道被堵塞"):
            await store.file_tip(s, TIP_KEYS, target, "other", text, [b"photo-" + text.encode()])
        tips = (await s.scalars(select(Tip).order_by(Tip.id))).all()
        for tip in tips:
            await store.add_message(s, TIP_KEYS, tip, "tipster", f"补充{tip.id}")
        await s.commit()
        return list(tips)


async def test_a_body_copied_into_another_row_does_not_open(seeded):
    first, second = await _two_tips(seeded)
    async with seeded() as s:
        assert store.text_of(TIP_KEYS, first) == "第一条举报：仓库堆放油漆桶"
        await s.execute(update(Tip).where(Tip.id == second.id).values(body=first.body))
        msg = await s.scalar(select(TipMessage).where(TipMessage.tip_id == first.id))
        await s.execute(update(TipMessage).where(TipMessage.tip_id == second.id).values(body=msg.body))
        photo = await s.scalar(select(TipAttachment).where(TipAttachment.tip_id == first.id))
        await s.execute(
            update(TipAttachment).where(TipAttachment.tip_id == second.id).values(body=photo.body)
        )
        await s.commit()
        swapped = await s.get(Tip, second.id)
        with pytest.raises(InvalidTag):
            store.text_of(TIP_KEYS, swapped)
        with pytest.raises(InvalidTag):
            await store.messages(s, TIP_KEYS, second.id, ("tipster",))
        with pytest.raises(InvalidTag):
            await store.attachments(s, TIP_KEYS, second.id)
        assert await store.messages(s, TIP_KEYS, first.id, ("tipster",))  # the original still opens


async def test_failures_are_logged_without_parameters_tokens_or_ids(seeded, caplog):
    configure_logging("DEBUG")  # as `LOG_LEVEL=DEBUG python -m bot` does
    caplog.set_level(logging.DEBUG)
    async with seeded() as s:
        s.add(User(id=TIPSTER_ID))
        await s.commit()
        s.add(User(id=TIPSTER_ID))
        with pytest.raises(IntegrityError) as db_error:
            await s.commit()
    assert str(TIPSTER_ID) not in str(db_error.value)  # engines hide statement parameters
    url = URL(f"http://127.0.0.1:8081/file/bot{DEMO_TOKEN}/photos/file_{TIPSTER_ID}.jpg")
    download_error = aiohttp.ClientResponseError(
        aiohttp.RequestInfo(url, "GET", {}, url), (), status=500, message=f"chat {TIPSTER_ID}"
    )
    for n, exc in enumerate((db_error.value, download_error)):
        try:
            raise exc
        except Exception as raised:  # a traceback as a failing handler has one
            await on_error(ErrorEvent(update=Update(update_id=n), exception=raised))
    logged = caplog.text
    assert "IntegrityError" in logged and "ClientResponseError" in logged and "Traceback" in logged
    assert str(TIPSTER_ID) not in logged
    assert DEMO_TOKEN not in logged and DEMO_TOKEN.split(":")[1] not in logged
