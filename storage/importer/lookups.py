"""Maps from natural keys in files to database ids. Small tables are loaded once per import;
visits (a million at province scale) are fetched for each chunk of rows as it streams."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.indicators import load_catalogue
from storage.importer.fields import RowProblem
from storage.models import Agency, Enterprise, Inspection, Visit


class Lookups:
    def __init__(self, session: AsyncSession, catalogue: str = "") -> None:
        self.session = session
        self.catalogue_codes = {i.code for i in load_catalogue(catalogue)}
        self._enterprises: dict[str, int] = {}
        self._agencies: dict[str, int] = {}
        self._visits: dict[tuple[int, str], tuple[int, int]] = {}
        self._inspections: dict[tuple[str, str], tuple[int, int]] = {}
        self._divisions: dict[int, str] = {}
        self._needs_visits = False

    async def load(self, kind: str) -> None:
        s = self.session
        if kind not in ("enterprises", "agencies", "divisions"):
            self._agencies = dict((await s.execute(select(Agency.code, Agency.id))).all())
        if kind in ("contracts", "visits", "inspections", "hazards", "indicators"):
            self._enterprises = dict((await s.execute(select(Enterprise.uscc, Enterprise.id))).all())
        if kind in ("inspections", "hazards"):
            # An inspection's enterprise must lie in the inspecting division.
            self._divisions = dict((await s.execute(select(Enterprise.id, Enterprise.division))).all())
        if kind == "hazards":
            rows = await s.execute(
                select(Inspection.division_prefix, Inspection.ref, Inspection.id, Inspection.enterprise_id)
            )
            self._inspections = {(p, r): (i, e) for p, r, i, e in rows}
        self._needs_visits = kind in ("hazards", "reports")

    async def prefetch(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        """The visits the next chunk of rows names, in one query on the (agency, ref) key."""
        if not self._needs_visits:
            return
        agencies = {self._agencies.get(row.get("agency_code", "")) for _, row in rows} - {None}
        refs = {row.get("visit_ref", "") for _, row in rows} - {""}
        self._visits = {}
        if not agencies or not refs:
            return
        query = select(Visit.agency_id, Visit.ref, Visit.id, Visit.enterprise_id).where(
            Visit.agency_id.in_(agencies), Visit.ref.in_(refs)
        )
        self._visits = {(a, r): (v, e) for a, r, v, e in await self.session.execute(query)}

    def enterprise(self, code: str) -> int:
        try:
            return self._enterprises[code]
        except KeyError:
            raise RowProblem("unknown_enterprise", value=code) from None

    def agency(self, code: str) -> int:
        try:
            return self._agencies[code]
        except KeyError:
            raise RowProblem("unknown_agency", value=code) from None

    def division_of(self, enterprise_id: int) -> str:
        return self._divisions[enterprise_id]

    def inspection(self, prefix: str, ref: str) -> tuple[int, int]:
        try:
            return self._inspections[(prefix, ref)]
        except KeyError:
            raise RowProblem("unknown_inspection", value=ref) from None

    def visit(self, agency_id: int, ref: str) -> tuple[int, int]:
        try:
            return self._visits[(agency_id, ref)]
        except KeyError:
            raise RowProblem("unknown_visit", value=ref) from None
