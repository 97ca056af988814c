"""Last resort, included last: every update gets a clear answer, none is ignored."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import BoundTranslator
from bot.viewer import Viewer
from domain.roles import BY_NAME, allowed


async def unknown_link(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("start.bad_link"))


async def command_fallback(message: Message, t: BoundTranslator, viewer: Viewer) -> None:
    name = message.text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(message.text) > 1 else ""
    spec = BY_NAME.get(name)
    if spec is None:
        await message.answer(t("fallback.unknown_command"))
    elif not allowed(spec, viewer.roles):
        await message.answer(t("fallback.not_allowed", roles=[t(f"role.{r}") for r in sorted(spec.roles)]))
    else:  # allowed, yet no handler took it (e.g. sent inside a caption)
        await message.answer(t("fallback.text"))


async def text_fallback(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    key = "fallback.in_dialog" if await state.get_state() else "fallback.text"
    await message.answer(t(key))


async def content_fallback(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("fallback.unsupported"))


# What to send again when a button of a finished or expired dialog is pressed, by the button's
# callback prefix; a prefix not listed points to /help.
RESTART = {
    "lang": "/language", "ov": "/overdue", "rh": "/overdue", "ag": "/agencies", "fix": "/hazards",
    "tt": "/tip", "tc": "/tip", "fu": "/follow", "prof": "/enterprise", "cli": "/clients",
    "vk": "/visit", "pv": "/hazard", "lv": "/hazard", "vf": "/verify", "vw": "/verify",
    "rate": "/rate", "own": "/status", "imp": "/import", "tip": "/tips", "ta": "/tips",
}  # fmt: skip


async def stale_callback(query: CallbackQuery, t: BoundTranslator, viewer: Viewer) -> None:
    command = RESTART.get((query.data or "").split(":", 1)[0])
    if command and not allowed(BY_NAME[command[1:]], viewer.roles):
        text = t("callback.invalid")  # not this person's button: no hint at what it opens
    elif command == "/follow":
        text = t("callback.stale_follow")
    elif command:
        text = t("callback.stale", command=command)
    else:
        text = t("callback.stale_help")
    await query.answer(text, show_alert=True)


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_link, CommandStart(deep_link=True))
    router.message.register(command_fallback, F.text.startswith("/"))
    router.message.register(text_fallback, F.text)
    router.message.register(content_fallback)
    router.callback_query.register(stale_callback)
    return router
