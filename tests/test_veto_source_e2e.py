"""VETO_GOVERNMENT_ONLY over HTTP: an overdue major hazard an agency found vetoes the
enterprise's responsibility only when the setting is off; one a regulator's inspection found
vetoes it either way (seed 003: 「政府监督检查问题整改情况，作为…否决项」). Seen in the owner's
/status and on the public page behind the QR code."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.emulator.harness import TgUser
from storage.clock import today
from storage.models import Agency, Enterprise, Hazard, Inspection
from tests.conftest import TZ_SETTINGS, grant, rows
from tests.test_inspect_e2e import clean
from tests.web_site import Site, with_site

AGENCY_FOUND = TgUser(974000001, "Agency", "Found", "agency_found_owner", "en")
REGULATOR_FOUND = TgUser(974000002, "Regulator", "Found", "regulator_found_owner", "en")
TODAY = today(TZ_SETTINGS.tz)


@pytest.fixture(params=[False, True], ids=["veto-any-finding", "veto-government-only"])
def settings(settings, request):
    return with_site(settings).model_copy(update={"veto_government_only": request.param})


async def overdue_major(sessions, uscc: str, source: str) -> str:
    """An open major hazard past its deadline, found by an agency's visit or a government
    inspection; returns the enterprise's public code."""
    async with sessions() as s:
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
        found = TODAY - timedelta(days=40)
        inspection_id, agency_id = None, None
        if source == "regulator":
            inspection = Inspection(
                ref=f"veto-{uscc}",
                division_prefix=ent.division,
                enterprise_id=ent.id,
                date=found,
                kind="routine",
            )
            s.add(inspection)
            await s.flush()
            inspection_id = inspection.id
        else:
            agency_id = await s.scalar(select(Agency.id))
        s.add(
            Hazard(
                agency_id=agency_id,
                ref=f"veto-{source}",
                enterprise_id=ent.id,
                found_on=found,
                description=f"Gas cylinders stored by the boiler ({source})",
                level="major",
                deadline=found + timedelta(days=7),
                status="open",
                source=source,
                inspection_id=inspection_id,
            )
        )
        await s.commit()
        return ent.public_code


async def responsibility(local, site: Site, owner: TgUser, code: str) -> tuple[bool, bool]:
    """(vetoed in /status, not fulfilled on the public page)."""
    status = (await local.client.send(owner, "/status")).text
    assert "Veto by major or overdue hazards" in status
    _, html = await site.get(f"/e/{code}?lang=en")
    public = re.search(r'<dd class="(ok|bad)">(fulfilled|not fulfilled)', html)
    return "❌ triggered" in status, public.group(1) == "bad"


async def test_the_veto_counts_agency_findings_unless_government_only(local, site, seeded, county, settings):
    busy = {h["uscc"] for h in rows(county, "hazards") if h["status"] != "verified"}
    first = clean(county)
    second = next(e for e in rows(county, "enterprises") if e["uscc"] not in busy | {first["uscc"]})
    await grant(seeded, AGENCY_FOUND, "owner", first["uscc"])
    await grant(seeded, REGULATOR_FOUND, "owner", second["uscc"])
    by_agency = await overdue_major(seeded, first["uscc"], "agency")
    by_regulator = await overdue_major(seeded, second["uscc"], "regulator")

    agency_vetoes = not settings.veto_government_only
    assert await responsibility(local, site, AGENCY_FOUND, by_agency) == (agency_vetoes, agency_vetoes)
    assert await responsibility(local, site, REGULATOR_FOUND, by_regulator) == (True, True)
