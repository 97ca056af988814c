"""Every role × every command and every button × an object that is not the role's: the answer
is a refusal (an answer that shows nothing of the object) and the database is unchanged, byte
for byte. The commands and button prefixes are read from the routers, so a new handler
without a case here fails. SQLite only: the matrix is about the handlers' checks, which do not
depend on the database, and takes about a minute."""

import sqlite3
from dataclasses import dataclass
from datetime import date

import pytest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackQueryFilter
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.emulator.harness import TgUser
from domain.anonymity import row_context
from handlers.routers import feature_routers
from storage import tips as tip_store
from storage.models import Agency, Contract, Enterprise, Hazard, Tip, Visit
from tests.conftest import ADMIN, TIP_KEYS, grant

ROLES = {
    "none": TgUser(940000001, "No", "Role", "", "en"),
    "owner": TgUser(940000002, "Own", "Er", "", "en"),
    "staff": TgUser(940000003, "Sta", "Ff", "", "en"),
    "regulator": TgUser(940000004, "Regu", "Lator", "", "en"),
    "admin": ADMIN,
}
TIP_TEXT = "另一乡镇的举报内容-编号6612"

# Commands that act on no object of anyone else: what they show or change is the viewer's own
# (their help, language, dialogs, their own scope) or open to everyone (tips, invites accepted).
OPEN = {
    "start": "deep links are checked by their own tests; /start shows the viewer's own help",
    "help": "the viewer's own commands",
    "cancel": "leaves the viewer's own dialog",
    "language": "the viewer's own setting",
    "whoami": "the viewer's own roles",
    "tip": "anyone may tip",
    "follow": "the receipt is the only key: a wrong one is answered like any other",
}
# Commands without arguments answer within the viewer's own scope: the case checks the answer
# shows nothing of the foreign objects, and changes nothing.
OWN_SCOPE = {
    "status", "qr", "hazards", "rate", "clients", "due", "hazard", "report", "verify", "visit",
    "digest", "agencies", "coverage", "tips", "stats", "channels", "evidence", "review",
}  # fmt: skip
# Commands naming an object; {…} is filled with the foreign one.
NAMED = {
    "enterprise": "/enterprise {uscc}",
    "overdue": "/overdue {township}",
    "subsidy": "/subsidy {year}",
    "invite": "/invite owner {uscc}",
    "import": "/import",
    "inspect": "/inspect {uscc}",
}
# A role's own business, whatever the object: admins invite and import; a regulator's /subsidy
# records the computation for the viewer's own jurisdiction (the township's first check).
ROLE_MAY = {"admin": {"invite", "import"}, "regulator": {"subsidy"}}
BUTTONS = {
    "own": ["own:status:{enterprise}", "own:qr:{enterprise}"],
    "tt": ["tt:enterprise:{enterprise}"],
    "ttw": ["ttw:{township}"],  # a township for an unregistered workplace, outside its dialog
    "tc": ["tc:unsafe_condition"],
    "fu": ["fu:add:{forged_ref}"],
    "tip": ["tip:{tip}"],
    "ta": ["ta:substantiated:{tip}", "ta:reply:{tip}", "ta:review:{tip}"],
    "step": ["step:done", "step:today"],
    "lang": [],  # the viewer's own setting
    "ls": [],  # lists the viewer's own hazards or deadlines
    "fix": ["fix:{hazard}"],
    "hzt": ["hzt:{hazard}"],
    "rpp": [],  # a page of the viewer's own agency's visits
    "rate": ["rate:{visit}:5", "rate:{visit}:0"],
    "pg": [],  # a page of one of the viewer's own lists
    "cpg": [],  # a page of the viewer's own clients
    "cli": ["cli:{enterprise}"],
    "vk": ["vk:monthly"],
    "pv": ["pv:hazard:{visit}", "pv:report:{visit}"],
    "lv": ["lv:major"],
    "vf": ["vf:verify:{hazard}", "vf:confirm:{hazard}", "vf:reject:{hazard}"],
    "vw": ["vw:{enterprise}"],
    "prof": ["prof:{enterprise}"],
    "ov": ["ov:page:1:{township}:", "ov:export:0:{township}:"],
    "ovo": ["ovo:{hazard}:0:{township}:"],
    "rh": ["rh:open:{hazard}", "rh:extend:{hazard}", "rh:enforce:{hazard}"],
    "ag": ["ag:staff:{agency}:{period}", "ag:export:{agency}:{period}"],
    "imp": [],  # an admin's own import dialog; others are refused by the role filter
    "vwp": [],  # a page of the viewer's own waiting rectifications
    "ch": ["ch:delete:999999:", "ch:topic:999999:tips"],  # no such channel: nobody's
    "sub": ["sub:approve:{year}:1", "sub:publish:{year}:1"],  # county steps; no role here is county
    "ev": ["ev:ent:{enterprise}:0:", "ev:pick:{enterprise}:0:TRAIN", "ev:send:{enterprise}:0:TRAIN"],
    "rv": ["rv:accept:999999:0", "rv:confirm:999999:0", "rv:reject:999999:0"],  # no such submission: nobody's
    "insp": ["insp:ent:{enterprise}"],
    "gv": ["gv:verify:{hazard}", "gv:confirm:{hazard}", "gv:reject:{hazard}"],
    "enf": ["enf:export"],  # the viewer's own jurisdiction's list
}


