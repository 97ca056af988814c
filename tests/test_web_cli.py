"""The public site from the command line: `web` alone, beside `run`, and in the demo."""

import asyncio
import signal

import aiohttp

from bot.emulator.harness import DEMO_TOKEN
from bot.emulator.server import Emulator
from tests.conftest import TIP_SECRET
from tests.test_cli import cli, spawn
from tests.web_site import free_port

SECRET = TIP_SECRET


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.text()


async def test_web_serves_the_site_and_stops_on_sigterm(tmp_path):
    port = free_port()
    proc = await spawn(tmp_path, "web", WEB_LISTEN=f"127.0.0.1:{port}", TIP_SECRET=SECRET)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert f"public site at http://127.0.0.1:{port}" in line.decode()
        status, html = await _get(f"http://127.0.0.1:{port}/agencies?lang=en")
        assert status == 200 and "Service agencies and their credit grades" in html
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0 and "Traceback" not in out.decode()
    finally:
        if proc.returncode is None:
            proc.kill()


async def test_web_needs_its_address(tmp_path):
    code, out = await cli(tmp_path, "web", TIP_SECRET=SECRET)
    assert code == 2 and "WEB_LISTEN is not set" in out


async def test_run_serves_the_site_beside_polling(tmp_path):
    emulator = Emulator()
    base = await emulator.start()
    port = free_port()
    proc = await spawn(
        tmp_path,
        "run",
        BOT_TOKEN=DEMO_TOKEN,
        TELEGRAM_API_URL=base,
        TIP_SECRET=SECRET,
        WEB_LISTEN=f"127.0.0.1:{port}",
    )
    try:
        await asyncio.wait_for(emulator.first_poll.wait(), 60)
        status, html = await _get(f"http://127.0.0.1:{port}/follow")
        assert status == 200 and "Follow a tip with its receipt" in html
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, out.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
        await emulator.stop()


async def test_demo_prints_the_site_address(tmp_path):
    (tmp_path / "script.txt").write_text(":quit\n", encoding="utf-8")
    port = free_port()
    code, out = await cli(
        tmp_path, "demo", "--script", "script.txt", "--enterprises", "20", WEB_LISTEN=f"127.0.0.1:{port}"
    )
    assert code == 0, out
    assert f"Public web site at http://127.0.0.1:{port}" in out
