"""The public site beside the bot for tests: a free port, PUBLIC_BASE_URL pointing at it."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import aiohttp

from bot.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_site(settings: Settings) -> Settings:
    port = free_port()
    return settings.model_copy(
        update={"web_listen": f"127.0.0.1:{port}", "public_base_url": f"http://127.0.0.1:{port}"}
    )


@dataclass
class Site:
    base: str
    http: aiohttp.ClientSession

    async def get(self, path: str, **kw) -> tuple[aiohttp.ClientResponse, str]:
        async with self.http.get(self.base + path, allow_redirects=False, **kw) as resp:
            return resp, await resp.text()

    async def post(self, path: str, data, **kw) -> tuple[aiohttp.ClientResponse, str]:
        async with self.http.post(self.base + path, data=data, allow_redirects=False, **kw) as resp:
            return resp, await resp.text()
