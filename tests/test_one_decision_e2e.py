"""One decision everywhere: an enterprise whose colour depends on which indicators apply to it
and which have expired, and whose one hazard is past its deadline but was submitted in time,
reads the same on /status, the public link, the public web page, the digest (text and
workbook) and the /coverage headline."""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from bot.emulator.harness import TgUser
from domain.indicators import applicable, load_catalogue
from domain.uscc import complete
from storage.clock import today
from storage.models import Enterprise, Hazard, IndicatorRecord
from tests.conftest import TZ_SETTINGS, grant
from tests.web_site import Site, with_site

OWNER = TgUser(975000001, "Owner", "", "", "en")
REG = TgUser(975000002, "Town", "Reg", "", "en")
STRANGER = TgUser(975000003, "Passer", "By", "", "en")
TODAY = today(TZ_SETTINGS.tz)
TOWN = "330226999"  # a township of its own: every figure of the area is this enterprise's
CATALOGUE = load_catalogue()
APPLIES = [i.code for i in applicable(CATALOGUE, "", "机械制造")]
EXPIRED = [c for c in APPLIES if c not in ("RESP", "TRAIN")][: len(APPLIES) * 4 // 10]
FULFILLED = len(APPLIES) - len(EXPIRED)


@pytest.fixture
def settings(settings):
    return with_site(settings)


@pytest.fixture
async def crafted(seeded):
    """A machine shop (no chemicals): every applicable indicator recorded, 40% of them (the
    drill among them) expired; a hazardous-chemical record that does not apply; one hazard
    past its deadline whose rectification was submitted before it and awaits the check."""
    assert "CHEM" not in APPLIES and "DRILL" in EXPIRED
    long_ago = TODAY - timedelta(days=200)
    async with seeded() as s:
        ent = Enterprise(
            uscc=complete("91330226999000001"),
            name="一决定机械有限公司",
            division=TOWN,
            industry="机械制造",
            size="small",
            tags="",
            public_code="one-decision-public-code",
        )
        s.add(ent)
        await s.flush()
        for code in [*APPLIES, "CHEM"]:
            expires = TODAY - timedelta(days=60) if code in EXPIRED else None
            s.add(
                IndicatorRecord(
                    enterprise_id=ent.id, indicator=code, fulfilled_on=long_ago, expires_on=expires
                )
            )
        s.add(
            Hazard(
                ref="ONE-DECISION-1",
                enterprise_id=ent.id,
                found_on=TODAY - timedelta(days=60),
                description="配电箱未上锁",
                level="general",
                deadline=TODAY - timedelta(days=30),
                status="submitted",
                submitted_on=TODAY - timedelta(days=35),
            )
        )
        await s.commit()
        return ent.uscc, ent.public_code


def _expected_share() -> str:
    return f"{FULFILLED} of {len(APPLIES)} applicable"


async def test_status_says_orange_with_only_the_applicable_and_valid_indicators(local, seeded, crafted):
    uscc, _ = crafted
    await grant(seeded, OWNER, "owner", uscc)
    text = (await local.client.send(OWNER, "/status")).text
    # 60% fulfilled: orange. Counting expired ones as fulfilled would say yellow (the hazard);
    # counting the chemical indicator would say N of 21.
    assert "Risk colour: 🟠 orange (elevated risk)" in text
    assert f"Responsibility indicators: {_expected_share()} fulfilled" in text
    assert "Veto by major or overdue hazards: ✅ not triggered" in text
    # Indicators that do not apply are listed nowhere, not even as missing.
    assert "Missing indicators" not in text and "Three-places" not in text and "chemical" not in text
    assert f"Expired indicators ({len(EXPIRED)}): " in text


async def test_public_link_and_web_page_agree_with_status(local, seeded, crafted):
    from web.server import site_url, start_web

    _, code = crafted
    text = (await local.client.send(STRANGER, f"/start e_{code}")).text
    assert "Risk colour: 🟠 orange (elevated risk)" in text
    assert f"Responsibility indicators: {_expected_share()} fulfilled" in text
    assert "✅ not triggered" in text
    import aiohttp

    runner = await start_web(local.app)
    try:
        async with aiohttp.ClientSession() as http:
            _, html = await Site(site_url(local.app, runner), http).get(f"/e/{code}?lang=en")
    finally:
        await runner.cleanup()
    assert "Risk colour: orange (elevated risk)" in html
    assert f"{FULFILLED} of {len(APPLIES)} applicable indicators fulfilled" in html
    assert "not fulfilled" not in html


async def test_digest_text_and_workbook_agree_with_status(local, seeded, crafted):
    uscc, _ = crafted
    await grant(seeded, REG, "regulator", TOWN)
    reply = await local.client.send(REG, "/digest")
    text = reply.messages[0]["text"]
    assert "· orange (elevated risk): 1 (" in text
    for other in ("red (high risk)", "yellow (moderate risk)", "blue (low risk)"):
        assert f"· {other}: 0 (" in text
    doc = next(m for m in reply.messages if "document" in m)
    book = load_workbook(io.BytesIO(await local.client.file(doc["document"]["file_id"])))
    listed = list(book["Risk colours (week's end)"].iter_rows(min_row=2, values_only=True))
    assert listed == [
        ("一决定机械有限公司", uscc, TOWN, "orange (elevated risk)", FULFILLED, len(APPLIES), None)
    ]


async def test_headline_counts_the_enterprise_as_status_decides_it(local, seeded, crafted):
    await grant(seeded, REG, "regulator", TOWN)
    text = (await local.client.send(REG, "/coverage")).text
    # No veto (the hazard awaits the agency's check), trained, drill expired.
    assert re.search(r"^Responsibility fulfilled: 100\.0% \(1\)$", text, re.M)
    assert re.search(r"^Training rate: 100\.0% \(1\)$", text, re.M)
    assert re.search(r"^Drill rate \(done and not expired\): 0\.0% \(0\)$", text, re.M)
