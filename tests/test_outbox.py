"""The outbox seam: dedupe, send through the Bot API, 429, 403 and 5xx handling."""

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select, update

from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient, TgUser
from notifications.outbox import enqueue, send_due
from storage.models import Outbox, User

ANN = TgUser(950000006, "Ann")
BEN = TgUser(950000007, "Ben")


@pytest.fixture
async def wire(sessions):
    emulator = Emulator()
    base = await emulator.start()
    bot = Bot(DEMO_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    client = EmulatorClient(base)
    for user in (ANN, BEN):
        await client.send(user, "/start", wait=False)
    yield bot, client
    await client.close()
    await bot.session.close()
    await emulator.stop()


async def _rows(sessions) -> list[Outbox]:
    async with sessions() as s:
        return list((await s.scalars(select(Outbox).order_by(Outbox.id))).all())


async def _texts(client, user) -> list[str]:
    return [m["text"] for m in await client.chat(user.id) if m["from"]["is_bot"]]


async def test_a_dedupe_key_enqueues_once_and_sends_once(sessions, wire):
    bot, client = wire
    for _ in range(2):
        async with sessions() as s:
            await enqueue(s, ANN.id, "test", "提醒：隐患即将到期", dedupe_key="hazard:1:due")
            await s.commit()
    assert len(await _rows(sessions)) == 1
    assert await send_due(bot, sessions) == 1
    assert await send_due(bot, sessions) == 0
    assert await _texts(client, ANN) == ["提醒：隐患即将到期"]
    assert (await _rows(sessions))[0].status == "sent"


async def test_rows_are_not_written_when_the_transaction_rolls_back(sessions):
    async with sessions() as s:
        await enqueue(s, ANN.id, "test", "never", dedupe_key="x")
        await s.rollback()
    assert await _rows(sessions) == []


async def test_retry_after_delays_and_loses_nothing(sessions, wire):
    bot, client = wire
    await client.control("limits", enforce=True)
    async with sessions() as s:
        await enqueue(s, ANN.id, "test", "one")
        await enqueue(s, ANN.id, "test", "two")
        await s.commit()
    assert await send_due(bot, sessions) == 1
    first, second = await _rows(sessions)
    assert (first.status, second.status) == ("sent", "pending")
    assert second.not_before > first.sent_at  # rescheduled after retry_after
    async with sessions() as s:  # time passes
        await s.execute(update(Outbox).values(not_before=Outbox.created_at))
        await s.commit()
    await client.control("limits", enforce=False)
    assert await send_due(bot, sessions) == 1
    assert await _texts(client, ANN) == ["one", "two"]


async def test_a_blocked_user_becomes_unreachable(sessions, wire):
    bot, client = wire
    async with sessions() as s:
        s.add(User(id=BEN.id))
        await enqueue(s, BEN.id, "test", "hello")
        await s.commit()
    await client.control("block", user_id=BEN.id)
    assert await send_due(bot, sessions) == 0
    assert (await _rows(sessions))[0].status == "unreachable"
    async with sessions() as s:
        assert (await s.get(User, BEN.id)).unreachable


async def test_server_errors_are_retried(sessions, wire):
    bot, client = wire
    await client.control("faults", method="sendMessage", status=500, count=1)
    async with sessions() as s:
        await enqueue(s, ANN.id, "test", "eventually")
        await s.commit()
    assert await send_due(bot, sessions) == 0
    row = (await _rows(sessions))[0]
    assert (row.status, row.attempts) == ("pending", 1)
    async with sessions() as s:
        await s.execute(update(Outbox).values(not_before=Outbox.created_at))
        await s.commit()
    assert await send_due(bot, sessions) == 1
    assert await _texts(client, ANN) == ["eventually"]
