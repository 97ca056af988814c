"""The bot running against the emulator in this process, and a client of the control API.

Shared by the offline demo and the end-to-end tests: the real dispatcher and aiohttp session
talk HTTP to the emulator. Updates are processed one at a time (not as tasks), so the
emulator knows an update is done when the bot asks for the next ones: no sleeps needed."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.app import App, build_app, on_startup
from bot.config import Settings
from bot.emulator.server import Emulator
from notifications.sender import CHAT_INTERVAL
from storage.migrate import upgrade

DEMO_TOKEN = "123456789:local-emulator-token"


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str = "User"
    last_name: str = ""
    username: str = ""
    language_code: str = "zh"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v != ""}


@dataclass
class Reply:
    """What the bot did in one chat in answer to one update."""

    events: list[dict]
    processed: bool
    answered: bool | None = None

    @property
    def messages(self) -> list[dict]:
        return [e["message"] for e in self.events if e["kind"] in ("message", "edit")]

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.messages]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def alerts(self) -> list[str]:
        return [e["text"] for e in self.events if e["kind"] == "answer"]

    def last_with_buttons(self) -> dict | None:
        return next((m for m in reversed(self.messages) if m.get("reply_markup")), None)


class EmulatorClient:
    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.http.close()

    async def _post(self, path: str, body: dict) -> dict:
        async with self.http.post(self.base + "/control" + path, json=body) as resp:
            data = await resp.json()
            if resp.status != 200:
                raise LookupError(data.get("error", resp.status))
            return data

    async def _get(self, path: str, **params: Any) -> Any:
        async with self.http.get(
            self.base + "/control" + path, params={k: str(v) for k, v in params.items()}
        ) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def send(self, user: TgUser, text: str | None = None, **extra: Any) -> Reply:
        body = {"user": user.as_dict(), **extra}
        if text is not None:
            body["text"] = text
        data = await self._post("/send", body)
        return Reply(data["events"], data["processed"])

    async def send_document(self, user: TgUser, name: str, content: bytes, caption: str = "") -> Reply:
        return await self.send(
            user, document_b64=base64.b64encode(content).decode(), file_name=name, caption=caption
        )

    async def send_photo(self, user: TgUser, content: bytes, caption: str = "") -> Reply:
        return await self.send(user, photo_b64=base64.b64encode(content).decode(), caption=caption)

    async def press(
        self,
        user: TgUser,
        message: dict,
        button: int | None = None,
        data: str | None = None,
        forge: bool = False,
    ) -> Reply:
        body: dict[str, Any] = {
            "user": user.as_dict(),
            "chat_id": message["chat"]["id"],
            "message_id": message["message_id"],
            "forge": forge,
        }
        if button is not None:
            body["button"] = button
        if data is not None:
            body["data"] = data
        result = await self._post("/press", body)
        return Reply(result["events"], result["processed"], result["answered"])

    async def chat(self, chat_id: int) -> list[dict]:
        return await self._get(f"/chats/{chat_id}")

    async def events(
        self, chat_id: int | None = None, after: int = 0, count: int = 1, timeout: float = 0
    ) -> dict:
        params: dict[str, Any] = {"after": after, "count": count, "timeout": timeout}
        if chat_id is not None:
            params["chat_id"] = chat_id
        return await self._get("/events", **params)

    async def file(self, file_id: str) -> bytes:
        async with self.http.get(f"{self.base}/control/files/{file_id}") as resp:
            resp.raise_for_status()
            return await resp.read()

    async def commands(self) -> dict[str, list[dict]]:
        return await self._get("/commands")

    async def stats(self, **wait: float) -> dict:
        """The emulator's counters; `holding=1` or `messages=N` (with `timeout`) wait for them."""
        return await self._get("/stats", **wait)

    async def control(self, what: str, **body: Any) -> None:
        await self._post("/" + what, body)


class LocalRun:
    """Emulator + migrated database + the bot polling it, for `async with`. With poll=False
    nothing polls: updates are handed to the dispatcher with `feed_*` (thousands a second,
    for benchmarks and fuzzing); the bot's requests still go over HTTP to the emulator."""

    def __init__(self, settings: Settings, poll: bool = True) -> None:
        self.settings = settings
        self.poll = poll
        self.emulator = Emulator()
        self.app: App | None = None
        self.client: EmulatorClient | None = None
        self._polling: asyncio.Task | None = None

    async def __aenter__(self) -> LocalRun:
        base = await self.emulator.start()
        self.settings = self.settings.model_copy(update={"telegram_api_url": base})
        if self.settings.bot_token is None:
            self.settings = self.settings.model_copy(update={"bot_token": SecretStr(DEMO_TOKEN)})
        await upgrade(self.settings.database_url)
        from bot.app import build_bot

        self.app = build_app(self.settings)
        self.bot = build_bot(self.settings)
        await on_startup(self.bot, self.app)
        self.client = EmulatorClient(base)
        if not self.poll:
            return self
        self._polling = asyncio.create_task(
            self.app.dispatcher.start_polling(
                self.bot,
                handle_as_tasks=False,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=5,
                app=self.app,
            )
        )
        await asyncio.wait_for(self.emulator.first_poll.wait(), 30)
        return self

    async def feed(self, chat_id: int, update: dict) -> Reply:
        """Process one update as polling would; what the bot did in that chat."""
        state = self.emulator.state
        update["update_id"] = state.next_update_id
        state.next_update_id += 1
        mark = len(state.events)
        await self.app.dispatcher.feed_raw_update(self.bot, update, app=self.app)
        events = [e for e in state.events[mark:] if e["chat_id"] == chat_id]
        answered = self.emulator.callback_answered(update) if "callback_query" in update else None
        return Reply(events, True, answered)

    async def feed_message(self, user: TgUser, text: str | None = None, **extra: Any) -> Reply:
        body = {"user": user.as_dict(), **extra}
        if text is not None:
            body["text"] = text
        return await self.feed(*self.emulator.message_update(body))

    async def feed_press(self, user: TgUser, message: dict, data: str | None, forge: bool = True) -> Reply:
        body = {"user": user.as_dict(), "chat_id": message["chat"]["id"], "message_id": message["message_id"]}
        return await self.feed(*self.emulator.press_update({**body, "data": data, "forge": forge}))

    async def flush(self) -> int:
        """Send every notice due in the outbox, waiting out the per-chat spacing."""
        return await self.app.sender.flush(self.bot, horizon=2 * CHAT_INTERVAL)

    async def __aexit__(self, *exc: object) -> None:
        if self._polling is not None:
            with contextlib.suppress(RuntimeError):
                await self.app.dispatcher.stop_polling()
            await self._polling
        await self.client.close()
        await self.app.sender.close()  # sends started by handlers finish before the session closes
        await self.bot.session.close()
        await self.app.close()
        await self.emulator.stop()
