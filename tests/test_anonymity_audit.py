"""The anonymity audit: at three moments of a tipster's dialog (mid-dialog before confirming,
after walking away from a dialog, after /follow), on SQLite and PostgreSQL, with dialog state
in memory and in Redis, nothing anywhere holds the tipster's identity: not the database's bytes
on disk (PostgreSQL: relation files and the WAL written meanwhile, after a CHECKPOINT), not the
logs at DEBUG, not the dialog state, not the process's own maps."""

import logging
import os
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.emulator.harness import LocalRun, TgUser
from bot.logs import configure_logging
from domain.anonymity import to_hour
from notifications.tip_notices import notify_new_tips
from storage.clock import utcnow
from storage.models import Enterprise, Tip, User
from tests.conftest import rows
from tests.test_tips_e2e import RECEIPT, REG_A, SECRET_TEXT, file_tip, press, town  # noqa: F401  (fixture)
from tests.test_tips_e2e import TIPSTER as TIPSTER_E2E
from tests.test_tips_e2e import needles as tips_needles

# Distinctive everywhere, and used by no other test, so the shared WAL cannot match by chance.
TIPSTER = TgUser(971234567089, "Duanyu6610", "Xuzhu3087", "quiet_bell_8812", "en")
DRAFT = "消防通道被货物堵死，夜班无人巡查-编号7306"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
FSM = [
    "memory",
    pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")),
]


def needles() -> dict[str, bytes]:
    n = TIPSTER.id
    return {
        "id as text": str(n).encode(),
        "id in hex": f"{n:x}".encode(),
        "id as int8 little-endian": n.to_bytes(8, "little"),
        "id as int8 big-endian": n.to_bytes(8, "big"),
        "id as 6 bytes little-endian": n.to_bytes(8, "little")[:6],
        "id as 6 bytes big-endian": n.to_bytes(8, "big")[2:],
        "username": TIPSTER.username.encode(),
        "first name": TIPSTER.first_name.encode(),
        "last name": TIPSTER.last_name.encode(),
    }


def _pg_dsn(db_url: str) -> str:
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Disk:
    """The database's bytes as they lie on disk."""

    def __init__(self, db_url: str) -> None:
        self.url = db_url
        self.sqlite = make_url(db_url).get_backend_name() == "sqlite"
        self.start_wal: tuple[str, int] = ("", 0)

    async def begin(self) -> None:
        if not self.sqlite:
            self.start_wal = await self._wal_position()

    async def _wal_position(self) -> tuple[str, int]:
        """The WAL segment file being written now, and the offset in it."""
        conn = await asyncpg.connect(_pg_dsn(self.url))
        try:
            row = await conn.fetchrow("SELECT * FROM pg_walfile_name_offset(pg_current_wal_lsn())")
        finally:
            await conn.close()
        return row["file_name"], row["file_offset"]

    async def read(self) -> bytes:
        if self.sqlite:
            path = Path(make_url(self.url).database)
            files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
            return b"".join(p.read_bytes() for p in files)
        conn = await asyncpg.connect(_pg_dsn(self.url))
        try:
            await conn.execute("CHECKPOINT")  # every change is now in the relation files too
            data = Path(await conn.fetchval("SHOW data_directory"))
            oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
        finally:
            await conn.close()
        (first, start), (last, end) = self.start_wal, await self._wal_position()
        relations = sorted(p for p in (data / "base" / str(oid)).iterdir() if p.is_file())
        # The WAL written since begin(): segments are shared by the cluster and recycled, so
        # only the bytes between the two positions are this test's.
        segments = sorted(p for p in (data / "pg_wal").iterdir() if p.is_file() and first <= p.name <= last)
        wal = []
        for p in segments:
            chunk = p.read_bytes()
            wal.append(chunk[start if p.name == first else 0 : end if p.name == last else len(chunk)])
        # Unreadable files fail the test (PermissionError) rather than pass it.
        assert relations and segments, f"nothing to audit in {data}"
        return b"".join(p.read_bytes() for p in relations) + b"".join(wal)


async def database_bytes(db_url: str) -> bytes:
    """The database's files as they lie on disk now (PostgreSQL: after a CHECKPOINT)."""
    disk = Disk(db_url)
    await disk.begin()
    return await disk.read()


async def _redis_dump(redis: Redis | None) -> bytes:
    if redis is None:
        return b""
    dump = b""
    async for key in redis.scan_iter("*"):
        kind = (await redis.type(key)).decode()
        value = await redis.get(key) if kind == "string" else repr(await redis.hgetall(key)).encode()
        dump += key + b"=" + (value or b"") + b"\n"
    return dump


def _sender_maps(sender) -> bytes:
    """The sender's own state and its pacer's per-chat map."""
    return (repr(vars(sender)) + repr(vars(getattr(sender, "pacer", None) or sender))).encode()


async def _audit(run: LocalRun, disk: Disk, redis: Redis | None, caplog, moment: str) -> dict[str, bytes]:
    dispatcher = run.app.dispatcher
    haystacks = {
        "database files": await disk.read(),
        "logs": caplog.text.encode(),
        "FSM storage": repr(getattr(dispatcher.storage.inner, "storage", "")).encode(),
        "event isolation": repr(vars(dispatcher.fsm.events_isolation.inner)).encode(),
        "Redis": await _redis_dump(redis),
        "sender's per-chat map": _sender_maps(run.app.sender),
        "tip limits": repr(vars(dispatcher["tip_guard"])).encode(),
    }
    found = [
        f"{what} in {where}"
        for where, hay in haystacks.items()
        for what, needle in needles().items()
        if needle in hay
    ]
    assert found == [], moment
    for where in ("FSM storage", "Redis", "database files"):
        assert DRAFT.encode() not in haystacks[where], f"the draft in {where} {moment}"
    return haystacks


