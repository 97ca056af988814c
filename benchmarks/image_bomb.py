"""Other users are answered while a tipster's huge image is refused or decoded.

A tipster sends, in the photo step of /tip, (a) a 140 KB-class PNG of 12000×12000 pixels
(144 MP, over IMAGE_MAX_MEGAPIXELS: refused from its header), (b) a 20000×20000 PNG (over
Pillow's own bomb limit), (c) a 6000×6000 JPEG (36 MP, allowed: decoded and re-encoded in a
thread). While each is handled, an owner's /status is sent; its latency is printed against
/status alone (goal: under 200 ms, ratio near 1). Updates are fed to the real dispatcher as
production's polling feeds them (each its own task); the bot talks HTTP to the emulator.

    python benchmarks/image_bomb.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image
from pydantic import SecretStr

from bot.config import Settings
from bot.emulator.harness import DEMO_TOKEN, LocalRun, TgUser
from domain.synthetic import generate
from storage.clock import today, utcnow
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.users import accept_invite, create_invite

TIPSTER = TgUser(960000001, "Tipster", language_code="en")
OWNER = TgUser(960000002, "Owner", language_code="en")


def _png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, "PNG")
    return buf.getvalue()


def _jpeg(side: int) -> bytes:
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((side, side)).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


async def _county(url: str, folder: Path, tz) -> str:
    generate(folder, 200, seed=5, today=today(tz))
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as s:
        await import_directory(s, folder)
    uscc = (folder / "enterprises.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    async with sessions() as s:
        invite = await create_invite(s, "owner", uscc, None, 1, utcnow())
        await accept_invite(s, invite.code, OWNER.id, OWNER.first_name, utcnow(), "en")
    await engine.dispose()
    return uscc


def _button(reply, text: str) -> tuple[dict, str]:
    for message in reversed(reply.messages):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for b in row:
                if text in b["text"]:
                    return message, b["callback_data"]
    raise AssertionError(f"no button {text!r} in {reply.texts}")


async def _to_photo_step(run: LocalRun, name: str) -> None:
    await run.feed_message(TIPSTER, "/tip")
    found = await run.feed_message(TIPSTER, name)
    step = await run.feed_press(TIPSTER, *_button(found, name))
    step = await run.feed_press(TIPSTER, *_button(step, "Unsafe condition"))
    await run.feed_message(TIPSTER, "车间消防通道被货物堵死，已经好几个月了")


async def _status_ms(run: LocalRun) -> float:
    start = time.perf_counter()
    reply = await run.feed_message(OWNER, "/status")
    assert "Compliance" in reply.text or "indicators" in reply.text, reply.text
    return (time.perf_counter() - start) * 1000


async def _while(run: LocalRun, image: bytes, name: str) -> tuple[float, float, str]:
    """/status sent once the image's handling has started; (status ms, image ms, answer)."""
    calls = run.emulator.state.calls
    before = calls["getFile"]
    start = time.perf_counter()
    body = {"document_b64": base64.b64encode(image).decode(), "file_name": name}
    task = asyncio.create_task(run.feed_message(TIPSTER, **body))
    while calls["getFile"] == before:  # noqa: ASYNC110 - polls a counter the emulator bumps
        await asyncio.sleep(0.001)
    status = await _status_ms(run)
    reply = await task
    return status, (time.perf_counter() - start) * 1000, reply.text.split("\n")[0][:60]


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        settings = Settings(
            _env_file=None, database_url=url, tip_secret="b" * 40, bot_token=SecretStr(DEMO_TOKEN)
        )
        await _county(url, Path(tmp) / "county", settings.tz)
        name = (
            (Path(tmp) / "county" / "enterprises.csv")
            .read_text(encoding="utf-8")
            .splitlines()[1]
            .split(",")[1]
        )
        images = {
            "144 MP PNG bomb": (_png(12_000), "scan.png"),
            "400 MP PNG bomb": (_png(20_000), "scan.png"),
            "36 MP JPEG (allowed)": (_jpeg(6_000), "photo.jpg"),
        }
        async with LocalRun(settings, poll=False) as run:
            await _status_ms(run)  # warm up
            alone = [await _status_ms(run) for _ in range(rounds * 3)]
            base = statistics.median(alone)
            print(f"/status alone: median {base:.1f} ms, max {max(alone):.1f} ms ({len(alone)} runs)")
            for label, (data, fname) in images.items():
                figures = []
                for _ in range(rounds):
                    await _to_photo_step(run, name)
                    figures.append(await _while(run, data, fname))
                    await run.feed_message(TIPSTER, "/cancel")
                status = [f[0] for f in figures]
                handled = statistics.median(f[1] for f in figures)
                print(
                    f"{label:22s} {len(data) / 1024:7.0f} KB: handled in {handled:6.0f} ms "
                    f"(“{figures[0][2]}”); /status meanwhile median {statistics.median(status):.1f} ms, "
                    f"max {max(status):.1f} ms (goal < 200), ratio to alone {statistics.median(status) / base:.2f}"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
