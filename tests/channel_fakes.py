"""Local stand-ins for the platforms, strict as they are: WeCom's and DingTalk's robot APIs
(payload checks, DingTalk's signature, 20 messages a minute per robot and the documented
error past it) and a real SMTP server (aiosmtpd) keeping what it receives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import defaultdict, deque
from email import message_from_bytes, policy

from aiohttp import web
from aiosmtpd.controller import Controller

LIMIT = 20


class FakeRobots:
    def __init__(self) -> None:
        self.wecom_keys: set[str] = set()
        self.dingtalk: dict[str, str] = {}  # access token -> signing secret
        self.received: list[tuple[str, str, dict]] = []  # platform, robot, message
        self.refused: list[tuple[str, int]] = []
        self.media: dict[str, tuple[str, bytes]] = {}
        self._sent: dict[str, deque] = defaultdict(deque)
        self.runner: web.AppRunner | None = None
        self.base = ""

    def _over_limit(self, robot: str) -> bool:
        now = time.monotonic()
        window = self._sent[robot]
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= LIMIT:
            return True
        window.append(now)
        return False

    def _refuse(self, platform: str, code: int, msg: str) -> web.Response:
        self.refused.append((platform, code))
        return web.json_response({"errcode": code, "errmsg": msg})

    async def wecom_send(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        if key not in self.wecom_keys:
            return self._refuse("wecom", 93000, "invalid webhook url")
        body = await request.json()
        kind = body.get("msgtype")
        if kind == "markdown":
            ok = 0 < len(body["markdown"]["content"].encode()) <= 4096
        elif kind == "image":
            data = base64.b64decode(body["image"]["base64"])
            ok = hashlib.md5(data).hexdigest() == body["image"]["md5"] and len(data) <= 2 * 1024 * 1024
        elif kind == "file":
            ok = body["file"]["media_id"] in self.media
        else:
            ok = False
        if not ok:
            return self._refuse("wecom", 40008, "invalid message type")
        if self._over_limit(f"wecom:{key}"):
            return self._refuse("wecom", 45009, "api freq out of limit")
        self.received.append(("wecom", key, body))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def wecom_upload(self, request: web.Request) -> web.Response:
        if request.query.get("key") not in self.wecom_keys or request.query.get("type") != "file":
            return self._refuse("wecom", 93000, "invalid webhook url")
        form = await request.post()
        media = form["media"]
        media_id = f"m{len(self.media)}"
        self.media[media_id] = (media.filename, media.file.read())
        return web.json_response({"errcode": 0, "errmsg": "ok", "type": "file", "media_id": media_id})

    async def dingtalk_send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        secret = self.dingtalk.get(token)
        if secret is None:
            return self._refuse("dingtalk", 300001, "token is not exist")
        timestamp = request.query.get("timestamp", "")
        expected = base64.b64encode(
            hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        ).decode()
        fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000
        if not fresh or request.query.get("sign") != expected:
            return self._refuse("dingtalk", 310000, "sign not match")
        body = await request.json()
        md = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
            return self._refuse("dingtalk", 40035, "missing parameter")
        if self._over_limit(f"dingtalk:{token}"):
            return self._refuse("dingtalk", 130101, "send too fast, exceed 20 times per minute")
        self.received.append(("dingtalk", token, body))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def fill(self, platform: str, robot: str) -> None:
        """Messages sent to this robot from elsewhere in the last minute, up to the limit."""
        self._sent[f"{platform}:{robot}"].extend([time.monotonic()] * LIMIT)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self.wecom_send)
        app.router.add_post("/cgi-bin/webhook/upload_media", self.wecom_upload)
        app.router.add_post("/robot/send", self.dingtalk_send)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        await self.runner.cleanup()


class Mailbox:
    """aiosmtpd's handler: every message received, parsed."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


def smtp_server(port: int) -> tuple[Controller, Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, box
