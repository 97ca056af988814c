"""Regulators' toolkit: /overdue (extend a deadline, mark for enforcement, export), /agencies
(figures, grades, staff), /coverage. Every action re-checks the
jurisdiction; exports are XLSX workbooks."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from bot.filters import HasRole
from bot.paging import PageCb
from bot.ui import StepCb
from domain.enums import Role
from handlers.regulator.agencies import agencies_command, agencies_page, agency_pressed
from handlers.regulator.common import AgencyCb, ExtendDialog, OverdueCb, OverdueOpenCb, RegHazardCb
from handlers.regulator.coverage import coverage_command
from handlers.regulator.hazard import (
    extend_confirmed,
    extend_date,
    extend_dropped,
    extend_reason,
    hazard_pressed,
    history_page,
    overdue_open,
)
from handlers.regulator.overdue import overdue_command, overdue_pressed


def build_router() -> Router:
    router = Router(name="regulator")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    m, c = router.message.register, router.callback_query.register
    m(overdue_command, Command("overdue"))
    m(agencies_command, Command("agencies"))
    m(coverage_command, Command("coverage"))
    c(overdue_pressed, OverdueCb.filter())
    c(hazard_pressed, RegHazardCb.filter())
    c(overdue_open, OverdueOpenCb.filter())
    c(history_page, PageCb.filter(F.view == "odh"))
    c(agencies_page, PageCb.filter(F.view == "ag"))
    c(agency_pressed, AgencyCb.filter())
    m(extend_date, ExtendDialog.date, ~F.text.startswith("/"))
    m(extend_reason, ExtendDialog.reason, ~F.text.startswith("/"))
    c(extend_confirmed, ExtendDialog.confirm, StepCb.filter(F.action == "save"))
    c(extend_dropped, ExtendDialog.confirm, StepCb.filter(F.action == "drop"))
    return router
