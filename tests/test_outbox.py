"""The outbox sender against the emulator: dedupe, limits, 429, 403, 5xx, concurrent senders."""

import asyncio

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select

from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient, TgUser
from notifications.outbox import enqueue
from notifications.sender import Sender
from storage.models import Outbox, User

ANN = TgUser(950000006, "Ann")
BEN = TgUser(950000007, "Ben")


@pytest.fixture
async def wire(sessions):
    emulator = Emulator()
    base = await emulator.start()
    bot = Bot(DEMO_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    client = EmulatorClient(base)
    await client.control("users", users=[ANN.as_dict(), BEN.as_dict()])
    yield bot, client, Sender(sessions)
    await client.close()
    await bot.session.close()
    await emulator.stop()


async def _rows(sessions) -> list[Outbox]:
    async with sessions() as s:
        return list((await s.scalars(select(Outbox).order_by(Outbox.id))).all())


async def _texts(client, user) -> list[str]:
    return [m["text"] for m in await client.chat(user.id) if m["from"]["is_bot"]]


async def _enqueue(sessions, *items):
    async with sessions() as s:
        for chat, text, key in items:
            await enqueue(s, chat, "test", text, dedupe_key=key)
        await s.commit()


async def test_a_dedupe_key_enqueues_once_and_sends_once(sessions, wire):
    bot, client, sender = wire
    await _enqueue(sessions, (ANN.id, "提醒：隐患即将到期", "hazard:1:due"))
    await _enqueue(sessions, (ANN.id, "提醒：隐患即将到期", "hazard:1:due"))
    assert len(await _rows(sessions)) == 1
    assert await sender.flush(bot) == 1
    assert await sender.flush(bot) == 0
    assert await _texts(client, ANN) == ["提醒：隐患即将到期"]
    assert (await _rows(sessions))[0].status == "sent"


async def test_rows_are_not_written_when_the_transaction_rolls_back(sessions):
    async with sessions() as s:
        await enqueue(s, ANN.id, "test", "never", dedupe_key="x")
        await s.rollback()
    assert await _rows(sessions) == []


async def test_two_messages_to_one_chat_are_spaced_and_never_hit_the_limit(sessions, wire):
    bot, client, sender = wire
    await client.control("limits", enforce=True)
    await _enqueue(sessions, (ANN.id, "one", None), (ANN.id, "two", None), (BEN.id, "three", None))
    assert await sender.flush(bot, horizon=2) == 3
    assert await _texts(client, ANN) == ["one", "two"]
    assert (await client.stats())["too_many"] == 0


async def test_retry_after_delays_that_send_and_loses_nothing(sessions, wire):
    bot, client, sender = wire
    await client.control("faults", method="sendMessage", status=429, count=1)
    await _enqueue(sessions, (ANN.id, "after the flood wait", None))
    assert await sender.flush(bot, horizon=0) == 0
    row = (await _rows(sessions))[0]
    assert row.status == "pending" and row.not_before > row.created_at
    assert await sender.flush(bot, horizon=2) == 1
    assert await _texts(client, ANN) == ["after the flood wait"]
    assert sender.stats["retry_after"] == 1


async def test_a_blocked_user_becomes_unreachable_and_is_not_tried_again(sessions, wire):
    bot, client, sender = wire
    async with sessions() as s:
        s.add(User(id=BEN.id))
        await s.commit()
    await _enqueue(sessions, (BEN.id, "hello", None))
    await client.control("block", user_id=BEN.id)
    assert await sender.flush(bot) == 0
    async with sessions() as s:
        assert (await s.get(User, BEN.id)).unreachable
    calls = (await client.stats())["calls"]["sendMessage"]
    await _enqueue(sessions, (BEN.id, "hello again", None))
    assert await sender.flush(bot) == 0
    assert (await client.stats())["calls"]["sendMessage"] == calls  # not even tried
    assert [r.status for r in await _rows(sessions)] == ["unreachable", "unreachable"]


async def test_server_errors_are_retried_with_backoff(sessions, wire):
    bot, client, sender = wire
    await client.control("faults", method="sendMessage", status=500, count=1)
    await _enqueue(sessions, (ANN.id, "eventually", None))
    assert await sender.flush(bot) == 0
    row = (await _rows(sessions))[0]
    assert (row.status, row.attempts, row.error) == ("pending", 1, "TelegramServerError")
    assert await sender.flush(bot, horizon=3) == 1
    assert await _texts(client, ANN) == ["eventually"]


async def test_two_senders_never_send_the_same_row(sessions, wire):
    bot, client, _ = wire
    users = [TgUser(951000000 + n, f"U{n}") for n in range(40)]
    await client.control("users", users=[u.as_dict() for u in users])
    await _enqueue(sessions, *[(u.id, f"to {u.first_name}", None) for u in users])
    first, second = Sender(sessions, batch=5), Sender(sessions, batch=5)
    counts = await asyncio.gather(first.flush(bot), second.flush(bot))
    assert sum(counts) == 40 and all(counts)
    for u in users:
        assert await _texts(client, u) == [f"to {u.first_name}"]
