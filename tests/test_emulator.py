"""The emulator behaves like the Bot API where a lenient fake would hide bugs."""

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient, TgUser

USER = TgUser(940000005, "Eve", "Emu", "eve", "en")
KB = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])


@pytest.fixture
async def emu():
    emulator = Emulator()
    base = await emulator.start()
    bot = Bot(DEMO_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    client = EmulatorClient(base)
    await client.send(USER, "hi", wait=False)  # the user has talked to the bot: the chat exists
    yield emulator, bot, client
    await client.close()
    await bot.session.close()
    await emulator.stop()


async def test_messages_carry_dates_in_seconds_and_the_bot_as_sender(emu):
    _, bot, _ = emu
    msg = await bot.send_message(USER.id, "hello")
    assert abs(msg.date.timestamp() - time.time()) < 5
    assert msg.from_user.is_bot and msg.chat.id == USER.id


async def test_text_limits_and_html_errors(emu):
    _, bot, _ = emu
    await bot.send_message(USER.id, "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER.id, "x" * 4097)
    # Entities do not count towards the limit: 4096 characters in bold is fine.
    await bot.send_message(USER.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER.id, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER.id, "<b>x", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="text is empty"):
        await bot.send_message(USER.id, "<b></b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-1001, "no such group")


async def test_a_user_who_never_started_the_bot_cannot_be_written_to(emu):
    _, bot, client = emu
    stranger = TgUser(940000077, "Stan")
    await client.control("users", users=[stranger.as_dict()], started=False)
    for chat_id in (stranger.id, 1):  # known to Telegram but silent, or never seen
        with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
            await bot.send_message(chat_id, "hello?")
    await client.send(stranger, "/start", wait=False)
    assert (await bot.send_message(stranger.id, "welcome")).text == "welcome"


async def test_edits_follow_telegram_rules(emu):
    _, bot, client = emu
    msg = await bot.send_message(USER.id, "pick", reply_markup=KB)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("pick", chat_id=USER.id, message_id=msg.message_id, reply_markup=KB)
    await bot.edit_message_text("picked", chat_id=USER.id, message_id=msg.message_id)
    stored = next(m for m in await client.chat(USER.id) if m["message_id"] == msg.message_id)
    assert stored["text"] == "picked" and "reply_markup" not in stored  # no keyboard given: removed
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER.id, message_id=9999)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        big = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="B", callback_data="x" * 65)]])
        await bot.send_message(USER.id, "too much data", reply_markup=big)


async def test_callback_queries_have_chat_instance_and_are_answered_once(emu):
    _, bot, client = emu
    msg = await bot.send_message(USER.id, "pick", reply_markup=KB)
    # No bot is polling here: enqueue the press without waiting, then read it as the bot would.
    await client._post(
        "/press", {"user": USER.as_dict(), "message_id": msg.message_id, "button": 0, "wait": False}
    )
    updates = await bot.get_updates(offset=0, timeout=0)
    cq = updates[-1].callback_query
    assert cq.data == "a" and cq.chat_instance and cq.message.message_id == msg.message_id
    assert await bot.answer_callback_query(cq.id, text="ok")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(cq.id)
    # A button that is not on the message cannot be pressed without forging.
    with pytest.raises(LookupError):
        await client._post(
            "/press", {"user": USER.as_dict(), "message_id": msg.message_id, "data": "b", "wait": False}
        )


async def test_flood_limits_answer_429_with_retry_after(emu):
    _, bot, client = emu
    await client.control("limits", enforce=True)
    await bot.send_message(USER.id, "one")
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(USER.id, "two, too soon")
    assert err.value.retry_after == 1
    assert (await client.stats())["too_many"] == 1


async def test_a_31st_message_within_a_second_is_refused(emu):
    """The cap the outbox benchmark measures against: a sender over 30/s is caught."""
    _, bot, client = emu
    users = [TgUser(941000000 + n, f"G{n}") for n in range(31)]
    await client.control("users", users=[u.as_dict() for u in users])
    await client.control("limits", enforce=True)
    results = await asyncio.gather(*(bot.send_message(u.id, "burst") for u in users), return_exceptions=True)
    refused = [r for r in results if isinstance(r, TelegramRetryAfter)]
    assert len(refused) == 1 and (await client.stats())["too_many"] == 1


