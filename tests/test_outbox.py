"""The outbox sender against the emulator: dedupe, limits, 429, 403, 5xx, concurrent senders."""

import asyncio
import os
import uuid

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from redis.asyncio import Redis
from sqlalchemy import select

from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient, TgUser
from notifications.outbox import enqueue
from notifications.pacing import RedisPacer
from notifications.sender import Sender
from storage.models import Outbox, User

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
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
    await client.control("faults", method="sendMessage", status=429, count=1, retry_after=2)
    await _enqueue(sessions, (ANN.id, "after the flood wait", None))
    assert await sender.flush(bot, horizon=0) == 0
    row = (await _rows(sessions))[0]
    assert row.status == "pending" and row.not_before > row.created_at
    await _enqueue(sessions, (BEN.id, "to Ben, also waits", None))
    assert await sender.flush(bot, horizon=4) == 2
    assert await _texts(client, ANN) == ["after the flood wait"]
    assert await _texts(client, BEN) == ["to Ben, also waits"]
    # The flood wait held for every chat: a send before it ended would have been refused again.
    assert sender.stats["retry_after"] == 1 and (await client.stats())["too_many"] == 1


async def test_a_user_who_never_started_the_bot_becomes_unreachable(sessions, wire):
    bot, client, sender = wire
    stranger = TgUser(950000099, "Stan")
    await client.control("users", users=[stranger.as_dict()], started=False)
    async with sessions() as s:
        s.add(User(id=stranger.id))
        await s.commit()
    await _enqueue(sessions, (stranger.id, "hello", None))
    assert await sender.flush(bot) == 0
    async with sessions() as s:
        assert (await s.get(User, stranger.id)).unreachable
    assert [r.status for r in await _rows(sessions)] == ["unreachable"]


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


async def test_sends_are_pipelined_over_a_slow_link_within_the_limits(sessions, wire):
    bot, client, _ = wire
    users = [TgUser(952000000 + n, f"P{n}") for n in range(24)]
    await client.control("users", users=[u.as_dict() for u in users])
    await client.control("limits", enforce=True)
    await client.control("latency", seconds=0.3)
    await _enqueue(sessions, *[(u.id, f"to {u.first_name}", None) for u in users])
    sender = Sender(sessions, in_flight=6)
    assert await sender.flush(bot) == 24
    stats = await client.stats()
    # Several on the way at once, never more than allowed, and Telegram never said "too many".
    assert 2 <= stats["peak"] <= 6 and stats["too_many"] == 0
    for u in users:
        assert await _texts(client, u) == [f"to {u.first_name}"]
    assert {r.status for r in await _rows(sessions)} == {"sent"}


async def test_a_retry_after_a_server_error_does_not_queue_behind_later_rows(sessions, wire):
    bot, client, _ = wire
    users = [TgUser(954000000 + n, f"Q{n}") for n in range(60)]
    await client.control("users", users=[u.as_dict() for u in users])
    await client.control("limits", enforce=True)
    await client.control("latency", seconds=0.3)
    await client.control("faults", method="sendMessage", status=502, count=1)  # the first send
    await _enqueue(sessions, *[(u.id, f"to {u.first_name}", None) for u in users])
    assert await Sender(sessions).flush(bot, horizon=2) == 60
    events = [e for e in (await client.events(count=0))["events"] if e["kind"] == "message"]
    order = [e["message"]["text"] for e in events]
    # Its answer came a round trip after it left, longer than the first backoff: the retry
    # takes the next free slot, not one behind the 30-odd rows claimed meanwhile.
    assert order.index("to Q0") < 30, order
    assert (await client.stats())["too_many"] == 0


async def test_a_send_held_up_on_the_way_holds_back_the_sends_a_window_later(sessions, wire):
    bot, client, _ = wire
    users = [TgUser(953000000 + n, f"H{n}") for n in range(45)]
    await client.control("users", users=[u.as_dict() for u in users])
    await client.control("limits", enforce=True)
    # The first message reaches Telegram 0.6 s late, among the next 29 sent on time.
    await client.control("faults", method="sendMessage", status=0, delay=0.6, count=1)
    await _enqueue(sessions, *[(u.id, f"to {u.first_name}", None) for u in users])
    assert await Sender(sessions).flush(bot) == 45
    assert (await client.stats())["too_many"] == 0


async def test_a_notice_too_long_for_one_message_arrives_in_parts(sessions, wire):
    bot, client, sender = wire
    paragraphs = [f"第{n}段：" + "隐患描述" * 300 for n in range(4)]  # 1,204 characters each
    await _enqueue(sessions, (ANN.id, "\n\n".join(paragraphs), None))
    assert await sender.flush(bot, horizon=3) == 1
    texts = await _texts(client, ANN)
    assert texts == ["\n\n".join(paragraphs[:3]), paragraphs[3]]
    assert (await _rows(sessions))[0].status == "sent"


async def test_a_notice_refused_for_another_reason_is_logged_by_kind_only(sessions, wire, caplog):
    bot, client, sender = wire
    async with sessions() as s:
        bad = {"inline_keyboard": [[{"text": "看", "callback_data": "x" * 65}]]}
        await enqueue(s, ANN.id, "hazard", "秘密的隐患描述", dedupe_key="broken", reply_markup=bad)
        await s.commit()
    assert await sender.flush(bot) == 0
    row = (await _rows(sessions))[0]
    assert row.status == "failed" and "BUTTON_DATA_INVALID" in row.error
    assert sender.refused == {"hazard": 1}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "hazard" in logged and "秘密" not in logged


async def test_without_a_shared_limiter_only_one_process_sends(sessions, wire):
    bot, client, _ = wire
    users = [TgUser(951000000 + n, f"U{n}") for n in range(40)]
    await client.control("users", users=[u.as_dict() for u in users])
    await _enqueue(sessions, *[(u.id, f"to {u.first_name}", None) for u in users])
    first, second = Sender(sessions), Sender(sessions)
    counts = await asyncio.gather(first.flush(bot), second.flush(bot))
    assert sorted(counts) == [0, 40]
    for u in users:
        assert await _texts(client, u) == [f"to {u.first_name}"]
    await (first if counts[0] else second).close()  # a clean stop hands the lease on at once
    await _enqueue(sessions, (ANN.id, "after the hand-over", None))
    assert await (second if counts[0] else first).flush(bot) == 1


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")
async def test_with_redis_two_senders_share_one_budget_and_never_send_a_row_twice(sessions, wire):
    bot, client, _ = wire
    users = [TgUser(953000000 + n, f"R{n}") for n in range(45)]
    await client.control("users", users=[u.as_dict() for u in users])
    await client.control("limits", enforce=True)
    # Two messages to each of five chats: the per-chat spacing is shared too.
    items = [(u.id, f"to {u.first_name}", None) for u in users] + [(u.id, "again", None) for u in users[:5]]
    await _enqueue(sessions, *items)
    redis = Redis.from_url(REDIS_URL)
    prefix = f"test:pace:{uuid.uuid4().hex}"
    try:
        senders = [
            Sender(sessions, pacer=RedisPacer(redis, b"k", prefix=prefix), shared=True, in_flight=4)
            for _ in range(2)
        ]
        counts = await asyncio.gather(*(s.flush(bot, horizon=3) for s in senders))
    finally:
        await redis.aclose()
    assert sum(counts) == 50 and all(counts)
    assert (await client.stats())["too_many"] == 0  # together within 30/s and 1/s per chat
    for u in users:
        assert await _texts(client, u) == [f"to {u.first_name}"] + (["again"] if u in users[:5] else [])
