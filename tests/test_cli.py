"""The command line as an operator uses it: exit codes, messages, and what lands in the database."""

import asyncio
import csv
import os
import secrets
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient
from tests.conftest import TIP_SECRET

HOOK_SECRET = "hZ3kV9qW2mR7tY5uP8sD1fG4jL6nB0cX"  # 32 characters, as the webhook requires

ROOT = Path(__file__).resolve().parent.parent


async def spawn(
    tmp_path: Path, *args: str, flags: tuple[str, ...] = (), **env: str
) -> asyncio.subprocess.Process:
    """`python [FLAGS] -m bot ARGS` in `tmp_path` with a clean environment and its own SQLite file."""
    environ = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    environ.update(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
            "LOG_LEVEL": "WARNING",
            "DEFAULT_LOCALE": "en",
            **env,
        }
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *flags,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=environ,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def cli(
    tmp_path: Path, *args: str, stdin: bytes | None = None, flags: tuple[str, ...] = (), **env: str
) -> tuple[int, str]:
    proc = await spawn(tmp_path, *args, flags=flags, **env)
    out, _ = await asyncio.wait_for(proc.communicate(stdin), 300)
    return proc.returncode, out.decode()


def _count(tmp_path: Path, table: str) -> int:
    with sqlite3.connect(tmp_path / "cli.db") as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


async def test_generate_then_import_all_twice(tmp_path):
    code, out = await cli(tmp_path, "generate", "county", "--enterprises", "60", "--seed", "5")
    assert code == 0 and "enterprises: 60" in out
    code, out = await cli(tmp_path, "import", "all", "county")
    assert code == 0, out
    assert "inserted 60" in out
    hazards = _count(tmp_path, "hazard")
    with (tmp_path / "county" / "hazards.csv").open(encoding="utf-8") as fh:
        assert hazards == sum(1 for _ in csv.reader(fh)) - 1
    code, out = await cli(tmp_path, "import", "all", "county")
    assert code == 0 and "inserted 0, updated 0" in out and _count(tmp_path, "hazard") == hazards


async def test_a_bad_file_exits_non_zero_with_line_numbers_and_writes_nothing(tmp_path):
    (tmp_path / "e.csv").write_text(
        "uscc,name,division\n91350100M000100Y43,甲,330226100\n91350100M000100Y44,乙,330226100\n"
        "91350100M000100Y43,丙,330226100\n",
        encoding="utf-8",
    )
    code, out = await cli(tmp_path, "import", "enterprises", "e.csv")
    assert code == 1
    assert "Line 3: wrong check character" in out and "Line 4: duplicate of line 2" in out
    assert _count(tmp_path, "enterprise") == 0
    code, out = await cli(tmp_path, "import", "enterprises", "e.csv", "--skip-bad-rows")
    assert code == 0 and _count(tmp_path, "enterprise") == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("import", "widgets", "x.csv"), "Unknown kind"),
        (("import", "enterprises", "missing.csv"), "no such file"),
        (("invite", "owner", "123"), "18 characters"),
        (("jobs", "run", "nope"), "unknown job"),
        (("generate", "x", "--enterprises", "0"), "at least 1"),
        (("import",), "usage:"),
        (("frobnicate",), "usage:"),
    ],
)
async def test_bad_input_prints_why_and_exits_non_zero(tmp_path, args, expected):
    code, out = await cli(tmp_path, *args)
    assert code != 0
    assert expected in out


async def test_run_refuses_to_start_without_token_or_tip_secret(tmp_path):
    code, out = await cli(tmp_path, "run")
    assert code == 2 and "BOT_TOKEN is not set" in out
    code, out = await cli(tmp_path, "run", BOT_TOKEN=DEMO_TOKEN)
    assert code == 2 and "TIP_SECRET is not set" in out


@pytest.mark.parametrize("weak", ["a-run-test-secret-of-enough-length", "ab" * 40, secrets.token_hex(16)])
async def test_run_refuses_a_tip_secret_of_fewer_than_32_random_bytes(tmp_path, weak):
    code, out = await cli(tmp_path, "run", BOT_TOKEN=DEMO_TOKEN, TIP_SECRET=weak)
    assert code != 0 and "TIP_SECRET must be at least 32 random bytes" in out
    assert weak not in out  # a refused secret is not printed either


