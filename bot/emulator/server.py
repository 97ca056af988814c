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
import itertools
import math
import time

from aiohttp import web

from bot.emulator.control import ControlApi
from bot.emulator.methods import BotApiMethods
from bot.emulator.objects import (
    GLOBAL_PER_SECOND,
    PER_CHAT_INTERVAL,
    SENDING,
    ApiError,
    EmulatorState,
    chat_id_of,
    error_response,
    params_of,
)


class Emulator(BotApiMethods, ControlApi):
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
            return error_response(ApiError(401, "Unauthorized"))
        self.state.bot_id = int(bot_id)
        params = await params_of(request)
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
                self._check_limits(chat_id_of(params))
            result = await handler(params)
        except ApiError as exc:
            await self._travel()
            return error_response(exc)
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
