"""Unexpected failures (registered on the dispatcher, so every router's errors reach it): logged
without the update (it may identify a tipster) and with the traceback redacted, answered kindly."""

from __future__ import annotations

import logging
import traceback

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.i18n import BoundTranslator
from bot.logs import redact

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, t: BoundTranslator | None = None) -> bool:
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
