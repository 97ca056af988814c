"""A local Bot API server for tests and the offline demo.

It answers the Bot API methods the bot uses as Telegram does (dates in seconds, HTML parse
errors, 4096-character limit, "message is not modified", `chat_instance` on callback
queries, an edit without a keyboard removes it, 404 for unknown methods) and offers a control
API under `/control/` with which a test or the demo acts as users and reads what the bot sent.
It can enforce Telegram's flood limits (a 429 starts a flood wait: calls before its
`retry_after` has passed are refused again, and the wait grows with repeated offences), add a
round trip to every call, and inject faults."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import mimetypes
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
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


class Emulator:
    def __init__(self) -> None:
        self.state = EmulatorState()
        self._changed = asyncio.Condition()
        self.first_poll = asyncio.Event()  # set when a bot first asks for updates
        self._closing = False
        self._ids = itertools.count(1)
        self.app = web.Application(client_max_size=64 * 1024**2)
        self.app.router.add_post("/bot{token}/{method}", self._api)
        self.app.router.add_get("/bot{token}/{method}", self._api)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        c = "/control"
        self.app.router.add_post(c + "/send", self._c_send)
        self.app.router.add_post(c + "/press", self._c_press)
        self.app.router.add_get(c + "/events", self._c_events)
        self.app.router.add_get(c + "/chats/{chat_id}", self._c_chat)
        self.app.router.add_get(c + "/files/{file_id}", self._c_file)
        self.app.router.add_get(c + "/commands", self._c_commands)
        self.app.router.add_get(c + "/stats", self._c_stats)
        self.app.router.add_post(c + "/limits", self._c_limits)
        self.app.router.add_post(c + "/latency", self._c_latency)
        self.app.router.add_post(c + "/faults", self._c_faults)
        self.app.router.add_post(c + "/block", self._c_block)
        self.app.router.add_post(c + "/faults/clear", self._c_clear_faults)
        self.app.router.add_post(c + "/users", self._c_users)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        # Release long polls at once, or the server would wait for them to time out.
        self._closing = True
        await self._notify()
        if self._runner:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_for(self, predicate, timeout: float) -> bool:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self._closing or predicate()), timeout)
            except TimeoutError:
                return False
        return True

    # ------------------------------------------------------------ Bot API

    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            return _error(ApiError(401, "Unauthorized"))
        self.state.bot_id = int(bot_id)
        params = await _params(request)
        handler = getattr(self, "m_" + method[:1].lower() + method[1:], None)
        self.state.calls[method] += 1
        if method in SENDING:
            self.state.active += 1
            self.state.peak = max(self.state.peak, self.state.active)
        try:
            return await self._answer(method, handler, params, request)
        finally:
            if method in SENDING:
                self.state.active -= 1

    async def _answer(self, method: str, handler, params: dict, request: web.Request) -> web.Response:
        # Half the round trip on the way there (limits count arrivals), half on the way back.
        await self._travel()
        try:
            await self._fault(method, request)
            if handler is None:
                raise ApiError(404, "Not Found")
            if method in SENDING:
                self._check_limits(_chat_id(params))
            result = await handler(params)
        except ApiError as exc:
            await self._travel()
            return _error(exc)
        except ConnectionResetError:
            return web.Response(status=499)  # nobody is listening any more
        await self._travel()
        return web.json_response({"ok": True, "result": result})

    async def _travel(self) -> None:
        if self.state.latency > 0:
            await self._wait_for(lambda: False, self.state.latency / 2)

    def _flood(self, wait: float, chat_id: int | None = None) -> ApiError:
        """A 429 whose retry_after covers the wait, longer for repeat offenders; calls before it
        has passed are refused again."""
        now = time.monotonic()
        strikes = self.state.strikes
        while strikes and now - strikes[0] > 60:
            strikes.popleft()
        strikes.append(now)
        retry_after = max(1, math.ceil(wait)) + len(strikes) // 5
        if chat_id is None:
            self.state.flood_until = max(self.state.flood_until, now + retry_after)
        else:
            self.state.chat_flood_until[chat_id] = now + retry_after
        return self._too_many(retry_after)

    def _too_many(self, retry_after: int) -> ApiError:
        self.state.too_many += 1
        return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    async def _fault(self, method: str, request: web.Request) -> None:
        for fault in self.state.faults:
            if fault.method not in ("*", method) or fault.count <= 0:
                continue
            if fault.after > 0:
                fault.after -= 1
                continue
            if fault.every:
                fault.seen += 1
                if fault.seen % fault.every:
                    continue
            fault.count -= 1
            if fault.delay:
                self.state.holding += 1
                await self._notify()
                await self._wait_for(lambda: False, fault.delay)  # ends early when the emulator stops
                self.state.holding -= 1
                if request.transport is None or request.transport.is_closing():
                    # The client went away while the request was held: it never arrived.
                    raise ConnectionResetError("client gone")
            if fault.status == 429:
                self.state.flood_until = time.monotonic() + fault.retry_after
                raise self._too_many(fault.retry_after)
            if fault.status >= 400:
                raise ApiError(
                    fault.status, "Internal Server Error" if fault.status >= 500 else "Bad Request"
                )
            return

    def _check_limits(self, chat_id: int) -> None:
        if chat_id in self.state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        now = time.monotonic()
        waits = [self.state.flood_until - now, self.state.chat_flood_until.get(chat_id, 0.0) - now]
        if max(waits) > 0:  # still in a flood wait: refused again, the wait unchanged
            raise self._too_many(math.ceil(max(waits)))
        if not self.state.enforce_limits:
            return
        window = self.state.sent_times
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= GLOBAL_PER_SECOND:
            raise self._flood(1.0 - (now - window[0]))
        last = self.state.chat_last_send.get(chat_id)
        if last is not None and now - last < PER_CHAT_INTERVAL:
            raise self._flood(PER_CHAT_INTERVAL - (now - last), chat_id)
        window.append(now)
        self.state.chat_last_send[chat_id] = now

    def _me(self) -> dict:
        return {
            "id": self.state.bot_id,
            "is_bot": True,
            "first_name": "Safety Bot",
            "username": self.state.bot_username,
        }

    async def m_getMe(self, p: dict) -> dict:
        return {
            **self._me(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def m_getUpdates(self, p: dict) -> list[dict]:
        if self.state.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self.first_poll.set()
        offset = int(p.get("offset") or 0)
        limit = min(100, int(p.get("limit") or 100))
        timeout = min(50.0, float(p.get("timeout") or 0))
        if offset:
            self.state.updates = [u for u in self.state.updates if u["update_id"] >= offset]
            if offset > self.state.acked:
                self.state.acked = offset
                await self._notify()
        await self._wait_for(lambda: bool(self.state.updates), timeout)
        return self.state.updates[:limit]

    async def m_setWebhook(self, p: dict) -> bool:
        self.state.webhook = {"url": p.get("url", ""), "secret_token": p.get("secret_token", "")}
        await self._notify()
        return True

    async def m_deleteWebhook(self, p: dict) -> bool:
        self.state.webhook = {}
        if _truthy(p.get("drop_pending_updates")):
            self.state.updates.clear()
        return True

    async def m_getWebhookInfo(self, p: dict) -> dict:
        return {
            "url": self.state.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }

    async def m_setMyCommands(self, p: dict) -> bool:
        commands = _json(p.get("commands"), [])
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for cmd in commands:
            name = cmd.get("command", "")
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(cmd.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = _json(p.get("scope"), {"type": "default"})
        self.state.commands[_scope_key(scope, p.get("language_code", ""))] = commands
        return True

    async def m_deleteMyCommands(self, p: dict) -> bool:
        self.state.commands.pop(
            _scope_key(_json(p.get("scope"), {"type": "default"}), p.get("language_code", "")), None
        )
        return True

    async def m_getMyCommands(self, p: dict) -> list[dict]:
        return self.state.commands.get(
            _scope_key(_json(p.get("scope"), {"type": "default"}), p.get("language_code", "")), []
        )

    async def m_sendChatAction(self, p: dict) -> bool:
        chat_id = self._known_chat(p)
        self._event(chat_id, "action", {"action": p.get("action", "")})
        await self._notify()
        return True

    async def m_sendMessage(self, p: dict) -> dict:
        chat_id = self._known_chat(p)
        text = _text(p.get("text", ""), p.get("parse_mode"), MAX_TEXT, "message")
        msg = self._bot_message(chat_id, {"text": text}, p)
        return await self._sent(chat_id, msg)

    async def m_sendPhoto(self, p: dict) -> dict:
        chat_id = self._known_chat(p)
        stored = self._file_param(p, "photo", "photo.jpg")
        extra = {"photo": [_photo_size(stored)]}
        if p.get("caption"):
            extra["caption"] = _text(p["caption"], p.get("parse_mode"), MAX_CAPTION, "caption")
        return await self._sent(chat_id, self._bot_message(chat_id, extra, p))

    async def m_sendDocument(self, p: dict) -> dict:
        chat_id = self._known_chat(p)
        stored = self._file_param(p, "document", "document")
        extra = {"document": _document(stored)}
        if p.get("caption"):
            extra["caption"] = _text(p["caption"], p.get("parse_mode"), MAX_CAPTION, "caption")
        return await self._sent(chat_id, self._bot_message(chat_id, extra, p))

    async def m_sendMediaGroup(self, p: dict) -> list[dict]:
        """An album: 2–10 photos or documents, each a message with the same media_group_id; a
        caption on an item, no inline keyboard (Telegram does not allow one on an album)."""
        chat_id = self._known_chat(p)
        media = _json(p.get("media"), [])
        if not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the group: must be 2-10")
        group = f"{next(self._ids)}{chat_id}"
        sent = []
        for item in media:
            kind = item.get("type")
            if kind not in ("photo", "document"):
                raise ApiError(400, f"Bad Request: unsupported media type {kind!r} in this emulator")
            stored = self._file_param({**p, kind: item.get("media")}, kind, f"{kind}.jpg")
            extra = {"media_group_id": group}
            extra.update(
                {"photo": [_photo_size(stored)]} if kind == "photo" else {"document": _document(stored)}
            )
            if item.get("caption"):
                extra["caption"] = _text(item["caption"], item.get("parse_mode"), MAX_CAPTION, "caption")
            msg = self._new_message(chat_id, self._me(), extra)
            self._event(chat_id, "message", {"message": msg})
            sent.append(msg)
        await self._notify()
        return sent

    async def m_editMessageText(self, p: dict) -> dict:
        chat_id, msg = self._bot_message_for_edit(p)
        text = _text(p.get("text", ""), p.get("parse_mode"), MAX_TEXT, "message")
        markup = _markup(p.get("reply_markup"))
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if msg["text"] == text and msg.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of the message",
            )
        msg["text"] = text
        _set_markup(msg, markup)
        msg["edit_date"] = int(time.time())
        self._event(chat_id, "edit", {"message": msg})
        await self._notify()
        return msg

    async def m_editMessageReplyMarkup(self, p: dict) -> dict:
        chat_id, msg = self._bot_message_for_edit(p)
        markup = _markup(p.get("reply_markup"))
        if msg.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of the message",
            )
        _set_markup(msg, markup)
        msg["edit_date"] = int(time.time())
        self._event(chat_id, "edit", {"message": msg})
        await self._notify()
        return msg

    async def m_deleteMessage(self, p: dict) -> bool:
        chat_id = self._known_chat(p)
        mid = int(p.get("message_id") or 0)
        msgs = self.state.chats[chat_id]
        for i, m in enumerate(msgs):
            if m["message_id"] == mid:
                del msgs[i]
                self._event(chat_id, "delete", {"message_id": mid})
                await self._notify()
                return True
        raise ApiError(400, "Bad Request: message to delete not found")

    async def m_answerCallbackQuery(self, p: dict) -> bool:
        cq = self.state.callbacks.get(str(p.get("callback_query_id", "")))
        if cq is None:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        if cq["answered"]:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        cq["answered"] = True
        text = p.get("text") or ""
        if len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._event(cq["chat_id"], "answer", {"text": text, "show_alert": _truthy(p.get("show_alert"))})
        await self._notify()
        return True

    async def m_getFile(self, p: dict) -> dict:
        stored = self.state.files.get(str(p.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored in self.state.files.values():
            if stored.path == path:
                return web.Response(body=stored.data)
        return web.Response(status=404, text="Not Found")

    # ------------------------------------------------------------ helpers

    def _known_chat(self, p: dict) -> int:
        chat_id = _chat_id(p)
        if chat_id > 0 and (chat_id not in self.state.users or chat_id in self.state.not_started):
            # A private chat exists only once the user has started the bot.
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat_id not in self.state.users and chat_id not in self.state.groups:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _chat(self, chat_id: int) -> dict:
        if chat_id in self.state.groups:
            return self.state.groups[chat_id]
        user = self.state.users[chat_id]
        chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", "")}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def _new_message(self, chat_id: int, sender: dict, extra: dict) -> dict:
        self.state.message_seq[chat_id] += 1
        msg = {
            "message_id": self.state.message_seq[chat_id],
            "from": sender,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **extra,
        }
        self.state.chats[chat_id].append(msg)
        return msg

    def _bot_message(self, chat_id: int, extra: dict, p: dict) -> dict:
        msg = self._new_message(chat_id, self._me(), extra)
        _set_markup(msg, _markup(p.get("reply_markup")))
        return msg

    async def _sent(self, chat_id: int, msg: dict) -> dict:
        self._event(chat_id, "message", {"message": msg})
        await self._notify()
        return msg

    def _bot_message_for_edit(self, p: dict) -> tuple[int, dict]:
        chat_id = self._known_chat(p)
        mid = int(p.get("message_id") or 0)
        for m in self.state.chats[chat_id]:
            if m["message_id"] == mid:
                if m["from"]["id"] != self.state.bot_id:
                    raise ApiError(400, "Bad Request: message can't be edited")
                return chat_id, m
        raise ApiError(400, "Bad Request: message to edit not found")

    def _event(self, chat_id: int, kind: str, data: dict) -> None:
        self.state.events.append(
            {"seq": len(self.state.events) + 1, "chat_id": chat_id, "kind": kind, **data}
        )

    def _store(self, data: bytes, kind: str, name: str, mime: str = "") -> StoredFile:
        n = next(self._ids)
        digest = hashlib.sha256(data).hexdigest()[:16]
        stored = StoredFile(
            file_id=f"{kind[:3].upper()}{n:06d}-{digest}",
            unique_id=digest,
            data=data,
            path=f"{kind}s/file_{n}{_suffix(name)}",
            name=name,
            mime=mime,
        )
        self.state.files[stored.file_id] = stored
        return stored

    def _file_param(self, p: dict, kind: str, default_name: str) -> StoredFile:
        value = p.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value.removeprefix("attach://"))
        if isinstance(value, web.FileField):
            return self._store(value.file.read(), kind, value.filename or default_name, value.content_type)
        if isinstance(value, str) and value in self.state.files:
            return self.state.files[value]
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------ control API

    def _user(self, raw: dict) -> dict:
        user = {"id": int(raw["id"]), "is_bot": False, "first_name": raw.get("first_name") or "User"}
        for key in ("last_name", "username", "language_code"):
            if raw.get(key):
                user[key] = raw[key]
        self.state.users[user["id"]] = user
        return user

    async def _enqueue(self, update: dict, chat_id: int, wait: bool, timeout: float) -> dict:
        mark = len(self.state.events)
        update_id = self.state.next_update_id
        self.state.next_update_id += 1
        update["update_id"] = update_id
        self.state.updates.append(update)
        await self._notify()
        if self.state.webhook.get("url"):
            asyncio.ensure_future(self._deliver_webhook(update))
        processed = True
        if wait:
            processed = await self._wait_for(lambda: self.state.acked > update_id, timeout)
        return {
            "update_id": update_id,
            "processed": processed,
            "events": [e for e in self.state.events[mark:] if e["chat_id"] == chat_id],
        }

    async def _deliver_webhook(self, update: dict) -> None:
        """POST the update to the webhook; like Telegram, retry until it is taken (or we stop)."""
        headers = {}
        if self.state.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.state.webhook["secret_token"]
        delay = 0.1
        while not self._closing and self.state.webhook.get("url"):
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(self.state.webhook["url"], json=update, headers=headers) as resp,
                ):
                    if resp.status < 300:
                        break
            except aiohttp.ClientError:
                pass
            await self._wait_for(lambda: False, delay)
            delay = min(delay * 2, 5.0)
        self.state.updates = [u for u in self.state.updates if u["update_id"] != update["update_id"]]
        self.state.acked = max(self.state.acked, update["update_id"] + 1)
        await self._notify()

    def message_update(self, body: dict) -> tuple[int, dict]:
        """A user's message as the update Telegram would deliver (body as /control/send takes)."""
        user = self._user(body["user"])
        self.state.not_started.discard(user["id"])  # writing to the bot starts the chat
        extra: dict[str, Any] = {}
        if "text" in body:
            extra["text"] = body["text"]
            if body["text"].startswith("/"):
                command = body["text"].split()[0]
                extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if "photo_b64" in body:
            stored = self._store(_b64(body["photo_b64"]), "photo", "photo.jpg", "image/jpeg")
            extra["photo"] = [_photo_size(stored)]
        if "document_b64" in body:
            name = body.get("file_name", "file")
            # Telegram reports the type the client declared, which clients take from the name.
            mime = body.get("mime_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
            stored = self._store(_b64(body["document_b64"]), "document", name, mime)
            extra["document"] = _document(stored)
        for key in CONTENT_KEYS:
            if key in body:
                extra[key] = body[key]
        if body.get("caption"):
            extra["caption"] = body["caption"]
        chat_id = user["id"]
        if body.get("group_id"):  # a message in a group the bot is a member of
            chat_id = int(body["group_id"])
            self.state.groups[chat_id] = {"id": chat_id, "type": "group", "title": f"Group {-chat_id}"}
        msg = self._new_message(chat_id, user, extra)
        return chat_id, {"message": msg}

    def press_update(self, body: dict) -> tuple[int, dict]:
        """A button press as the update Telegram would deliver (body as /control/press takes);
        LookupError when the message or its button does not exist."""
        user = self._user(body["user"])
        chat_id = int(body.get("chat_id", user["id"]))
        msg = next((m for m in self.state.chats[chat_id] if m["message_id"] == int(body["message_id"])), None)
        if msg is None:
            raise LookupError("no such message")
        data = body.get("data")
        if not body.get("forge"):
            buttons = [b for row in msg.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
            if "button" in body:
                index = int(body["button"])
                if not 0 <= index < len(buttons):
                    raise LookupError("no such button")
                data = buttons[index].get("callback_data")
            if data not in [b.get("callback_data") for b in buttons]:
                raise LookupError("no button with that data")
        cq_id = str(next(self._ids) * 7919 + 10**15)
        self.state.callbacks[cq_id] = {"chat_id": chat_id, "answered": False}
        instance = hashlib.sha256(f"{self.state.bot_id}:{chat_id}".encode()).hexdigest()[:19]
        update = {
            "callback_query": {
                "id": cq_id,
                "from": user,
                "message": msg,
                "chat_instance": str(int(instance, 16)),
                "data": data,
            }
        }
        return chat_id, update

    def callback_answered(self, update: dict) -> bool:
        return self.state.callbacks[update["callback_query"]["id"]]["answered"]

    async def _c_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat_id, update = self.message_update(body)
        result = await self._enqueue(update, chat_id, body.get("wait", True), body.get("timeout", 10))
        return web.json_response({"message_id": update["message"]["message_id"], **result})

    async def _c_press(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            chat_id, update = self.press_update(body)
        except LookupError as exc:
            return web.json_response({"error": str(exc)}, status=404)
        result = await self._enqueue(update, chat_id, body.get("wait", True), body.get("timeout", 10))
        result["answered"] = self.callback_answered(update)
        return web.json_response(result)

    async def _c_events(self, request: web.Request) -> web.Response:
        after = int(request.query.get("after", 0))
        chat = request.query.get("chat_id")
        count = int(request.query.get("count", 1))
        timeout = float(request.query.get("timeout", 0))

        def matching() -> list[dict]:
            return [e for e in self.state.events[after:] if chat is None or e["chat_id"] == int(chat)]

        await self._wait_for(lambda: len(matching()) >= count, timeout)
        return web.json_response({"events": matching(), "last": len(self.state.events)})

    async def _c_chat(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.chats.get(int(request.match_info["chat_id"]), []))

    async def _c_file(self, request: web.Request) -> web.Response:
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.data, headers={"X-File-Name": stored.name})

    async def _c_commands(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.commands)

    async def _c_stats(self, request: web.Request) -> web.Response:
        # ?holding=1 waits until a request is being held; ?messages=N until N were sent.
        holding, messages = int(request.query.get("holding", 0)), int(request.query.get("messages", 0))
        webhook = request.query.get("webhook") == "1"  # ?webhook=1 waits until a webhook is set
        await self._wait_for(
            lambda: (
                (not webhook or bool(self.state.webhook.get("url")))
                and self.state.holding >= holding
                and sum(1 for e in self.state.events if e["kind"] == "message") >= messages
            ),
            float(request.query.get("timeout", 0)),
        )
        return web.json_response(
            {
                "calls": self.state.calls,
                "too_many": self.state.too_many,
                "acked": self.state.acked,
                "pending": len(self.state.updates),
                "holding": self.state.holding,
                "peak": self.state.peak,
                "messages": sum(1 for e in self.state.events if e["kind"] == "message"),
                "webhook": self.state.webhook.get("url", ""),
            }
        )

    async def _c_limits(self, request: web.Request) -> web.Response:
        self.state.enforce_limits = bool((await request.json()).get("enforce", True))
        return web.json_response({"ok": True})

    async def _c_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.state.faults.append(
            Fault(
                body.get("method", "*"),
                int(body.get("status", 500)),
                int(body.get("count", 1)),
                float(body.get("delay", 0)),
                int(body.get("after", 0)),
                int(body.get("retry_after", 3)),
                int(body.get("every", 0)),
            )
        )
        return web.json_response({"ok": True})

    async def _c_latency(self, request: web.Request) -> web.Response:
        """Round trip (seconds) added to every Bot API call, as a distant Telegram would."""
        self.state.latency = max(0.0, float((await request.json()).get("seconds", 0)))
        return web.json_response({"ok": True})

    async def _c_clear_faults(self, request: web.Request) -> web.Response:
        self.state.faults.clear()
        return web.json_response({"ok": True})

    async def _c_users(self, request: web.Request) -> web.Response:
        """Register many users at once, as if each had opened the bot (for load tests);
        `"started": false` registers users who exist but never opened it."""
        body = await request.json()
        for raw in body["users"]:
            user_id = self._user(raw)["id"]
            if body.get("started", True):
                self.state.not_started.discard(user_id)
            else:
                self.state.not_started.add(user_id)
        return web.json_response({"ok": True})

    async def _c_block(self, request: web.Request) -> web.Response:
        body = await request.json()
        (self.state.blocked.add if body.get("blocked", True) else self.state.blocked.discard)(
            int(body["user_id"])
        )
        return web.json_response({"ok": True})


# ---------------------------------------------------------------- request parsing


async def _params(request: web.Request) -> dict:
    if request.content_type == "application/json":
        return await request.json()
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST":
        params.update(await request.post())
    return params


def _json(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


def _truthy(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def _chat_id(p: dict) -> int:
    try:
        return int(p.get("chat_id"))
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: chat not found") from None


def _text(raw: str, parse_mode: str | None, limit: int, what: str) -> str:
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


def _markup(raw: Any) -> dict | None:
    markup = _json(raw, None)
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


def _set_markup(msg: dict, markup: dict | None) -> None:
    # Only inline keyboards stay attached to a message; an edit without one removes it.
    if markup and "inline_keyboard" in markup:
        msg["reply_markup"] = markup
    else:
        msg.pop("reply_markup", None)


def _photo_size(stored: StoredFile) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "width": 800,
        "height": 600,
        "file_size": len(stored.data),
    }


def _document(stored: StoredFile) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_name": stored.name,
        "mime_type": stored.mime or "application/octet-stream",
        "file_size": len(stored.data),
    }


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def _scope_key(scope: dict, language: str) -> str:
    parts = [scope.get("type", "default")]
    if "chat_id" in scope:
        parts.append(str(scope["chat_id"]))
    if language:
        parts.append(language)
    return ":".join(parts)


def _b64(value: str) -> bytes:
    import base64

    return base64.b64decode(value)


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return web.json_response(body, status=exc.code)
