"""`python -m bot demo`: the whole product offline. The local emulator stands in for Telegram,
a generated county for real data, and a console chat lets a person act as each role."""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path, PurePath

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.emulator.harness import DEMO_TOKEN, LocalRun, Reply, TgUser
from domain.anonymity import TipKeys
from domain.synthetic import generate
from storage.clock import today, utcnow
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.models import Agency, Contract, Enterprise, Hazard, Rating, Visit
from storage.users import accept_invite, create_invite

PERSONAS = {
    "owner": TgUser(2001, "王", "厂长", "demo_owner"),
    "staff": TgUser(3001, "李", "工程师", "demo_staff"),
    "regulator": TgUser(4001, "张", "科长", "demo_regulator"),
    "employee": TgUser(5001, "员工"),
    "admin": TgUser(1001, "管理员", "", "demo_admin"),
}
HELP = """Console commands:
  :as owner|staff|regulator|employee|admin   act as another person (shows what they were sent meanwhile)
  #N  (or :press N)                          press button N of the last message with buttons
  :photo [PATH]                              send a photo (without PATH: a built-in sample photo)
  :file PATH                                 send a file (CSV, XLSX, PDF …)
  :paste                                     send several lines as one message; end with a line "."
  :who                                       who you are now
  :quit                                      leave the demo
Anything else is sent to the bot as a message from the current person."""


async def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    if settings.log_level != "DEBUG":
        logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="safety-bot-demo-") as tmp:
        settings = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{tmp}/demo.db",
                "bot_token": SecretStr(DEMO_TOKEN),
                "tip_secret": SecretStr(secrets.token_urlsafe(48)),
                "redis_url": "",
                "admin_ids": frozenset({PERSONAS["admin"].id}),
                "webhook_url": "",
            }
        )
        print(f"Preparing a demo county of {args.enterprises} enterprises …")
        await _seed(settings, Path(tmp), args.enterprises)
        async with LocalRun(settings) as run:
            print(f"Local Bot API emulator at {run.settings.telegram_api_url}")
            site = None
            if settings.web_listen:
                from web.server import site_url, start_web

                site = await start_web(run.app)
                print(
                    f"Public web site at {site_url(run.app, site)}  (e.g. {site_url(run.app, site)}/agencies)"
                )
            print(f"{HELP}\n")
            try:
                await _console(run, _inputs(args.script))
            finally:
                if site is not None:
                    await site.cleanup()
    return 0


async def _seed(settings: Settings, folder: Path, enterprises: int) -> None:
    data = folder / "county"
    generate(data, enterprises, seed=7, today=today(settings.tz))
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    async with sessions() as session:
        await import_directory(session, data)
    async with sessions() as session:
        owner_uscc, township = await _demo_enterprise(session, today(settings.tz) - timedelta(days=20))
    grants = {"owner": owner_uscc, "staff": "AG001", "regulator": township}
    keys = TipKeys.from_secret(settings.tip_secret.get_secret_value())
    for persona, target in grants.items():
        async with sessions() as session:
            _, code = await create_invite(session, keys, persona, target, None, 1, utcnow())
            user = PERSONAS[persona]
            await accept_invite(session, keys, code, user.id, f"{user.first_name}{user.last_name}", utcnow())
    await engine.dispose()


async def _demo_enterprise(session: AsyncSession, since: date) -> tuple[str, str]:
    """A client of AG001 with open hazards to fix and a recent visit to rate, so that every
    persona of the demo has something to do from the first command."""
    open_hazard = select(Hazard.id).where(Hazard.enterprise_id == Enterprise.id, Hazard.status == "open")
    to_rate = (
        select(Visit.id)
        .outerjoin(Rating, Rating.visit_id == Visit.id)
        .where(Visit.enterprise_id == Enterprise.id, Visit.date >= since, Rating.id.is_(None))
    )
    row = (
        await session.execute(
            select(Enterprise.uscc, Enterprise.division)
            .join(Contract, Contract.enterprise_id == Enterprise.id)
            .join(Agency, Agency.id == Contract.agency_id)
            .where(Agency.code == "AG001", open_hazard.exists(), to_rate.exists())
            .order_by(Enterprise.id)
            .limit(1)
        )
    ).first()
    if row is None:  # a very small county: any enterprise will do
        row = (await session.execute(select(Enterprise.uscc, Enterprise.division).limit(1))).one()
    return row.uscc, row.division


async def _inputs(script: str | None) -> AsyncIterator[str]:
    if script:
        read = sys.stdin.read if script == "-" else lambda: Path(script).read_text(encoding="utf-8")
        for line in (await asyncio.to_thread(read)).splitlines():
            if line.strip() and not line.lstrip().startswith(";"):
                print(f"> {line}")
                yield line
        return
    while True:
        try:
            yield await asyncio.to_thread(input, "> ")
        except EOFError:
            return


async def _console(run: LocalRun, lines: AsyncIterator[str]) -> None:
    console = _Console(run)
    await console.start()
    async for line in lines:
        text = line.strip()
        if text in (":quit", ":q"):
            break
        if text == ":paste":
            text = await _pasted(lines)
        await console.handle(text)


