"""Last resort, included last: every update gets a clear answer, none is ignored."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import BoundTranslator
from bot.ui import ask_again, asked_again, in_dialog
from bot.viewer import Viewer
from domain.roles import BY_NAME, allowed
from handlers.typed_press import TypedButton, typed_press


async def unknown_link(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("start.bad_link"))


async def command_fallback(message: Message, t: BoundTranslator, viewer: Viewer, state: FSMContext) -> None:
    name = message.text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(message.text) > 1 else ""
    spec = BY_NAME.get(name)
    if spec is None:
        await message.answer(t("fallback.unknown_command"))
    elif not allowed(spec, viewer.roles):
        await message.answer(t("fallback.not_allowed", roles=[t(f"role.{r}") for r in sorted(spec.roles)]))
    else:  # allowed, yet no handler took it (e.g. sent inside a caption)
        await message.answer(t("fallback.text"))
    if await _outside_dialog(state):
        return
    await _ask_again(message, t, state)  # a dialog is still waiting for its answer


async def text_fallback(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if await _outside_dialog(state):
        await message.answer(t("fallback.text"))
    elif not await _ask_again(message, t, state):
        await message.answer(t("fallback.in_dialog"))


async def content_fallback(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if await _outside_dialog(state) or not await _ask_again(message, t, state):
        await message.answer(t("fallback.unsupported"))


async def _outside_dialog(state: FSMContext) -> bool:
    """No dialog waits; a card shown last is left behind, its buttons no longer typed."""
    if await in_dialog(state):
        return False
    await state.clear()
    return True


async def _ask_again(message: Message, t: BoundTranslator, state: FSMContext) -> bool:
    """In a dialog, the question this answer missed, once more with its buttons: the one it
    answered may have scrolled out of sight."""
    if not await asked_again(state):
        return False
    await message.answer(t("fallback.ask_again"))
    return await ask_again(message, state)


# What to send again when a button of a finished or expired dialog is pressed, by the button's
# callback prefix; a prefix not listed points to /help.
RESTART = {
    "lang": "/language", "ov": "/overdue", "ovo": "/overdue", "rh": "/overdue", "ag": "/agencies", "fix": "/hazards",
    "tt": "/tip", "ttw": "/tip", "tc": "/tip", "fu": "/follow", "prof": "/enterprise", "cli": "/clients",
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
    router.message.register(typed_press, F.text, TypedButton())
    router.message.register(text_fallback, F.text)
    router.message.register(content_fallback)
    router.callback_query.register(stale_callback)
    return router
