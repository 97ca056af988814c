"""`python -m bot demo`: the whole product offline. The local emulator stands in for Telegram,
a generated county for real data, and a console chat lets a person act as each role."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from pydantic import SecretStr

from bot.config import Settings
from bot.emulator.harness import DEMO_TOKEN, LocalRun, Reply, TgUser
from domain.anonymity import TipKeys
from domain.synthetic import generate, township_codes
from storage.clock import today, utcnow
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.users import accept_invite, create_invite

PERSONAS = {
    "owner": TgUser(2001, "王", "厂长", "demo_owner"),
    "staff": TgUser(3001, "李", "工程师", "demo_staff"),
    "regulator": TgUser(4001, "张", "科长", "demo_regulator"),
    "employee": TgUser(5001, "员工"),
    "admin": TgUser(1001, "管理员", "", "demo_admin"),
}
HELP = """Console commands:
  :as owner|staff|regulator|employee|admin   act as another person
  #N  (or :press N)                          press button N of the last message with buttons
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
            print(f"Local Bot API emulator at {run.settings.telegram_api_url}\n{HELP}\n")
            await _console(run, _inputs(args.script))
    return 0


async def _seed(settings: Settings, folder: Path, enterprises: int) -> None:
    data = folder / "county"
    generate(data, enterprises, seed=7, today=today(settings.tz))
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    async with sessions() as session:
        await import_directory(session, data)
    first_uscc = (data / "enterprises.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    grants = {"owner": first_uscc, "staff": "AG001", "regulator": township_codes(1)[0]}
    keys = TipKeys.from_secret(settings.tip_secret.get_secret_value())
    for persona, target in grants.items():
        async with sessions() as session:
            _, code = await create_invite(session, keys, persona, target, None, 1, utcnow())
            user = PERSONAS[persona]
            await accept_invite(session, keys, code, user.id, f"{user.first_name}{user.last_name}", utcnow())
    await engine.dispose()


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
    persona = "owner"
    last_buttons: dict[str, dict] = {}
    print(f"You are: {persona}")
    async for line in lines:
        text = line.strip()
        if text in (":quit", ":q"):
            break
        if text.startswith(":as"):
            name = text[3:].strip()
            if name not in PERSONAS:
                print(f"  no persona {name!r}; choose one of {', '.join(PERSONAS)}")
            else:
                persona = name
                print(f"  you are now: {persona}")
            continue
        if text == ":who":
            print(f"  you are: {persona} (Telegram id {PERSONAS[persona].id})")
            continue
        if text in (":help", ":h"):
            print(HELP)
            continue
        if text.startswith("#") or text.startswith(":press"):
            number = text.removeprefix(":press").lstrip("#").strip()
            message = last_buttons.get(persona)
            buttons = _buttons(message)
            if not number.isdigit() or not 1 <= int(number) <= len(buttons):
                print(f"  no button {number!r} to press" + (f" (1–{len(buttons)})" if buttons else ""))
                continue
            reply = await run.client.press(PERSONAS[persona], message, button=int(number) - 1)
        else:
            reply = await run.client.send(PERSONAS[persona], text)
        _show(persona, reply)
        marked = reply.last_with_buttons()
        if marked is not None:
            last_buttons[persona] = marked


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
        print(f"  bot → {persona}:")
        for line in body.splitlines():
            print(f"    {line}")
        for i, button in enumerate(_buttons(message), start=1):
            print(f"    [{i}] {button['text']}")
    if not reply.processed:
        print("  (the bot did not answer in time)")
