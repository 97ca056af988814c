"""Generated updates for the fuzz test and the long fuzz benchmark: every role, texts
nobody plans for, commands with random arguments, callbacks with random and mutated data of
every prefix, every content type. The bot runs against the emulator with updates fed
straight into the dispatcher."""

from __future__ import annotations

import base64
import io
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from aiogram.filters.callback_data import CallbackData
from hypothesis import strategies as st
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import select

from bot.config import Settings
from bot.emulator.harness import DEMO_TOKEN, LocalRun, Reply, TgUser
from domain.anonymity import TipKeys
from domain.synthetic import generate
from handlers.routers import feature_routers  # noqa: F401 - defines every CallbackData
from storage.clock import today, utcnow
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.models import Agency, Enterprise, Hazard
from storage.users import accept_invite, create_invite

MAX_TEXT, MAX_CAPTION = 4096, 1024
COMMANDS = [
    "start",
    "help",
    "whoami",
    "language",
    "cancel",
    "invite",
    "import",
    "status",
    "enterprise",
    "qr",
    "clients",
    "visit",
    "hazard",
    "report",
    "verify",
    "due",
    "hazards",
    "rate",
    "tip",
    "follow",
    "tips",
    "digest",
    "overdue",
    "agencies",
    "subsidy",
    "coverage",
]


def _prefixes(cls: type = CallbackData) -> set[str]:
    found = set()
    for sub in cls.__subclasses__():
        if getattr(sub, "__prefix__", None):
            found.add(sub.__prefix__)
        found |= _prefixes(sub)
    return found


PREFIXES = sorted(_prefixes())

ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\ufeff"
ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
    st.characters(min_codepoint=0x0590, max_codepoint=0x06FF),  # Hebrew, Arabic (RTL)
    st.sampled_from(ZERO_WIDTH + "<>&\"'\\/:;#@-=+\n\t "),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)
SHORT = st.text(ALPHABET, max_size=40)
TEXT = st.one_of(
    SHORT,
    st.sampled_from(
        ["", " ", "0", "-1", "9" * 30, "2026-02-30", "1970-01-01", "<b>", "&amp;", "取消", "确认"]
    ),
    st.builds(lambda s, n: ((s or "长") * n)[:n], SHORT, st.sampled_from([1000, 2001, 4097, 5000])),
)
ARGS = st.one_of(
    st.just(""), TEXT, st.sampled_from(["330226", "330226100", "AG001", "2026H1", "2026", "all", "owner -"])
)


