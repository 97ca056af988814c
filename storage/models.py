"""Tables for every object of the domain. Natural keys are unique; lookups by enterprise,
division prefix, deadline and status are indexed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.clock import utcnow


def _tg_id(**kw) -> object:
    # Telegram ids exceed 2**31.
    return Field(sa_type=BigInteger, **kw)


class Enterprise(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=200, index=True)
    division: str = Field(max_length=9, index=True)
    industry: str = Field(default="", max_length=100)
    size: str = Field(default="", max_length=10)
    tags: str = Field(default="", max_length=300)
    public_code: str = Field(max_length=32, unique=True)


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=50, unique=True)
    name: str = Field(max_length=200)
    uscc: str = Field(default="", max_length=18)
    division: str = Field(default="", max_length=9)
    in_pool_until: date | None = None  # in the county's pool of agencies until this day


class Staff(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agency_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    name: str = Field(max_length=100)
    qualification: str = Field(default="", max_length=200)
    user_id: int | None = _tg_id(default=None, index=True, nullable=True)


class Contract(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("agency_id", "enterprise_id", "kind", "start_date"),
        Index("ix_contract_enterprise_end", "enterprise_id", "end_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    kind: str = Field(max_length=20)
    start_date: date
    end_date: date


class Visit(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("agency_id", "ref"),
        Index("ix_visit_enterprise_date", "enterprise_id", "date"),
        Index("ix_visit_agency_date", "agency_id", "date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    ref: str = Field(max_length=64)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    date: date
    kind: str = Field(max_length=20)


class Hazard(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("agency_id", "ref"),
        UniqueConstraint("inspection_id", "ref"),
        Index("ix_hazard_enterprise_status", "enterprise_id", "status"),
        Index("ix_hazard_status_deadline", "status", "deadline"),
    )
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    ref: str = Field(max_length=64)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)
    found_on: date
    description: str = Field(max_length=2000)
    location: str = Field(default="", max_length=200)
    suggestion: str = Field(default="", max_length=2000)
    level: str = Field(max_length=10)
    deadline: date
    status: str = Field(max_length=12)
    closed_on: date | None = None
    # Who found it: an agency on a visit, or a regulator on a government inspection.
    source: str = Field(default="agency", max_length=10, sa_column_kwargs={"server_default": "agency"})
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id", index=True)
    # The day the pending rectification was submitted: submitted by the deadline, the hazard
    # awaits the agency's check and is not overdue for the owner.
    submitted_on: date | None = None


class HazardEvent(SQLModel, table=True):
    """Append-only history of a hazard: nothing about a hazard is overwritten silently."""

    id: int | None = Field(default=None, primary_key=True)
    hazard_id: int = Field(foreign_key="hazard.id", index=True)
    kind: str = Field(max_length=16)
    actor_id: int | None = _tg_id(default=None, nullable=True)
    note: str = Field(default="", max_length=2000)
    deadline: date | None = None
    at: datetime = Field(default_factory=utcnow)


class HazardPhoto(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="hazardevent.id", index=True)
    file_id: str = Field(max_length=200)


class ServiceReport(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", unique=True)
    submitted_on: date
    file_id: str = Field(default="", max_length=200)
    submitted_by: int | None = _tg_id(default=None, nullable=True)


class Rating(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", unique=True)
    stars: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)
    rated_by: int | None = _tg_id(default=None, nullable=True)
    at: datetime = Field(default_factory=utcnow)


class IndicatorRecord(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("enterprise_id", "indicator"),)
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    indicator: str = Field(max_length=32)
    fulfilled_on: date
    expires_on: date | None = Field(default=None, index=True)


class Tip(SQLModel, table=True):
    """An anonymous tip. Nothing here may identify the sender (contract: Anonymity)."""

    id: int | None = Field(default=None, primary_key=True)
    receipt_hash: str = Field(max_length=64, unique=True)
    target_kind: str = Field(max_length=12)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    division: str = Field(default="", max_length=9, index=True)
    category: str = Field(max_length=20)
    status: str = Field(max_length=16, index=True)
    created_hour: datetime
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class TipMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tip.id", index=True)
    author: str = Field(max_length=12)  # tipster | regulator | note
    created_hour: datetime
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class TipAttachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tip.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="tipmessage.id")
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class User(SQLModel, table=True):
    """A person known to the bot. Created only when needed (a role, a saved language):
    someone who only sends tips never gets a row."""

    __tablename__ = "app_user"
    id: int = _tg_id(primary_key=True, sa_column_kwargs={"autoincrement": False})
    locale: str | None = Field(default=None, max_length=5)  # chosen with /language
    telegram_language: str | None = Field(default=None, max_length=16)  # last seen language_code
    unreachable: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class RoleGrant(SQLModel, table=True):
    # (role, target): reminders and alerts look regulators up by role for every hazard.
    __table_args__ = (
        UniqueConstraint("user_id", "role", "target"),
        Index("ix_rolegrant_role_target", "role", "target"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _tg_id(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=12)
    # USCC, agency code, division prefix or "-" (admin), as in the invite.
    target: str = Field(max_length=50, index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    granted_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)  # HMAC of the code: a backup redeems nothing
    role: str = Field(max_length=12)
    target: str = Field(max_length=50)
    created_by: int | None = _tg_id(default=None, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = _tg_id(default=None, nullable=True)


class Channel(SQLModel, table=True):
    """A WeCom group robot, DingTalk custom robot or email address that receives notices of a
    jurisdiction ("" = everywhere). Its key, token and secret, or address, are sealed."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)  # wecom | dingtalk | email
    jurisdiction: str = Field(default="", max_length=9, index=True)
    label: str = Field(max_length=100)  # what people see: never the secret
    secret: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    topics: str = Field(default="", max_length=100)  # comma-separated: digest,major,overdue,tips
    created_by: int | None = _tg_id(default=None, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)
    # The platform throttled this robot: nothing is sent to it before then.
    paused_until: datetime | None = None


