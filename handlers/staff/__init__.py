"""Agency staff: /clients, /visit, /hazard, /report, /verify, /due.

Every step re-checks that the agency may act for the enterprise (an active contract; for
reports and verification, one that ended less than the grace period ago)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from bot.filters import HasRole
from bot.ui import StepCb
from domain.enums import Role
from handlers.callbacks import ListCb
from handlers.common import discard
from handlers.staff.clients import clients_command, clients_page
from handlers.staff.common import (
    DEADLINE_BUTTONS,
    ClientCb,
    HazardDialog,
    KindCb,
    LevelCb,
    PageCb,
    RejectDialog,
    ReportDialog,
    VerifyCb,
    VerifyPick,
    VisitCb,
    VisitDialog,
    WaitingCb,
    WaitingPageCb,
)
from handlers.staff.due import due_command, due_from_notice
from handlers.staff.hazard import (
    hazard_change_deadline,
    hazard_command,
    hazard_confirmed,
    hazard_deadline_button,
    hazard_deadline_text,
    hazard_description,
    hazard_level,
    hazard_level_typed,
    hazard_location,
    hazard_photo,
    hazard_photo_expected,
    hazard_photos_done,
    hazard_suggestion,
    hazard_visit,
)
from handlers.staff.report import (
    ReportPageCb,
    report_command,
    report_file,
    report_file_expected,
    report_page,
    report_search,
    report_visit,
)
from handlers.staff.verify import (
    reject_reason,
    verify_command,
    verify_enterprise,
    verify_page,
    verify_pressed,
    verify_search,
)
from handlers.staff.visit import (
    visit_change,
    visit_client,
    visit_command,
    visit_confirmed,
    visit_day_text,
    visit_kind,
    visit_kind_typed,
    visit_search,
    visit_today,
)
from handlers.typed_press import TypedButton, typed_press


def build_router() -> Router:
    router = Router(name="staff")
    router.message.filter(HasRole(Role.staff))
    router.callback_query.filter(HasRole(Role.staff))
    m, c = router.message.register, router.callback_query.register
    not_command = ~F.text.startswith("/")
    m(clients_command, Command("clients"))
    c(clients_page, PageCb.filter())
    m(visit_command, Command("visit"))
    m(hazard_command, Command("hazard"))
    m(report_command, Command("report"))
    m(verify_command, Command("verify"))
    m(due_command, Command("due"))
    c(due_from_notice, ListCb.filter(F.what == "due"))
    c(visit_client, VisitDialog.client, ClientCb.filter())
    m(visit_search, VisitDialog.client, F.text, not_command)
    c(visit_kind, VisitDialog.kind, KindCb.filter())
    m(visit_kind_typed, VisitDialog.kind, not_command)
    # Steps that take free text too: a button's typed words are tried first.
    m(typed_press, VisitDialog.day, F.text, TypedButton())
    m(typed_press, HazardDialog.photos, F.text, TypedButton())
    m(typed_press, HazardDialog.deadline, F.text, TypedButton())
    c(visit_today, VisitDialog.day, StepCb.filter(F.action == "today"))
    m(visit_day_text, VisitDialog.day, F.text, not_command)
    c(visit_confirmed, VisitDialog.confirm, StepCb.filter(F.action == "save"))
    c(visit_change, VisitDialog.confirm, StepCb.filter(F.action == "change"))
    c(discard, VisitDialog.confirm, StepCb.filter(F.action == "discard"))
    c(hazard_visit, HazardDialog.visit, VisitCb.filter(F.purpose == "hazard"))
    m(hazard_description, HazardDialog.description, not_command)
    m(hazard_location, HazardDialog.location, not_command)
    m(hazard_photo, HazardDialog.photos, F.photo)
    c(hazard_photos_done, HazardDialog.photos, StepCb.filter(F.action == "done"))
    m(hazard_photo_expected, HazardDialog.photos, not_command)
    c(hazard_level, HazardDialog.level, LevelCb.filter())
    m(hazard_level_typed, HazardDialog.level, not_command)
    m(hazard_suggestion, HazardDialog.suggestion, not_command)
    c(hazard_deadline_button, HazardDialog.deadline, StepCb.filter(F.action.in_(DEADLINE_BUTTONS)))
    m(hazard_deadline_text, HazardDialog.deadline, F.text, not_command)
    c(hazard_confirmed, HazardDialog.confirm, StepCb.filter(F.action == "save"))
    c(hazard_change_deadline, HazardDialog.confirm, StepCb.filter(F.action == "redo"))
    c(discard, HazardDialog.confirm, StepCb.filter(F.action == "discard"))
    c(report_visit, ReportDialog.visit, VisitCb.filter(F.purpose == "report"))
    c(report_page, ReportDialog.visit, ReportPageCb.filter())
    m(report_search, ReportDialog.visit, F.text, not_command)
    m(report_file, ReportDialog.file, F.document | F.photo)
    m(report_file_expected, ReportDialog.file, not_command)
    c(verify_pressed, VerifyCb.filter())
    c(verify_enterprise, WaitingCb.filter())
    c(verify_page, WaitingPageCb.filter())
    m(verify_search, VerifyPick.enterprise, F.text, not_command)
    m(reject_reason, RejectDialog.reason, not_command)
    return router
