"""Shared by the agency staff's dialogs: callback data, dialog states, the agency of a viewer."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from bot.i18n import BoundTranslator
from bot.viewer import Viewer
from domain.enums import Role

MAX_PHOTOS = 5
PICK_PAGE = 8  # enterprises per page of a picker
QUICK_DEADLINES = (7, 30)  # days from today, offered as buttons beside the level's default
DEADLINE_BUTTONS = ("default", *(f"in{d}" for d in QUICK_DEADLINES))
REPORT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
REPORT_SUFFIXES = (".pdf", ".doc", ".docx", ".jpg", ".jpeg", ".png")


class ClientCb(CallbackData, prefix="cli"):
    enterprise_id: int


class PageCb(CallbackData, prefix="cpg"):  # a page of /clients (bot.paging.PageCb is "pg")
    page: int


class KindCb(CallbackData, prefix="vk"):
    kind: str


class VisitCb(CallbackData, prefix="pv"):
    purpose: str  # hazard | report
    visit_id: int


class LevelCb(CallbackData, prefix="lv"):
    level: str


class VerifyCb(CallbackData, prefix="vf"):
    action: str  # verify | confirm | keep | reject
    hazard_id: int


class WaitingCb(CallbackData, prefix="vw"):
    enterprise_id: int


class WaitingPageCb(CallbackData, prefix="vwp"):
    page: int


class VisitDialog(StatesGroup):
    client = State()
    kind = State()
    day = State()
    confirm = State()


class HazardDialog(StatesGroup):
    visit = State()
    description = State()
    location = State()
    photos = State()
    level = State()
    suggestion = State()
    deadline = State()
    confirm = State()


class ReportDialog(StatesGroup):
    visit = State()
    file = State()


class VerifyPick(StatesGroup):
    enterprise = State()  # the picker is shown: a typed text searches names


class RejectDialog(StatesGroup):
    reason = State()


def agency_of(viewer: Viewer) -> int | None:
    grants = [g.agency_id for g in viewer.targets(Role.staff) if g.agency_id]
    return grants[0] if grants else None


def refuse(t: BoundTranslator):
    return t("staff.no_contract")
