"""What each sub-command does. Each returns an exit code; bad input exits non-zero.
Commands that never talk to Telegram (import, generate, db upgrade, and the planning of
`jobs run reminders`) do not import aiogram: it is most of the start-up time."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.config import Settings
from bot.i18n import Translator
from bot.import_report import render_result
from bot.progress import Progress
from domain.anonymity import TipKeys
from domain.roles import TargetError, normalise_target
from storage.clock import local, utcnow
from storage.db import create_engine, session_factory
from storage.importer import KINDS, FileProblem, import_directory, import_file
from storage.migrate import upgrade
from storage.users import InviteError, create_invite

log = logging.getLogger("bot")


def _plain(settings: Settings) -> Translator:
    return Translator(settings.default_locale, autoescape=False)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        log.error("BOT_TOKEN is not set (try `python -m bot demo` for the offline demo)")
        return 2
    if settings.tip_secret is None:
        log.error("TIP_SECRET is not set: it protects anonymous tips and is required")
        return 2
    if settings.webhook_url and len(_webhook_secret(settings)) < WEBHOOK_SECRET_MIN:
        log.error(
            "WEBHOOK_SECRET must be at least %d characters in webhook mode: without it anyone who "
            "reaches the webhook can post updates as any user. Generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(48))"',
            WEBHOOK_SECRET_MIN,
        )
        return 2
    from bot.app import build_app, build_bot, on_startup
    from bot.scheduler import build_scheduler

    await upgrade(settings.database_url)
    app = build_app(settings)
    bot = build_bot(settings)

    scheduler = build_scheduler(app, bot)
    app.dispatcher.startup.register(on_startup)  # aiogram hands it `bot` and `app`
    scheduler.start()
    site = await _start_site(app)
    try:
        if settings.webhook_url:
            await _serve_webhook(app, bot)
        else:
            await bot.delete_webhook()
            await app.dispatcher.start_polling(bot, app=app)
    finally:
        scheduler.shutdown(wait=False)
        if site is not None:
            await site.cleanup()
        await app.close()
    return 0


async def _start_site(app):
    """The public site beside the bot when WEB_LISTEN is set."""
    if not app.settings.web_listen:
        return None
    from web.server import site_url, start_web

    runner = await start_web(app)
    log.info("public site at %s", site_url(app, runner))
    return runner


async def web_(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.web_listen:
        log.error("WEB_LISTEN is not set (e.g. WEB_LISTEN=0.0.0.0:8081)")
        return 2
    if settings.tip_secret is None:
        log.error("TIP_SECRET is not set: it protects anonymous tips and is required")
        return 2
    from bot.app import build_app

    await upgrade(settings.database_url)
    app = build_app(settings)
    runner = await _start_site(app)
    from web.server import site_url

    print(f"public site at {site_url(app, runner)}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await app.close()
    return 0


WEBHOOK_SECRET_MIN = 32


def _webhook_secret(settings: Settings) -> str:
    return settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""


async def _serve_webhook(app, bot) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    settings = app.settings
    secret = _webhook_secret(settings)  # checked by run(): every update must carry it
    web_app = web.Application()
    SimpleRequestHandler(dispatcher=app.dispatcher, bot=bot, secret_token=secret, app=app).register(
        web_app, path="/webhook"
    )
    setup_application(web_app, app.dispatcher, bot=bot, app=app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    host, port = settings.webhook_host_port
    await web.TCPSite(runner, host, port).start()
    # Only once the server listens: Telegram starts delivering as soon as the webhook is set.
    await bot.set_webhook(settings.webhook_url, secret_token=secret)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def db(settings: Settings, args: argparse.Namespace) -> int:
    await upgrade(settings.database_url)
    print("database is up to date")
    return 0


async def import_(settings: Settings, args: argparse.Namespace) -> int:
    t = _plain(settings)
    if args.kind != "all" and args.kind not in KINDS:
        print(t("import.file.kind", value=args.kind, allowed=", ".join(KINDS)))
        return 2
    if not args.file.exists():
        print(f"no such file: {args.file}")
        return 2
    if args.file.is_file() and args.file.stat().st_size > settings.import_max_mb * 1024 * 1024:
        print(t("import.too_big", limit=settings.import_max_mb))
        return 1
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            kw = {
                "skip_bad_rows": args.skip_bad_rows,
                "catalogue": settings.indicator_catalogue,
                "progress": Progress(),
            }
            if args.kind == "all":
                results = await import_directory(session, args.file, **kw)
            else:
                results = [await import_file(session, args.kind, args.file.name, args.file, **kw)]
    except FileProblem as exc:
        print(t(f"import.file.{exc.reason}", **exc.params))
        return 1
    finally:
        await engine.dispose()
    for result in results:
        print(render_result(lambda key, **p: t(key, **p), result))
    return 0 if all(r.written for r in results) else 1


async def invite(settings: Settings, args: argparse.Namespace) -> int:
    t = _plain(settings)
    try:
        target = normalise_target(args.role, args.target)
    except TargetError as exc:
        print(t(f"invite.bad.{exc}", value=args.target))
        return 2
    if settings.tip_secret is None:
        log.error("TIP_SECRET is not set: invites are stored as a keyed hash derived from it")
        return 2
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            keys = TipKeys.from_secret(settings.tip_secret.get_secret_value())
            inv, code = await create_invite(
                session, keys, args.role, target, None, args.days or settings.invite_days, utcnow()
            )
    except InviteError as exc:
        print(t(f"invite.bad.{exc}", value=args.target))
        return 1
    finally:
        await engine.dispose()
    link = f"(set BOT_TOKEN to build the link) start=inv_{code}"
    if settings.bot_token is not None:
        from aiogram.exceptions import TelegramAPIError
        from aiogram.utils.deep_linking import create_start_link

        from bot.app import build_bot

        bot = build_bot(settings)
        try:
            link = await create_start_link(bot, f"inv_{code}")
        except TelegramAPIError as exc:
            log.warning("could not reach the Bot API for the bot's username: %s", exc)
        finally:
            await bot.session.close()
    print(
        t(
            "invite.created",
            role=t(f"role.{args.role}"),
            target=target,
            link=link,
            code=code,
            expires=local(inv.expires_at, settings.tz).strftime("%Y-%m-%d %H:%M"),
        )
    )
    return 0


async def jobs(settings: Settings, args: argparse.Namespace) -> int:
    from bot.planning import PLANNERS

    if args.name in PLANNERS:
        return await _plan_then_send(settings, args.name, PLANNERS[args.name])
    from bot.app import build_app, build_bot
    from bot.scheduler import JOBS

    job = JOBS.get(args.name)
    if job is None:
        print(f"unknown job {args.name!r}; jobs: {', '.join(sorted(JOBS))}")
        return 2
    await upgrade(settings.database_url)
    app = build_app(settings)
    bot = build_bot(settings)
    try:
        result = await job(app, bot)
    finally:
        await bot.session.close()
        await app.close()
    print(f"{args.name}: {result}")
    return 0


async def _plan_then_send(settings: Settings, name: str, planner) -> int:
    """Plan without aiogram; load the sender only when the outbox holds something to send."""
    from bot.planning import waiting

    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        planned = await planner(settings, sessions, Translator(settings.default_locale))
        unsent = await waiting(sessions)
        if unsent and settings.bot_token is None:
            print(
                f"{name}: {planned}; {unsent} messages wait in the outbox for the bot (BOT_TOKEN is not set)"
            )
            return 0
        sent = await _send(settings, engine) if unsent else 0
    finally:
        await engine.dispose()
    print(f"{name}: {planned}, {sent} messages sent")
    return 0


async def _send(settings: Settings, engine) -> int:
    from bot.app import build_app, build_bot

    app = build_app(settings, engine)
    bot = build_bot(settings)
    try:
        sent = await app.sender.flush(bot, horizon=5)
        await app.channels.flush(horizon=5)
    finally:
        await bot.session.close()
        await app.close()
    return sent


async def generate(settings: Settings, args: argparse.Namespace) -> int:
    from domain.synthetic import generate as write_county
    from storage.clock import today

    if args.enterprises < 1:
        print("--enterprises must be at least 1")
        return 2
    counts = write_county(
        args.folder, args.enterprises, seed=args.seed, today=today(settings.tz), progress=Progress()
    )
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


async def demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(settings, args)


COMMANDS = {
    "run": run,
    "web": web_,
    "demo": demo,
    "db": db,
    "import": import_,
    "invite": invite,
    "jobs": jobs,
    "generate": generate,
}