def _png(size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


PNG = base64.b64encode(_png()).decode()
FILE = {"file_id": "AgADfuzz", "file_unique_id": "fuzz1"}
CONTENT = {
    "sticker": {**FILE, "type": "regular", "width": 1, "height": 1, "is_animated": False, "is_video": False},
    "location": {"latitude": 29.3, "longitude": 121.4},
    "contact": {"phone_number": "+8613800000000", "first_name": "张"},
    "voice": {**FILE, "duration": 1},
    "video": {**FILE, "width": 1, "height": 1, "duration": 1},
    "video_note": {**FILE, "length": 1, "duration": 1},
    "audio": {**FILE, "duration": 1},
    "animation": {**FILE, "width": 1, "height": 1, "duration": 1},
    "dice": {"emoji": "🎲", "value": 3},
    "venue": {"location": {"latitude": 1, "longitude": 1}, "title": "厂", "address": "路"},
}


@dataclass
class Action:
    """One update to make: who sends it and what."""

    user: int  # index into the cast
    kind: str  # text | command | photo | document | content | press | forge
    text: str = ""
    extra: dict = field(default_factory=dict)


def actions(cast: int) -> st.SearchStrategy[Action]:
    who = st.integers(0, cast - 1)
    return st.one_of(
        st.builds(Action, who, st.just("text"), TEXT),
        st.builds(
            Action,
            who,
            st.just("command"),
            st.builds(lambda c, a: f"/{c} {a}".strip(), st.sampled_from(COMMANDS), ARGS),
        ),
        st.builds(
            Action,
            who,
            st.just("photo"),
            st.one_of(st.just(""), TEXT),
            st.sampled_from([{"png": True}, {"png": False}]),
        ),
        st.builds(
            Action,
            who,
            st.just("document"),
            st.one_of(st.just(""), st.sampled_from(["enterprises", "hazards", "agencies x"])),
            st.builds(
                lambda name, body: {"name": name, "body": body},
                st.sampled_from(["a.csv", "b.xlsx", "c.png", "d.txt", "e"]),
                st.binary(max_size=300),
            ),
        ),
        st.builds(Action, who, st.just("content"), st.sampled_from(sorted(CONTENT))),
        # Press a button the bot really showed (mutated or not), or data made up whole.
        st.builds(
            Action, who, st.just("press"), st.sampled_from(["as is", "digits", "cut", "append", "swap"])
        ),
        st.builds(
            Action,
            who,
            st.just("forge"),
            st.builds(
                lambda p, parts: ":".join([p, *parts])[:64],
                st.sampled_from(PREFIXES),
                st.lists(st.one_of(SHORT, st.integers(-(2**63), 2**63).map(str)), max_size=4),
            ),
        ),
    )


def _mutate(data: str, how: str, salt: int) -> str:
    if how == "digits":
        return "".join(str((int(c) + salt) % 10) if c.isdigit() else c for c in data)
    if how == "cut":
        return data[: max(1, len(data) - 1 - salt % 5)]
    if how == "append":
        return (data + ":" + str(salt))[:64]
    if how == "swap":
        return ":".join(reversed(data.split(":")))
    return data


async def _long_hazards(session, uscc: str, day: date) -> None:
    """Findings long enough that the owner's and regulators' lists run to several pages, so
    that page buttons are there to be pressed, mutated and pressed again."""
    enterprise = await session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
    agency_id = await session.scalar(select(Agency.id).limit(1))
    for i in range(4):
        session.add(
            Hazard(
                agency_id=agency_id,
                ref=f"FUZZ-LONG-{i}",
                enterprise_id=enterprise.id,
                found_on=day - timedelta(days=40),
                description=f"隐患{i}：" + "配电箱箱门缺失，接线端子裸露，电缆绝缘老化。" * 120,
                suggestion="断电整改，更换电缆，持证电工巡检。" * 60,
                level="major" if i == 0 else "general",
                deadline=day - timedelta(days=5 + i),
                status="open",
            )
        )
    await session.commit()


class ErrorLog(logging.Handler):
    """Every error or traceback logged while fuzzing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info or "clipped" in record.getMessage():
            self.records.append(record)


class Fuzzer:
    """A county, one person per role and the bot; `play` feeds actions and checks each answer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[str] = []
        self.updates = 0

    async def start(self) -> None:
        url = f"sqlite+aiosqlite:///{self.folder}/fuzz.db"
        county = self.folder / "county"
        settings = Settings(
            _env_file=None,
            database_url=url,
            admin_ids="990000001",
            tip_secret=secrets.token_urlsafe(48),
            bot_token=SecretStr(DEMO_TOKEN),
            redis_url="",
        )
        keys = TipKeys.from_secret(settings.tip_secret.get_secret_value())
        generate(county, 60, seed=11, today=today(settings.tz))
        await upgrade(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        async with sessions() as s:
            await import_directory(s, county)
        ent = (county / "enterprises.csv").read_text(encoding="utf-8").splitlines()[1].split(",")
        agency = (county / "agencies.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
        roles = [
            ("admin", "-"),
            ("owner", ent[0]),
            ("staff", agency),
            ("regulator", ent[2]),
            ("regulator", ent[2][:6]),
        ]
        self.cast = [
            TgUser(990000001 + i, f"U{i}", language_code=("zh", "en")[i % 2]) for i in range(len(roles) + 1)
        ]
        async with sessions() as s:
            await _long_hazards(s, ent[0], today(settings.tz))
            for user, (role, target) in zip(self.cast[1 : len(roles)], roles[1:], strict=True):
                _, code = await create_invite(s, keys, role, target, None, 1, utcnow())
                await accept_invite(s, keys, code, user.id, user.first_name, utcnow(), user.language_code)
        await engine.dispose()
        self.run = LocalRun(settings, poll=False)
        await self.run.__aenter__()
        self.errors = ErrorLog()
        logging.getLogger().addHandler(self.errors)

    async def stop(self) -> None:
        logging.getLogger().removeHandler(self.errors)
        await self.run.__aexit__(None, None, None)

    def _last_buttons(self, user: TgUser) -> list[tuple[dict, str]]:
        for m in reversed(self.run.emulator.state.chats.get(user.id, [])[-10:]):
            markup = m.get("reply_markup", {}).get("inline_keyboard", [])
            found = [(m, b["callback_data"]) for row in markup for b in row if "callback_data" in b]
            if found:
                return found
        return []

    async def act(self, a: Action, salt: int = 0) -> None:
        user = self.cast[a.user]
        run = self.run
        if a.kind in ("text", "command"):
            reply = await run.feed_message(user, a.text)
        elif a.kind == "photo":
            body = PNG if a.extra["png"] else base64.b64encode(b"not an image").decode()
            reply = await run.feed_message(user, photo_b64=body, caption=a.text)
        elif a.kind == "document":
            body = base64.b64encode(a.extra["body"]).decode()
            reply = await run.feed_message(user, document_b64=body, file_name=a.extra["name"], caption=a.text)
        elif a.kind == "content":
            reply = await run.feed_message(user, **{a.text: CONTENT[a.text]})
        else:
            buttons = self._last_buttons(user)
            if a.kind == "press" and buttons:
                message, data = buttons[salt % len(buttons)]
                data = _mutate(data, a.text, salt)
            else:
                chat = run.emulator.state.chats.get(user.id)
                if not chat:
                    await run.feed_message(user, "/start")
                    chat = run.emulator.state.chats[user.id]
                message, data = chat[-1], a.text or "x"
            reply = await run.feed_press(user, message, data)
        self.updates += 1
        self._check(a, reply)

    def _check(self, a: Action, reply: Reply) -> None:
        for m in reply.messages:
            if len(m.get("text") or "") > MAX_TEXT or len(m.get("caption") or "") > MAX_CAPTION:
                self.problems.append(f"over the limit after {a}")
        if a.kind in ("press", "forge"):
            if not reply.answered:
                self.problems.append(f"callback not answered: {a}")
        elif not reply.events:
            self.problems.append(f"no answer: {a}")
        if self.errors.records:
            record = self.errors.records.pop()
            self.problems.append(f"logged {record.levelname} {record.getMessage()} after {a}")
            self.errors.records.clear()

    async def reset_all(self) -> None:
        """After /cancel, /help works for everyone whatever state they were left in."""
        for user in self.cast:
            await self.run.feed_message(user, "/cancel")
            reply = await self.run.feed_message(user, "/help")
            self.updates += 2
            if "/help —" not in reply.text:
                self.problems.append(f"/help after /cancel failed for {user.id}: {reply.text[:200]}")