async def _pasted(lines: AsyncIterator[str]) -> str:
    """Lines up to a lone "." as one message: a terminal cuts a single line at 4,095 bytes."""
    block = []
    async for line in lines:
        if line.strip() == ".":
            break
        block.append(line)
    return "\n".join(block)


class _Console:
    """One person at a time; each person's chat is followed, so notices the bot sent them
    while someone else was acting are shown when the console switches to them."""

    def __init__(self, run: LocalRun) -> None:
        self.run = run
        self.persona = "owner"
        self.last_buttons: dict[str, dict] = {}
        self.seen: dict[str, int] = {}

    async def start(self) -> None:
        for user in PERSONAS.values():  # everyone has opened the bot, so notices can reach them
            await self.run.client.send(user, "/start")
        last = (await self.run.client.events(count=0))["last"]
        self.seen = dict.fromkeys(PERSONAS, last)
        print(f"You are: {self.persona}")

    async def handle(self, text: str) -> None:
        user = PERSONAS[self.persona]
        if text.startswith(":as"):
            await self._switch(text[3:].strip())
            return
        if text == ":who":
            print(f"  you are: {self.persona} (Telegram id {user.id})")
            return
        if text in (":help", ":h"):
            print(HELP)
            return
        try:
            reply = await self._act(user, text)
        except (LookupError, OSError) as exc:
            # A button on a message that is gone, or a file that cannot be read: the demo goes on.
            print(f"  could not do that: {exc}")
            return
        if reply is not None:
            await self._show_new(reply)

    async def _act(self, user: TgUser, text: str) -> Reply | None:
        client = self.run.client
        if text.startswith("#") or text.startswith(":press"):
            number = text.removeprefix(":press").lstrip("#").strip()
            message = self.last_buttons.get(self.persona)
            buttons = _buttons(message)
            if not number.isdigit() or not 1 <= int(number) <= len(buttons):
                print(f"  no button {number!r} to press" + (f" (1–{len(buttons)})" if buttons else ""))
                return None
            return await client.press(user, message, button=int(number) - 1)
        if text.startswith(":photo"):
            path = text.removeprefix(":photo").strip()
            data = await asyncio.to_thread(_read, path) if path else _sample_photo()
            return await client.send_photo(user, data)
        if text.startswith(":file"):
            path = text.removeprefix(":file").strip()
            if not path:
                print("  usage: :file PATH")
                return None
            return await client.send_document(user, PurePath(path).name, await asyncio.to_thread(_read, path))
        return await client.send(user, text)

    async def _switch(self, name: str) -> None:
        if name not in PERSONAS:
            print(f"  no persona {name!r}; choose one of {', '.join(PERSONAS)}")
            return
        self.persona = name
        print(f"  you are now: {name}")
        await self.run.flush()  # notices others' actions queued for this person
        await self._show_new(None)

    async def _show_new(self, reply: Reply | None) -> None:
        """The reply, then whatever else reached this person's chat since they last looked."""
        chat = PERSONAS[self.persona].id
        shown = set()
        if reply is not None:
            _show(self.persona, reply)
            shown = {e["seq"] for e in reply.events}
            self._remember_buttons(reply)
        found = await self.run.client.events(chat_id=chat, after=self.seen[self.persona], count=0)
        waiting = Reply([e for e in found["events"] if e["seq"] not in shown], True)
        if waiting.messages:
            print("  (sent to you meanwhile)")
            _show(self.persona, waiting)
            self._remember_buttons(waiting)
        self.seen[self.persona] = found["last"]

    def _remember_buttons(self, reply: Reply) -> None:
        marked = reply.last_with_buttons()
        if marked is not None:
            self.last_buttons[self.persona] = marked


def _read(path: str) -> bytes:
    return Path(path).expanduser().read_bytes()


def _sample_photo() -> bytes:
    """A small drawn JPEG standing in for a photo of a workshop."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (214, 206, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle((110, 40, 210, 200), fill=(120, 130, 140), outline=(40, 40, 40), width=3)
    draw.line((160, 200, 140, 238), fill=(200, 30, 30), width=4)  # a loose cable
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _buttons(message: dict | None) -> list[dict]:
    if not message:
        return []
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def _show(persona: str, reply: Reply) -> None:
    for alert in reply.alerts:
        if alert:
            print(f"  [popup] {alert}")
    for message in reply.messages:
        body = message.get("text") or message.get("caption") or ""
        if "photo" in message:
            body = "[photo] " + body
        if "document" in message:
            body = f"[file {message['document'].get('file_name', '')}] " + body
        print(f"  bot → {persona}" + (" (edited):" if message.get("edit_date") else ":"))
        for line in body.splitlines():
            print(f"    {line}")
        for i, button in enumerate(_buttons(message), start=1):
            print(f"    [{i}] {button['text']}")
    if not reply.processed:
        print("  (the bot did not answer in time)")