def registered() -> tuple[set[str], set[str]]:
    commands, prefixes = set(), set()
    for router in feature_routers():
        for handler in router.message.handlers:
            for f in handler.filters or []:
                if isinstance(f.callback, Command):
                    commands |= {c for c in f.callback.commands if isinstance(c, str)}
        for handler in router.callback_query.handlers:
            for f in handler.filters or []:
                if isinstance(f.callback, CallbackQueryFilter):
                    prefixes.add(f.callback.callback_data.__prefix__)
    return commands, prefixes


def test_every_registered_handler_has_a_case():
    commands, prefixes = registered()
    assert commands - (set(OPEN) | OWN_SCOPE | set(NAMED)) == set()
    assert prefixes - set(BUTTONS) == set()


@dataclass
class Foreign:
    """Objects that belong to none of the roles."""

    enterprise: int
    uscc: str
    name: str
    township: str
    hazard: int
    hazard_text: str
    visit: int
    agency: int
    tip: int


def dump(db_url: str) -> str:
    with sqlite3.connect(make_url(db_url).database) as db:
        return "\n".join(db.iterdump())


async def _setup(seeded) -> tuple[Foreign, dict[str, tuple[str, str]]]:
    async with seeded() as s:
        mine = await s.scalar(select(Enterprise).order_by(Enterprise.id))
        hazard = await s.scalar(
            select(Hazard)
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .where(Enterprise.division != mine.division, Hazard.status != "verified")
            .order_by(Hazard.id)
        )
        ent = await s.get(Enterprise, hazard.enterprise_id)
        visit = await s.scalar(
            select(Visit).where(Visit.enterprise_id == ent.id, Visit.agency_id == hazard.agency_id)
        )
        served = set(
            (await s.scalars(select(Contract.agency_id).where(Contract.enterprise_id == ent.id))).all()
        ) | set((await s.scalars(select(Visit.agency_id).where(Visit.enterprise_id == ent.id))).all())
        staff_agency = await s.scalar(select(Agency).where(Agency.id.not_in(served)).order_by(Agency.id))
        target = tip_store.Target("enterprise", ent.id, ent.name, ent.division)
        await tip_store.file_tip(s, TIP_KEYS, target, "other", TIP_TEXT, [])
        tip = await s.scalar(select(Tip.id))
        foreign = Foreign(
            ent.id, ent.uscc, ent.name, ent.division, hazard.id, hazard.description, visit.id,
            hazard.agency_id, tip,
        )  # fmt: skip
        grants = {
            "owner": ("owner", mine.uscc),
            "staff": ("staff", staff_agency.code),
            "regulator": ("regulator", mine.division),
        }
    return foreign, grants


def _refusal(reply, foreign: Foreign, what: str) -> None:
    shown = reply.text + " ".join(reply.alerts)
    assert reply.messages or reply.alerts, f"{what}: no answer"
    # Not its USCC (echoed when typed) nor a hazard description (generated ones repeat).
    for secret in (foreign.name, TIP_TEXT):
        assert secret not in shown, f"{what}: shows {secret!r}: {shown[:300]}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_no_role_reaches_an_object_that_is_not_theirs(local, seeded, settings):
    foreign, grants = await _setup(seeded)
    for role, (kind, target) in grants.items():
        await grant(seeded, ROLES[role], kind, target)
    forged_ref = TIP_KEYS.seal(b"1", row_context("nothing")).hex()[:40]
    fill = {
        **foreign.__dict__,
        "year": date.today().year,
        "period": f"{date.today().year}H1",
        "forged_ref": forged_ref,
    }
    for user in ROLES.values():
        await local.client.send(user, "/start")  # first contact settles the user row, if any
    anchor = {role: (await local.client.send(u, "/help")).messages[-1] for role, u in ROLES.items()}
    for role, user in ROLES.items():
        cases = [(f"/{c}", "command") for c in sorted(OWN_SCOPE)]
        cases += [(text.format(**fill), name) for name, text in NAMED.items()]
        cases += [(data.format(**fill), "button") for datas in BUTTONS.values() for data in datas]
        for text, kind in cases:
            if kind in ROLE_MAY.get(role, set()):
                continue
            before = dump(settings.database_url)
            if kind == "button":
                reply = await local.client.press(user, anchor[role], data=text, forge=True)
            else:
                reply = await local.client.send(user, text)
            _refusal(reply, foreign, f"{role} {text}")
            await local.client.send(user, "/cancel")
            assert dump(settings.database_url) == before, f"{role} {text} changed the database"