@pytest.mark.parametrize("secret", [None, "", "short-hook-secret"])
async def test_webhook_mode_refuses_to_start_without_a_long_secret(tmp_path, secret):
    env = {"WEBHOOK_SECRET": secret} if secret is not None else {}
    code, out = await cli(
        tmp_path,
        "run",
        BOT_TOKEN=DEMO_TOKEN,
        TIP_SECRET=TIP_SECRET,
        WEBHOOK_URL="https://bot.example/webhook",
        **env,
    )
    assert code == 2 and "WEBHOOK_SECRET must be at least 32 characters" in out
    assert "secrets.token_urlsafe" in out


async def test_invite_prints_the_deep_link(tmp_path):
    emulator = Emulator()
    base = await emulator.start()
    try:
        assert (await cli(tmp_path, "db", "upgrade"))[0] == 0
        code, out = await cli(
            tmp_path,
            "invite",
            "regulator",
            "330226",
            "--days",
            "3",
            BOT_TOKEN=DEMO_TOKEN,
            TELEGRAM_API_URL=base,
            TIP_SECRET=TIP_SECRET,
        )
    finally:
        await emulator.stop()
    assert code == 0, out
    assert "https://t.me/safety_demo_bot?start=inv_" in out
    with sqlite3.connect(tmp_path / "cli.db") as db:
        role, target = db.execute("SELECT role, target FROM invite").fetchone()
    assert (role, target) == ("regulator", "330226")


async def test_jobs_run_reminders_once_and_exits(tmp_path):
    emulator = Emulator()
    base = await emulator.start()
    try:
        code, out = await cli(
            tmp_path, "jobs", "run", "reminders", BOT_TOKEN=DEMO_TOKEN, TELEGRAM_API_URL=base
        )
    finally:
        await emulator.stop()
    assert code == 0, out
    assert "reminders: 0 items for 0 recipients, 0 messages sent" in out


async def test_jobs_run_reminders_plans_without_aiogram_then_sends(tmp_path):
    """Planning reminders never loads aiogram (`-X importtime` lists every module the process
    imports); without BOT_TOKEN the messages wait in the outbox, with it they are sent."""
    from storage.db import create_engine, session_factory
    from storage.importer import import_file
    from storage.migrate import upgrade
    from tests.conftest import grant
    from tests.test_reminders_e2e import FILES, OWNER_A, STAFF, A

    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    await upgrade(url)
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        for kind, text in FILES.items():
            assert (await import_file(s, kind, f"{kind}.csv", text.encode())).written
    await grant(session_factory(engine), OWNER_A, "owner", A)
    await grant(session_factory(engine), STAFF, "staff", "AG1")
    await engine.dispose()

    code, out = await cli(tmp_path, "jobs", "run", "reminders", flags=("-X", "importtime"))
    assert code == 0, out[-3000:]
    imported = {line.split("|")[-1].strip() for line in out.splitlines() if line.startswith("import time:")}
    assert "notifications.reminders" in imported and "sqlalchemy" in imported
    assert not [m for m in imported if m.split(".")[0] == "aiogram"]
    assert "items for 2 recipients; 2 messages wait in the outbox" in out

    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    try:
        await client.control("users", users=[OWNER_A.as_dict(), STAFF.as_dict()])
        code, out = await cli(
            tmp_path, "jobs", "run", "reminders", BOT_TOKEN=DEMO_TOKEN, TELEGRAM_API_URL=base
        )
        assert code == 0, out
        assert "reminders: 0 items for 0 recipients, 2 messages sent" in out  # planned once, sent now
        (told,) = await client.chat(OWNER_A.id)
        assert "Overdue: 1 hazard" in told["text"]
    finally:
        await client.close()
        await emulator.stop()


