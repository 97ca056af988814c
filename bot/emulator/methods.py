"""The Bot API methods the bot calls, answered as Telegram answers them."""

from __future__ import annotations

import hashlib
import time

from aiohttp import web

from bot.emulator.objects import (
    MAX_CAPTION,
    MAX_TEXT,
    ApiError,
    StoredFile,
    chat_id_of,
    checked_text,
    document_of,
    json_param,
    markup_of,
    photo_size,
    scope_key,
    set_markup,
    suffix_of,
    truthy,
)


class BotApiMethods:
    """Mixed into `Emulator`: `m_<method>` answers one Bot API method."""

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
        if truthy(p.get("drop_pending_updates")):
            self.state.updates.clear()
        return True

    async def m_getWebhookInfo(self, p: dict) -> dict:
        return {
            "url": self.state.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }

    async def m_setMyCommands(self, p: dict) -> bool:
        commands = json_param(p.get("commands"), [])
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for cmd in commands:
            name = cmd.get("command", "")
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(cmd.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json_param(p.get("scope"), {"type": "default"})
        self.state.commands[scope_key(scope, p.get("language_code", ""))] = commands
        return True

    async def m_deleteMyCommands(self, p: dict) -> bool:
        self.state.commands.pop(
            scope_key(json_param(p.get("scope"), {"type": "default"}), p.get("language_code", "")), None
        )
        return True

    async def m_getMyCommands(self, p: dict) -> list[dict]:
        return self.state.commands.get(
            scope_key(json_param(p.get("scope"), {"type": "default"}), p.get("language_code", "")), []
        )

    async def m_sendChatAction(self, p: dict) -> bool:
        chat_id = self._known_chat(p)
        self._event(chat_id, "action", {"action": p.get("action", "")})
        await self._notify()
        return True

    async def m_sendMessage(self, p: dict) -> dict:
        chat_id = self._known_chat(p)
        text = checked_text(p.get("text", ""), p.get("parse_mode"), MAX_TEXT, "message")
        msg = self._bot_message(chat_id, {"text": text}, p)
        return await self._sent(chat_id, msg)

    async def m_sendPhoto(self, p: dict) -> dict:
        chat_id = self._known_chat(p)
        stored = self._file_param(p, "photo", "photo.jpg")
        extra = {"photo": [photo_size(stored)]}
        if p.get("caption"):
            extra["caption"] = checked_text(p["caption"], p.get("parse_mode"), MAX_CAPTION, "caption")
        return await self._sent(chat_id, self._bot_message(chat_id, extra, p))

    async def m_sendDocument(self, p: dict) -> dict:
        chat_id = self._known_chat(p)
        stored = self._file_param(p, "document", "document")
        extra = {"document": document_of(stored)}
        if p.get("caption"):
            extra["caption"] = checked_text(p["caption"], p.get("parse_mode"), MAX_CAPTION, "caption")
        return await self._sent(chat_id, self._bot_message(chat_id, extra, p))

    async def m_sendMediaGroup(self, p: dict) -> list[dict]:
        """An album: 2–10 photos or documents, each a message with the same media_group_id; a
        caption on an item, no inline keyboard (Telegram does not allow one on an album)."""
        chat_id = self._known_chat(p)
        media = json_param(p.get("media"), [])
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
                {"photo": [photo_size(stored)]} if kind == "photo" else {"document": document_of(stored)}
            )
            if item.get("caption"):
                extra["caption"] = checked_text(
                    item["caption"], item.get("parse_mode"), MAX_CAPTION, "caption"
                )
            msg = self._new_message(chat_id, self._me(), extra)
            self._event(chat_id, "message", {"message": msg})
            sent.append(msg)
        await self._notify()
        return sent

    async def m_editMessageText(self, p: dict) -> dict:
        chat_id, msg = self._bot_message_for_edit(p)
        text = checked_text(p.get("text", ""), p.get("parse_mode"), MAX_TEXT, "message")
        markup = markup_of(p.get("reply_markup"))
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if msg["text"] == text and msg.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of the message",
            )
        msg["text"] = text
        set_markup(msg, markup)
        msg["edit_date"] = int(time.time())
        self._event(chat_id, "edit", {"message": msg})
        await self._notify()
        return msg

    async def m_editMessageReplyMarkup(self, p: dict) -> dict:
        chat_id, msg = self._bot_message_for_edit(p)
        markup = markup_of(p.get("reply_markup"))
        if msg.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of the message",
            )
        set_markup(msg, markup)
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
        self._event(cq["chat_id"], "answer", {"text": text, "show_alert": truthy(p.get("show_alert"))})
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
        chat_id = chat_id_of(p)
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
        set_markup(msg, markup_of(p.get("reply_markup")))
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
            path=f"{kind}s/file_{n}{suffix_of(name)}",
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
