"""/stats: an admin sees how notices fared, refused ones counted by kind, never their text."""

from bot.emulator.harness import TgUser
from notifications.outbox import enqueue
from tests.conftest import ADMIN

OWNER = TgUser(962000001, "Olga", language_code="en")


async def test_admin_sees_notices_refused_by_telegram_counted_by_kind(local):
    await local.client.send(ADMIN, "/start")
    await local.client.send(OWNER, "/start")
    bad = {"inline_keyboard": [[{"text": "看", "callback_data": "x" * 65}]]}
    async with local.app.sessions() as s:
        await enqueue(s, OWNER.id, "hazard", "秘密的隐患描述", dedupe_key="stats:bad", reply_markup=bad)
        await enqueue(s, OWNER.id, "reminder", "提醒", dedupe_key="stats:good")
        await s.commit()
    await local.flush()
    shown = (await local.client.send(ADMIN, "/stats")).text
    assert "Sent: 1" in shown and "refused by Telegram: 1" in shown
    assert "— hazard: 1" in shown and "秘密" not in shown
    refused = (await local.client.send(OWNER, "/stats")).text
    assert "refused by Telegram" not in refused
