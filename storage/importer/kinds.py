"""Every kind of import file, in the order a whole folder is imported: each kind refers only
to kinds before it."""

from __future__ import annotations

from storage.importer import findings, parties, services
from storage.importer.spec import KindSpec

KINDS = (
    "enterprises",
    "agencies",
    "divisions",
    "staff",
    "contracts",
    "visits",
    "inspections",
    "hazards",
    "reports",
    "indicators",
)
_ALL = {**parties.SPECS, **services.SPECS, **findings.SPECS}
SPECS: dict[str, KindSpec] = {kind: _ALL[kind] for kind in KINDS}
assert set(_ALL) == set(KINDS)
