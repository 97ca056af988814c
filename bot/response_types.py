"""aiogram checks every Bot API answer with `Response[method.__returning__]`, a pydantic generic
class made on first use. pydantic keeps such classes only by weak reference, so a full garbage
collection frees them and the next call builds the class again (~1 ms of schema work on top of
an update, most of /status's p95). Holding each one made keeps it for the life of the process:
a few dozen classes, one per result type the bot meets."""

from __future__ import annotations

from typing import Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod

_KEPT: dict[Any, type] = {}


class KeepResponseTypes(BaseRequestMiddleware):
    async def __call__(
        self, make_request: NextRequestMiddlewareType, bot: Any, method: TelegramMethod
    ) -> Any:
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # the very class aiogram's check_response uses
        return await make_request(bot, method)
