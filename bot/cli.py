"""Command line: run, web, demo, db upgrade, import, invite, jobs run, generate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings
from bot.logs import configure_logging

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safety-bot", description="Safety-production services bot")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="apply migrations, then run the bot with its scheduler (default)")
    sub.add_parser("web", help="apply migrations, then serve the public web site on WEB_LISTEN")
    demo = sub.add_parser("demo", help="offline demo: local Bot API emulator, demo data, console chat")
    demo.add_argument("--script", help="file of console inputs to play instead of typing ('-' for stdin)")
    demo.add_argument("--enterprises", type=int, default=200, help="size of the demo county")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    imp = sub.add_parser("import", help="import a CSV/XLSX file of one KIND (or 'all' and a folder)")
    imp.add_argument("kind")
    imp.add_argument("file", type=Path)
    imp.add_argument("--skip-bad-rows", action="store_true", help="write the good rows of a file with errors")
    inv = sub.add_parser("invite", help="create a one-time invite and print its deep link")
    inv.add_argument("role", choices=["owner", "staff", "regulator", "admin"])
    inv.add_argument("target")
    inv.add_argument("--days", type=int, default=None, help="days until it expires (default INVITE_DAYS)")
    jobs = sub.add_parser("jobs", help="run a scheduled job once")
    jobs.add_argument("action", choices=["run"])
    jobs.add_argument("name")
    gen = sub.add_parser("generate", help="write a synthetic county as import files")
    gen.add_argument("folder", type=Path)
    gen.add_argument("--enterprises", type=int, default=1000)
    gen.add_argument("--seed", type=int, default=1)
    return p


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        # Without the inputs: a refused TIP_SECRET must not be printed.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        sys.exit(f"bad settings: {problems}")
    configure_logging(settings.log_level)
    command = args.command or "run"
    from bot.commands import COMMANDS

    code = asyncio.run(COMMANDS[command](settings, args))
    sys.exit(code or 0)