async def _draft(run: LocalRun, code: str):
    step = await run.client.send(TIPSTER, f"/start tip_{code}")
    step = await press(run, TIPSTER, step, "Unsafe condition")
    step = await run.client.send(TIPSTER, DRAFT)
    return await press(run, TIPSTER, step, "Done")


@pytest.mark.parametrize("fsm", FSM)
async def test_anonymity_audit_at_every_moment(settings, seeded, county, caplog, fsm):
    configure_logging("DEBUG")  # as `LOG_LEVEL=DEBUG python -m bot` does
    caplog.set_level(logging.DEBUG)
    ent = rows(county, "enterprises")[0]
    async with seeded() as s:
        code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == ent["uscc"]))
    redis = Redis.from_url(REDIS_URL) if fsm == "redis" else None
    if redis is not None:
        await redis.flushdb()
    disk = Disk(settings.database_url)
    await disk.begin()
    try:
        async with LocalRun(settings.model_copy(update={"redis_url": REDIS_URL if redis else ""})) as run:
            review = await _draft(run, code)
            assert "Send it" in str(review.messages[-1]["reply_markup"])
            held = await _audit(run, disk, redis, caplog, "mid-dialog, before confirming")
            assert (held["Redis"] if redis else held["FSM storage"]).count(b"sealed") == 1

            # The tipster walks away; the sealed draft is forgotten after DIALOG_TTL_MINUTES.
            await _audit(run, disk, redis, caplog, "after an abandoned dialog")
            ttl = settings.dialog_ttl_minutes * 60
            if redis is not None:
                ttls = [await redis.ttl(k) async for k in redis.scan_iter("fsm:*")]
                assert ttls and all(0 < left <= ttl for left in ttls)
            else:
                memory = run.app.dispatcher.storage.inner
                memory.clock = lambda: 10**12  # long after the dialog was left
                assert await memory.get_state(next(iter(memory.storage))) is None and memory.storage == {}
            async with run.app.sessions() as s:
                assert await s.scalar(select(func.count()).select_from(Tip)) == 0

            review = await _draft(run, code)
            receipt = RECEIPT.search((await press(run, TIPSTER, review, "Send it")).text).group(0)
            status = await run.client.send(TIPSTER, f"/follow {receipt}")
            assert "received, not yet handled" in status.text
            held = await _audit(run, disk, redis, caplog, "after /follow")
            assert b"sealed" not in held["FSM storage"] + held["Redis"]  # nothing kept after the status
            if redis is None:
                assert run.app.dispatcher.storage.inner.storage == {}

            # The audit sees what it looks for: a row holding the id is found on disk.
            async with run.app.sessions() as s:
                s.add(User(id=TIPSTER.id))
                await s.commit()
            on_disk = await disk.read()
            assert any(needle in on_disk for needle in needles().values())
    finally:
        if redis is not None:
            await redis.flushdb()
            await redis.aclose()


async def test_anonymity_audit_after_tips_with_photos_follow_ups_and_notices(local, town, settings, caplog):  # noqa: F811
    configure_logging("DEBUG")  # as `LOG_LEVEL=DEBUG python -m bot` does
    caplog.set_level(logging.DEBUG)
    disk = Disk(settings.database_url)
    await disk.begin()
    first = await file_tip(local, TIPSTER_E2E, link=f"tip_{town['code']}", photos=2)
    second = await file_tip(
        local,
        TIPSTER_E2E,
        about=town["agency"]["name"],
        text="机构报告造假，检查走过场-编号5530",
        photos=1,
        as_file=True,
    )
    assert first != second
    status = await local.client.send(TIPSTER_E2E, f"/follow {first}")
    assert "received, not yet handled" in status.text
    asked = await press(local, TIPSTER_E2E, status, "Add material")
    assert "Send more information" in asked.text
    assert "stored encrypted" in (await local.client.send(TIPSTER_E2E, "补充：晚上十点后最严重")).text
    async with local.app.sessions() as s:
        assert await notify_new_tips(s, local.app.translator, to_hour(utcnow())) >= 1
    await local.flush()

    found = []
    haystacks = {
        "database": await disk.read(),
        "logs": caplog.text.encode(),
        "FSM storage": repr(local.app.dispatcher.storage.inner.storage).encode(),
        "sender's per-chat map": _sender_maps(local.app.sender),
        "event isolation": repr(local.app.dispatcher.fsm.events_isolation.inner._locks).encode(),
    }
    for where, hay in haystacks.items():
        found += [f"{what} in {where}" for what, needle in tips_needles().items() if needle in hay]
    assert found == []
    assert SECRET_TEXT.encode() not in haystacks["database"]  # encrypted at rest
    assert "编号5530".encode() not in haystacks["database"]
    async with local.app.sessions() as s:
        tips = (await s.scalars(select(Tip))).all()
    assert len(tips) == 2
    assert all(t.created_hour.minute == t.created_hour.second == 0 for t in tips)
    # The regulator was told a count, not a word of the content.
    notice = [m["text"] for m in await local.client.chat(REG_A.id) if "new tip" in (m.get("text") or "")]
    assert notice and SECRET_TEXT not in notice[0] and "Qiaofeng" not in notice[0]
