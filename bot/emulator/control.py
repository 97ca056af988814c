"""The control API under `/control/`: a test or the demo acts as users (messages, button
presses), reads what the bot sent and sets limits, latency and faults."""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from typing import Any

import aiohttp
from aiohttp import web

from bot.emulator.objects import (
    CONTENT_KEYS,
    Fault,
    b64,
    document_of,
    photo_size,
)


class ControlApi:
    """Mixed into `Emulator`: updates made on behalf of users and the `/control/` routes."""

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
            stored = self._store(b64(body["photo_b64"]), "photo", "photo.jpg", "image/jpeg")
            extra["photo"] = [photo_size(stored)]
        if "document_b64" in body:
            name = body.get("file_name", "file")
            # Telegram reports the type the client declared, which clients take from the name.
            mime = body.get("mime_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
            stored = self._store(b64(body["document_b64"]), "document", name, mime)
            extra["document"] = document_of(stored)
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
