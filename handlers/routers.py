"""All feature routers, in the order they are tried: specific first, the fallback last.
Built fresh for each dispatcher (a router belongs to one parent)."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    channels,
    common,
    delivery,
    digest,
    fallback,
    imports,
    invites,
    lookup,
    owner,
    regulator,
    staff,
    status,
    subsidy,
    tip_triage,
    tips,
)


def feature_routers() -> list[Router]:
    return [
        module.build_router()
        for module in (
            invites,
            status,
            tips,
            common,
            owner,
            staff,
            lookup,
            tip_triage,
            digest,
            delivery,
            regulator,
            subsidy,
            imports,
            channels,
            fallback,
        )
    ]
