"""The emulator's own objects and request parsing: Telegram's limits, the errors it answers,
faults a test injects, files it stores and what it remembers of chats and users."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.emulator.html import EntityParseError, parse_html

MAX_TEXT = 4096
MAX_CAPTION = 1024
GLOBAL_PER_SECOND = 30
PER_CHAT_INTERVAL = 1.0


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class Fault:
    method: str  # "*" for any
    status: int = 500  # 0: no error, only the delay; 429 answers with retry_after
    count: int = 1
    delay: float = 0.0
    after: int = 0  # let this many matching calls through first
    retry_after: int = 3  # for status 429
    every: int = 0  # only every N-th matching call (a 1% error rate: every=100)
    seen: int = 0


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    path: str
    data: bytes
    name: str = ""
    mime: str = ""


@dataclass
class EmulatorState:
    bot_id: int = 0
    bot_username: str = "safety_demo_bot"
    updates: list[dict] = field(default_factory=list)
    next_update_id: int = 1
    acked: int = 0  # every update with a smaller id has been processed by the bot
    chats: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    users: dict[int, dict] = field(default_factory=dict)
    groups: dict[int, dict] = field(default_factory=dict)  # group chats (negative ids) by id
    message_seq: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    events: list[dict] = field(default_factory=list)  # what the bot did, in order
    files: dict[str, StoredFile] = field(default_factory=dict)
    commands: dict[str, list[dict]] = field(default_factory=dict)
    callbacks: dict[str, dict] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    not_started: set[int] = field(default_factory=set)  # known users who never opened the bot
    latency: float = 0.0  # seconds of round trip added to every Bot API call
    faults: list[Fault] = field(default_factory=list)
    enforce_limits: bool = False
    sent_times: deque = field(default_factory=deque)
    chat_last_send: dict[int, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    too_many: int = 0
    flood_until: float = 0.0  # the whole bot waits (global limit or an injected 429)
    chat_flood_until: dict[int, float] = field(default_factory=dict)
    strikes: deque = field(default_factory=deque)  # times of recent 429s: repeat offenders wait longer
    holding: int = 0  # requests held by a delay fault right now
    active: int = 0  # sending calls being answered right now
    peak: int = 0  # the most sending calls answered at once


SENDING = {"sendMessage", "sendPhoto", "sendDocument"}
# Message contents a test passes through as they are (Telegram's objects, as dicts).
CONTENT_KEYS = (
    "sticker",
    "location",
    "contact",
    "voice",
    "video",
    "video_note",
    "audio",
    "animation",
    "poll",
    "dice",
    "venue",
)


async def params_of(request: web.Request) -> dict:
    if request.content_type == "application/json":
        return await request.json()
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST":
        params.update(await request.post())
    return params


def json_param(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


def truthy(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def chat_id_of(p: dict) -> int:
    try:
        return int(p.get("chat_id"))
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: chat not found") from None


def checked_text(raw: str, parse_mode: str | None, limit: int, what: str) -> str:
    text = raw
    if parse_mode == "HTML":
        try:
            text = parse_html(raw)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    if not text.strip():
        raise ApiError(400, f"Bad Request: {what} text is empty")
    if len(text) > limit:
        raise ApiError(400, f"Bad Request: {what} is too long")
    return text


def markup_of(raw: Any) -> dict | None:
    markup = json_param(raw, None)
    if not markup:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    return markup


def set_markup(msg: dict, markup: dict | None) -> None:
    # Only inline keyboards stay attached to a message; an edit without one removes it.
    if markup and "inline_keyboard" in markup:
        msg["reply_markup"] = markup
    else:
        msg.pop("reply_markup", None)


def photo_size(stored: StoredFile) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "width": 800,
        "height": 600,
        "file_size": len(stored.data),
    }


def document_of(stored: StoredFile) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_name": stored.name,
        "mime_type": stored.mime or "application/octet-stream",
        "file_size": len(stored.data),
    }


def suffix_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def scope_key(scope: dict, language: str) -> str:
    parts = [scope.get("type", "default")]
    if "chat_id" in scope:
        parts.append(str(scope["chat_id"]))
    if language:
        parts.append(language)
    return ":".join(parts)


def b64(value: str) -> bytes:
    import base64

    return base64.b64decode(value)


def error_response(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return web.json_response(body, status=exc.code)
