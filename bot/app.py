"""Assembly: the bot, the dispatcher with its middlewares and routers, polling or webhook."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.i18n import Translator
from bot.memory_fsm import ForgetfulEventIsolation, ForgetfulMemoryStorage
from bot.menus import set_default_menus, set_user_menu
from bot.middlewares import ContextMiddleware
from bot.once import OnceMiddleware
from bot.paging import LengthGuard
from bot.response_types import KeepResponseTypes
from bot.sealed_fsm import SealedEventIsolation, SealedStorage
from bot.tip_guard import TipGuard
from channels.sender import ChannelSender
from domain.anonymity import TipKeys
from handlers.errors import on_error
from handlers.routers import feature_routers
from notifications.pacing import RedisPacer
from notifications.sender import Sender
from storage.db import create_engine, session_factory

log = logging.getLogger(__name__)


def build_bot(settings: Settings) -> Bot:
    if settings.bot_token is None:
        raise SystemExit("BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/")))
    session.middleware(LengthGuard())
    session.middleware(KeepResponseTypes())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_fsm(
    settings: Settings, keys: TipKeys | None
) -> tuple[BaseStorage, BaseEventIsolation, Redis | None]:
    ttl = settings.dialog_ttl_minutes * 60
    redis = None
    if settings.redis_url:
        from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation, RedisStorage

        keys_in_redis = DefaultKeyBuilder(with_destiny=True)
        storage = RedisStorage.from_url(
            settings.redis_url, key_builder=keys_in_redis, state_ttl=ttl, data_ttl=ttl
        )
        redis = storage.redis
        isolation = RedisEventIsolation(redis, key_builder=keys_in_redis)
    else:
        storage = ForgetfulMemoryStorage(ttl, settings.dialog_memory_limit)
        isolation = ForgetfulEventIsolation()
    if keys is None:  # no TIP_SECRET (a job run): no tip dialog can happen either
        return storage, isolation, redis
    return SealedStorage(storage, keys), SealedEventIsolation(isolation, keys), redis


def build_sender(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], redis: Redis | None
) -> Sender:
    """With Redis every process sends within one shared budget; without it one process does."""
    pacer = None
    if redis is not None:
        secret = (settings.bot_token.get_secret_value() if settings.bot_token else "").encode()
        pacer = RedisPacer(redis, secret or b"outbox")
    return Sender(
        sessions,
        lease=settings.outbox_lease_seconds,
        in_flight=settings.outbox_in_flight,
        settle_batch=settings.outbox_settle_batch,
        pacer=pacer,
        shared=pacer is not None,
    )


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    translator: Translator
    dispatcher: Dispatcher
    sender: Sender
    channels: ChannelSender | None = None  # WeCom, DingTalk and email

    async def close(self) -> None:
        await self.sender.close()
        await self.dispatcher.storage.close()
        await self.dispatcher.fsm.events_isolation.close()
        await self.engine.dispose()


def build_app(settings: Settings, engine: AsyncEngine | None = None) -> App:
    engine = engine or create_engine(settings.database_url)
    sessions = session_factory(engine)
    translator = Translator(settings.default_locale)
    keys = TipKeys.from_secret(settings.tip_secret.get_secret_value()) if settings.tip_secret else None
    storage, isolation, redis = build_fsm(settings, keys)
    sender = build_sender(settings, sessions, redis)
    guard = TipGuard(settings, keys, redis)
    dp = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=settings,
        translator=translator,
        sessions=sessions,
        sender=sender,
        tip_guard=guard,
        tip_keys=keys,
    )
    dp.update.outer_middleware(OnceMiddleware(redis))
    dp.update.outer_middleware(ContextMiddleware(sessions, settings, translator))
    dp.errors.register(on_error)
    dp.include_routers(*feature_routers())
    return App(settings, engine, sessions, translator, dp, sender, ChannelSender(sessions, settings, keys))


async def on_startup(bot: Bot, app: App) -> None:
    await set_default_menus(bot, app.translator)
    for admin_id in app.settings.admin_ids:
        await set_user_menu(bot, app.translator.bind(app.settings.default_locale), admin_id, {"admin"})
