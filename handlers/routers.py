"""All feature routers, in the order they are tried: specific first, the fallback last."""

from __future__ import annotations

from aiogram import Router

from handlers import common, fallback, imports, invites


def feature_routers() -> list[Router]:
    return [invites.router, common.router, imports.router, fallback.router]
