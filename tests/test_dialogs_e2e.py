"""Bad input never breaks a dialog, over HTTP against the emulator."""

import logging

from sqlalchemy import func, select

from bot.emulator.harness import TgUser
from domain.uscc import complete
from storage.models import Agency, Enterprise
from tests.conftest import ADMIN
from tests.test_typed_buttons_e2e import STICKER

STRANGER = TgUser(930000004, "Sam", "Stranger", "sam_s", "en")


def _no_errors_logged(caplog) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_unknown_command_and_plain_text_get_clear_answers(local, caplog):
    assert "There is no such command" in (await local.client.send(STRANGER, "/frobnicate now")).text
    assert "I did not understand that" in (await local.client.send(STRANGER, "hello?")).text
    assert "/help" in (await local.client.send(STRANGER, "x" * 5000)).text
    _no_errors_logged(caplog)


async def test_unsupported_content_types_are_answered(local, caplog):
    for extra in (STICKER, {"location": {"latitude": 29.3, "longitude": 121.4}}):
        reply = await local.client.send(STRANGER, **extra)
        assert "This kind of message is not supported" in reply.text
    reply = await local.client.send_photo(STRANGER, b"\x89PNG fake")
    assert "not supported" in reply.text
    _no_errors_logged(caplog)


async def test_text_where_a_button_is_expected_keeps_the_dialog(local, caplog):
    start = await local.client.send(ADMIN, "/import")
    keyboard = start.last_with_buttons()
    assert keyboard is not None and "Which kind of data" in start.text

    nudge = await local.client.send(ADMIN, "agencies please")
    assert "Please choose with the buttons above" in nudge.text
    assert nudge.last_with_buttons() is not None  # the buttons are offered again

    long = await local.client.send(ADMIN, "y" * 5000)
    assert "Please choose with the buttons" in long.text

    chosen = await local.client.press(ADMIN, keyboard, data="imp:agencies")
    assert chosen.answered
    assert "Send the CSV or XLSX file of “agencies”" in chosen.text
    # The edited prompt lost its keyboard, as Telegram does on an edit without one.
    assert "reply_markup" not in chosen.messages[-1]

    assert "Please send a CSV or XLSX file" in (await local.client.send(ADMIN, "here it comes")).text
    done = await local.client.send_document(ADMIN, "agencies.csv", "code,name\nAGZ,新机构\n".encode())
    assert "inserted 1" in done.text
    assert "There is nothing to cancel" in (await local.client.send(ADMIN, "/cancel")).text
    _no_errors_logged(caplog)


async def test_cancel_works_at_every_step_and_stores_nothing(local, seeded):
    async with seeded() as s:
        before = await s.scalar(select(func.count()).select_from(Agency))
    await local.client.send(ADMIN, "/import")
    assert "Cancelled. Nothing was saved." in (await local.client.send(ADMIN, "/cancel")).text
    start = await local.client.send(ADMIN, "/import")
    await local.client.press(ADMIN, start.last_with_buttons(), data="imp:agencies")
    assert "Cancelled" in (await local.client.send(ADMIN, "/cancel")).text
    # After cancelling, a document without a caption is not imported.
    after = await local.client.send_document(ADMIN, "agencies.csv", "code,name\nAGQ,取消后\n".encode())
    assert "not supported" in after.text
    async with seeded() as s:
        assert await s.scalar(select(func.count()).select_from(Agency)) == before


async def test_forged_callbacks_are_refused_and_change_nothing(local, caplog):
    menu = await local.client.send(ADMIN, "/import")
    keyboard = menu.last_with_buttons()
    # Garbage data, a kind that does not exist, and an admin's button pressed by a stranger.
    for user, data in ((ADMIN, "zzz"), (ADMIN, "imp:passwords"), (STRANGER, "imp:agencies")):
        reply = await local.client.press(user, keyboard, data=data, forge=True)
        assert reply.answered
        expected = "This button has expired. Send /help" if data == "zzz" else "no longer valid, or not yours"
        assert expected in reply.alerts[0]
    # The admin's dialog is still waiting for a kind.
    assert "Please choose with the buttons" in (await local.client.send(ADMIN, "?")).text
    _no_errors_logged(caplog)


async def test_a_button_of_a_finished_dialog_says_what_to_send_again(local):
    menu = await local.client.send(ADMIN, "/import")
    await local.client.send(ADMIN, "/cancel")
    reply = await local.client.press(ADMIN, menu.last_with_buttons(), button=0)
    assert reply.alerts == ["This button has expired (its dialog ended). Please send /import again."]


async def test_import_in_chat_reports_bad_lines_and_writes_nothing(local, seeded):
    good = complete("91330226DDDDDDDDD")
    wrong = good[:-1] + ("1" if good[-1] == "0" else "0")
    body = f"uscc,name,division\n{good},甲,330226100\n{wrong},乙,330226100\n,丙,3302\n".encode()
    reply = await local.client.send_document(ADMIN, "e.csv", body, caption="enterprises")
    assert "Line 3: wrong check character" in reply.text
    assert "Line 4: “uscc” is missing" in reply.text
    assert "nothing from this file was written" in reply.text
    async with seeded() as s:
        assert await s.scalar(select(Enterprise).where(Enterprise.uscc == good)) is None
    ok = await local.client.send_document(
        ADMIN, "e.csv", f"uscc,name,division\n{good},甲,330226100\n".encode(), caption="enterprises"
    )
    assert "inserted 1" in ok.text


async def test_import_is_for_admins_only(local):
    reply = await local.client.send_document(
        STRANGER, "e.csv", b"uscc,name,division\n", caption="enterprises"
    )
    assert "not supported" in reply.text
    assert "This command is for admin only" in (await local.client.send(STRANGER, "/import")).text


async def test_language_choice_is_remembered(local):
    menu = await local.client.send(STRANGER, "/language")
    saved = await local.client.press(STRANGER, menu.last_with_buttons(), button=0)
    assert "语言已设置为中文" in saved.text
    assert "您可以使用" in (await local.client.send(STRANGER, "/help")).text
    assert "不支持的语言" in (await local.client.send(STRANGER, "/language fr")).text
    assert "Language set to English" in (await local.client.send(STRANGER, "/language en")).text
    assert "You can use" in (await local.client.send(STRANGER, "/help")).text
