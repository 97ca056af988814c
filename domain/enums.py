"""Closed vocabularies shared by storage, import files and dialogs (values as in the contract)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    staff = "staff"
    regulator = "regulator"
    admin = "admin"


class ContractKind(StrEnum):
    comprehensive = "comprehensive"
    monthly = "monthly"


class VisitKind(StrEnum):
    comprehensive = "comprehensive"
    monthly = "monthly"
    reinspection = "reinspection"
    training = "training"
    drill = "drill"
    other = "other"


class HazardLevel(StrEnum):
    general = "general"
    major = "major"


class HazardStatus(StrEnum):
    open = "open"
    submitted = "submitted"
    verified = "verified"


class HazardEventKind(StrEnum):
    created = "created"
    imported = "imported"
    submitted = "submitted"
    rejected = "rejected"
    verified = "verified"
    extended = "extended"
    enforcement = "enforcement"


class SizeClass(StrEnum):
    large = "large"
    small = "small"


class TipTarget(StrEnum):
    enterprise = "enterprise"
    agency = "agency"


class TipCategory(StrEnum):
    unsafe_condition = "unsafe_condition"
    not_rectified = "not_rectified"
    agency_fraud = "agency_fraud"
    other = "other"


class TipStatus(StrEnum):
    new = "new"
    in_review = "in_review"
    substantiated = "substantiated"
    unfounded = "unfounded"
    referred = "referred"


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    unreachable = "unreachable"


class HazardSource(StrEnum):
    agency = "agency"  # found on an agency's visit
    regulator = "regulator"  # found on a government inspection


class InspectionKind(StrEnum):
    routine = "routine"
    special = "special"
    tip_followup = "tip_followup"


class EvidenceStatus(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