async def test_a_flood_wait_holds_until_retry_after_and_grows_for_repeat_offenders(emu):
    emulator, bot, client = emu
    await client.control("faults", method="sendMessage", status=429, retry_after=4)
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(USER.id, "flood")
    assert err.value.retry_after == 4
    # Retrying before retry_after has passed is refused again: a sender must wait it out.
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(USER.id, "ignoring the wait")
    assert 1 <= err.value.retry_after <= 4
    emulator.state.flood_until = 0.0
    await client.control("limits", enforce=True)
    waits = []
    for n in range(12):  # hammering one chat: each 429 asks for a longer wait
        emulator.state.chat_flood_until.clear()
        emulator.state.chat_last_send[USER.id] = time.monotonic()
        with pytest.raises(TelegramRetryAfter) as err:
            await bot.send_message(USER.id, f"again {n}")
        waits.append(err.value.retry_after)
    assert waits == sorted(waits) and waits[-1] > waits[0] >= 1


async def test_a_round_trip_is_added_to_every_call(emu):
    _, bot, client = emu
    await client.control("latency", seconds=0.3)
    start = time.perf_counter()
    await bot.send_message(USER.id, "far away")
    await bot.get_me()
    assert time.perf_counter() - start >= 0.6
    await client.control("latency", seconds=0)


async def test_blocked_users_and_injected_faults(emu):
    _, bot, client = emu
    await client.control("block", user_id=USER.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER.id, "hello?")
    await client.control("block", user_id=USER.id, blocked=False)
    await client.control("faults", method="sendMessage", status=502, count=1)
    with pytest.raises(TelegramServerError):
        await bot.send_message(USER.id, "first try fails")
    assert (await bot.send_message(USER.id, "second try works")).text == "second try works"


async def test_unknown_methods_are_404_and_bad_tokens_401(emu):
    emulator, bot, _ = emu

    class NoSuchMethod(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "sendTelepathy"

    with pytest.raises(TelegramNotFound):
        await bot(NoSuchMethod())
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{emulator.port}/botnotatoken/getMe") as resp,
    ):
        assert resp.status == 401 and (await resp.json())["description"] == "Unauthorized"


async def test_files_round_trip(emu):
    _, bot, client = emu
    from aiogram.types import BufferedInputFile

    sent = await bot.send_document(USER.id, BufferedInputFile(b"col\n1\n", filename="t.csv"), caption="file")
    assert sent.document.file_name == "t.csv"
    data = await bot.download(sent.document.file_id)
    assert data.read() == b"col\n1\n"
    assert await client.file(sent.document.file_id) == b"col\n1\n"


async def test_webhook_blocks_get_updates(emu):
    _, bot, _ = emu
    await bot.set_webhook("http://127.0.0.1:1/hook")
    with pytest.raises(TelegramBadRequest.__base__, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert isinstance(await bot.get_updates(timeout=0), list)


async def test_albums_hold_two_to_ten_items_with_one_group_id(emu):
    from aiogram.types import BufferedInputFile, InputMediaPhoto

    _, bot, _ = emu
    first = await bot.send_photo(USER.id, BufferedInputFile(b"\xff\xd8 jpeg", "a.jpg"))
    file_id = first.photo[-1].file_id
    album = await bot.send_media_group(
        USER.id,
        [
            InputMediaPhoto(media=file_id, caption="<b>before</b> and after", parse_mode="HTML"),
            InputMediaPhoto(media=file_id),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id is not None
    assert album[0].caption == "before and after" and album[1].caption is None
    with pytest.raises(TelegramBadRequest, match="must be 2-10"):
        await bot.send_media_group(USER.id, [InputMediaPhoto(media=file_id)])
    with pytest.raises(TelegramBadRequest, match="must be 2-10"):
        await bot.send_media_group(USER.id, [InputMediaPhoto(media=file_id)] * 11)