async def test_run_serves_users_and_stops_on_sigterm(tmp_path):
    import signal

    from bot.emulator.harness import EmulatorClient, TgUser

    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    proc = await spawn(
        tmp_path,
        "run",
        BOT_TOKEN=DEMO_TOKEN,
        TELEGRAM_API_URL=base,
        TIP_SECRET=TIP_SECRET,
        ADMIN_IDS="42",
    )
    try:
        await asyncio.wait_for(emulator.first_poll.wait(), 60)
        await client.send(TgUser(42, "Admin", language_code="en"), "/help", wait=False)
        # `run` handles updates as tasks: wait for the answer itself, not for the acknowledgement.
        events = (await client.events(chat_id=42, count=1, timeout=30))["events"]
        assert "/invite" in events[0]["message"]["text"]  # an admin by ADMIN_IDS
        assert "default:en" in await client.commands()  # menus were set at start-up
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, out.decode()
        assert "Traceback" not in out.decode(), out.decode()[-3000:]
    finally:
        if proc.returncode is None:
            proc.kill()
        await client.close()
        await emulator.stop()


async def test_webhook_mode_receives_updates_checks_the_secret_and_stops(tmp_path):
    import signal
    import socket

    import aiohttp

    from bot.emulator.harness import EmulatorClient, TgUser

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    proc = await spawn(
        tmp_path,
        "run",
        BOT_TOKEN=DEMO_TOKEN,
        TELEGRAM_API_URL=base,
        TIP_SECRET=TIP_SECRET,
        ADMIN_IDS="44",
        WEBHOOK_URL=f"http://127.0.0.1:{port}/webhook",
        WEBHOOK_SECRET=HOOK_SECRET,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )
    try:
        stats = await client.stats(webhook=1, timeout=60)
        assert stats["webhook"] == f"http://127.0.0.1:{port}/webhook"
        await client.send(TgUser(43, "Hook", language_code="en"), "/start", wait=False)
        events = (await client.events(chat_id=43, count=1, timeout=30))["events"]
        assert "Hello!" in events[0]["message"]["text"]
        # An update "from" an admin asking for an admin invite, without the secret or with a wrong one.
        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 44, "type": "private"},
                "from": {"id": 44, "is_bot": False, "first_name": "Eve"},
                "text": "/invite admin -",
                "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "x"}):
                async with http.post(
                    f"http://127.0.0.1:{port}/webhook", json=forged, headers=headers
                ) as resp:
                    assert resp.status in (401, 403)
        await client.send(TgUser(43, "Hook", language_code="en"), "/help", wait=False)
        assert len((await client.events(chat_id=43, count=2, timeout=30))["events"]) == 2  # still serving
        assert await client.chat(44) == []  # the forged updates were never handled
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, out.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
        await client.close()
        await emulator.stop()


@pytest.mark.parametrize(
    "args",
    [("db", "upgrade"), ("generate", "county", "--enterprises", "5"), ("import", "all", "county")],
    ids=["db-upgrade", "generate", "import"],
)
async def test_commands_that_never_talk_to_telegram_do_not_import_aiogram(tmp_path, args):
    from bot.config import Settings
    from domain.synthetic import generate as write_county
    from storage.clock import today

    write_county(tmp_path / "county", 5, seed=1, today=today(Settings(_env_file=None).tz))
    probe = (
        "import sys\nfrom bot.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
        "    code = e.code\nprint('EXIT', code, 'AIOGRAM', any(m.split('.')[0] == 'aiogram' for m in sys.modules))"
    )
    environ = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    environ.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/cli.db", LOG_LEVEL="WARNING")
    probed = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, *args, cwd=tmp_path, env=environ, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(probed.communicate(), 120)
    assert out.decode().split()[-3:] == ["0", "AIOGRAM", "False"], out.decode()


async def test_import_and_generate_show_progress_on_a_terminal_only(tmp_path):
    import pty

    main, child = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    environ.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/cli.db", LOG_LEVEL="WARNING")
    for args in (("generate", "county", "--enterprises", "30"), ("import", "all", "county")):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=tmp_path, env=environ, stdout=child, stderr=child
        )
        assert await asyncio.wait_for(proc.wait(), 120) == 0
    os.close(child)
    shown = b""
    while chunk := _read(main):
        shown += chunk
    os.close(main)
    text = shown.decode()
    assert "enterprises: 30 / 30 rows" in text and "rows/s" in text
    assert "hazards:" in text
    code, out = await cli(tmp_path, "generate", "again", "--enterprises", "30")  # a pipe: quiet
    assert code == 0 and "rows/s" not in out


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal is closed and drained
        return b""