class Outbox(SQLModel, table=True):
    """A notice waiting to be sent; written in the transaction of the change that caused it."""

    __table_args__ = (Index("ix_outbox_status_due", "status", "not_before"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _tg_id(index=True)
    kind: str = Field(max_length=32)
    # One per recipient and occasion: a second enqueue of the same key is a no-op.
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    payload: str  # JSON: text, reply_markup, photo/document, parse_mode
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    error: str = Field(default="", max_length=500)
    # Which sender holds the row while sending it, and since when: a row held longer than the
    # lease by a sender that died is taken up again.
    claimed_by: str = Field(default="", max_length=40)
    claimed_at: datetime | None = None
    # Empty for Telegram (chat_id is the chat); else the WeCom, DingTalk or email channel.
    channel_id: int | None = Field(default=None, foreign_key="channel.id", index=True)


class ReminderLog(SQLModel, table=True):
    """Each reminder item once per recipient and occasion (e.g. hazard 7, overdue, window 2)."""

    __table_args__ = (UniqueConstraint("user_id", "item"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _tg_id()
    item: str = Field(max_length=80)
    at: datetime = Field(default_factory=utcnow)


class SchedulerLock(SQLModel, table=True):
    """Only the process holding this lease schedules jobs when several processes run."""

    name: str = Field(primary_key=True, max_length=40)
    owner: str = Field(max_length=40)
    expires_at: datetime


class JobMark(SQLModel, table=True):
    """How far a periodic job has covered (the hourly tip count: every hour before `until`
    has been reported), so hours missed during a restart or a stall are reported later."""

    name: str = Field(primary_key=True, max_length=40)
    until: datetime


class AgencyGrade(SQLModel, table=True):
    """A published half-year grade: stored, so later edits of the data do not change it."""

    __table_args__ = (UniqueConstraint("agency_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    period: str = Field(max_length=8)  # e.g. 2026H1
    score: float
    grade: str = Field(default="", max_length=1)  # empty: not graded
    figures: str  # JSON of the figures the grade was computed from
    published_at: datetime = Field(default_factory=utcnow)


class Division(SQLModel, table=True):
    """Names of townships and counties, shown instead of their codes."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=9, unique=True)
    name: str = Field(max_length=100)


class StoredFile(SQLModel, table=True):
    """A file received in the chat: Telegram's file_id is valid for this bot only, so the
    content hash and the key of the copy in the file store are kept with it."""

    id: int | None = Field(default=None, primary_key=True)
    file_id: str = Field(max_length=200)
    sha256: str = Field(max_length=64, index=True)
    name: str = Field(default="", max_length=200)
    mime: str = Field(default="", max_length=100)
    size: int = 0
    store_key: str = Field(default="", max_length=200)
    # False while the store could not take the copy: the `files` job copies it later.
    copied: bool = Field(default=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Inspection(SQLModel, table=True):
    """A government inspection (检查) by a regulator of a division."""

    __table_args__ = (
        UniqueConstraint("division_prefix", "ref"),
        Index("ix_inspection_enterprise_date", "enterprise_id", "date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=64)
    division_prefix: str = Field(max_length=9)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    date: date
    kind: str = Field(max_length=16)  # routine | special | tip_followup
    note: str = Field(default="", max_length=2000)
    document_id: int | None = Field(default=None, foreign_key="storedfile.id")  # 执法文书
    tip_id: int | None = Field(default=None, foreign_key="tip.id", index=True)
    inspector_id: int | None = _tg_id(default=None, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)


class EvidenceSubmission(SQLModel, table=True):
    """An owner's evidence (云档案) for one indicator, reviewed by a regulator (审核反馈)."""

    __table_args__ = (
        Index("ix_evidence_status_submitted", "status", "submitted_at"),
        Index("ix_evidence_enterprise_indicator", "enterprise_id", "indicator"),
    )
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    indicator: str = Field(max_length=32)
    fulfilled_on: date
    expires_on: date | None = None  # given by the owner where the catalogue has no validity
    status: str = Field(max_length=10)  # submitted | accepted | rejected
    submitted_by: int | None = _tg_id(default=None, nullable=True)
    submitted_at: datetime = Field(default_factory=utcnow)
    reviewer_id: int | None = _tg_id(default=None, nullable=True)
    reviewed_at: datetime | None = None
    reason: str = Field(default="", max_length=1000)


class EvidenceFile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="evidencesubmission.id", index=True)
    file_id: int = Field(foreign_key="storedfile.id")


class SubsidyLine(SQLModel, table=True):
    """One enterprise's subsidy item from one agency for a year, paid or with the reason it is
    not, and its way through the approval path: township check (初审, confirmed or flagged),
    county review (审核), finance (审定), published (公示); each step with who and when."""

    __table_args__ = (
        UniqueConstraint("year", "enterprise_id", "agency_id", "item"),
        Index("ix_subsidyline_year_division", "year", "division"),
    )
    id: int | None = Field(default=None, primary_key=True)
    year: int
    division: str = Field(max_length=9)  # the enterprise's township
    enterprise_id: int = Field(foreign_key="enterprise.id")
    agency_id: int = Field(foreign_key="agency.id")
    item: str = Field(max_length=16)  # comprehensive | monthly
    amount: float = 0.0
    reason: str = Field(default="", max_length=16)  # why nothing is paid
    months_done: int = 0
    months_due: int = 0
    rate: float = 0.0  # the agency's signing rate that year
    cut: float = 0.0  # … and the cut of its inspection subsidy
    status: str = Field(default="computed", max_length=12)
    flag_note: str = Field(default="", max_length=500)
    checked_by: int | None = _tg_id(default=None, nullable=True)
    checked_at: datetime | None = None
    reviewed_by: int | None = _tg_id(default=None, nullable=True)
    reviewed_at: datetime | None = None
    approved_by: int | None = _tg_id(default=None, nullable=True)
    approved_at: datetime | None = None
    published_by: int | None = _tg_id(default=None, nullable=True)
    published_at: datetime | None = None
