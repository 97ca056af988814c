"""Unexpected failures (registered on the dispatcher, so every router's errors reach it): logged
without the update (it may identify a tipster) and with the traceback redacted, answered kindly."""

from __future__ import annotations

import contextlib
import logging
import traceback

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import ErrorEvent

from bot.i18n import BoundTranslator
from bot.logs import redact

log = logging.getLogger(__name__)


def unchanged(exc: BaseException) -> bool:
    """Telegram refuses an edit that changes nothing: a page button pressed for the page on
    screen, a button pressed twice. The user already sees what they asked for."""
    return isinstance(exc, TelegramBadRequest) and "message is not modified" in exc.message


async def on_error(event: ErrorEvent, t: BoundTranslator | None = None) -> bool:
    if unchanged(event.exception):
        if query := event.update.callback_query:
            with contextlib.suppress(TelegramAPIError):
                await query.answer()
        return True
    log.error(
        "update %s failed: %s\n%s",
        event.update.update_id,
        type(event.exception).__name__,
        redact("".join(traceback.format_exception(event.exception))),
    )
    if t is None:
        return True
    text = t("error.generic")
    try:
        if event.update.message:
            await event.update.message.answer(text)
        elif event.update.callback_query:
            await event.update.callback_query.answer(text, show_alert=True)
    except TelegramAPIError:
        log.warning("could not tell the user about a failed update")
    return True
