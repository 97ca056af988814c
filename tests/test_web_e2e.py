"""The public site over HTTP: status pages behind QR codes, the agency directory, subsidies."""

import io
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from bot.emulator.harness import TgUser
from storage.clock import utcnow
from storage.models import Agency, AgencyGrade, Enterprise, SubsidyLine
from tests.conftest import grant, rows
from tests.web_site import with_site

OWNER = TgUser(960000001, "Owner", language_code="zh")


@pytest.fixture
def settings(settings):
    return with_site(settings)


@pytest.fixture
def hazardous(county):
    """An enterprise with an open hazard and an agency under contract, and that agency."""
    hazards = [h for h in rows(county, "hazards") if h["status"] in ("", "open")]
    contracts = {c["uscc"]: c["agency_code"] for c in rows(county, "contracts")}
    hazard = next(h for h in hazards if h["uscc"] in contracts)
    ent = next(e for e in rows(county, "enterprises") if e["uscc"] == hazard["uscc"])
    return ent, hazard, contracts[ent["uscc"]]


async def _publish(sessions, agency_code: str, grade: str) -> None:
    async with sessions() as s:
        agency_id = await s.scalar(select(Agency.id).where(Agency.code == agency_code))
        s.add(AgencyGrade(agency_id=agency_id, period="2026H1", score=80, grade=grade, figures="{}"))
        await s.commit()


async def test_status_page_shows_the_public_status_only(site, seeded, hazardous, county):
    ent, hazard, agency = hazardous
    await _publish(seeded, agency, "B")
    async with seeded() as s:
        code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == ent["uscc"]))
    resp, html = await site.get(f"/e/{code}")
    assert resp.status == 200
    assert ent["name"] in html and ent["division"] in html
    place = next(d["name"] for d in rows(county, "divisions") if d["code"] == ent["division"])
    assert f"{place} ({ent['division']})" in html  # the township by name, not only its code
    assert re.search(r"适用的 \d+ 项指标中已落实 \d+ 项", html)
    assert "安全风险等级：" in html and "公布的信用等级：B 级（2026H1）" in html
    assert "最近一次服务" in html
    # Never the USCC, a hazard's text or a person.
    assert ent["uscc"] not in html and hazard["description"] not in html
    assert "<script" not in html and len(html.encode()) < 50_000
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in resp.headers

    resp, english = await site.get(f"/e/{code}?lang=en")
    assert re.search(r"\d+ of \d+ applicable indicators fulfilled", english)
    assert "Published credit grade: B (2026H1)" in english and "Risk colour: " in english


async def test_unknown_code_is_a_clear_404(site):
    resp, html = await site.get("/e/no-such-code")
    assert resp.status == 404 and "没有找到这个页面" in html
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")


async def test_agency_directory(site, seeded, county):
    agencies = rows(county, "agencies")
    await _publish(seeded, agencies[0]["code"], "A")
    resp, html = await site.get("/agencies?lang=en")
    assert resp.status == 200
    for a in agencies:
        assert a["name"] in html
    first = html[html.index(agencies[0]["name"]) :]
    assert "A (2026H1)" in first.split("</section>")[0]
    assert "Enterprises served now" in first and "Staff" in first
    assert "not yet published" in html  # the agencies without a published grade


async def test_unpublished_subsidy_list_is_a_clear_404(site):
    resp, html = await site.get("/subsidy/2026")
    assert resp.status == 404 and "2026 年度的补贴名单尚未公示" in html


def pdf_image(pdf: bytes) -> Image.Image:
    """The page image Pillow embedded in a one-page PDF."""
    start = pdf.index(b"stream", pdf.index(b"/DCTDecode")) + len(b"stream")
    start += 2 if pdf[start : start + 2] == b"\r\n" else 1
    return Image.open(io.BytesIO(pdf[start : pdf.index(b"endstream", start)]))


async def test_qr_opens_the_public_page_and_comes_as_an_a4_poster(site, local, seeded, county):
    ent = rows(county, "enterprises")[0]
    await grant(seeded, OWNER, "owner", ent["uscc"])
    reply = await local.client.send(OWNER, "/qr")
    docs = [m["document"] for m in reply.messages if "document" in m]
    assert [d["file_name"] for d in docs] == [
        f"safety-qr-{ent['uscc']}.png",
        f"safety-qr-poster-{ent['uscc']}.pdf",
    ]
    label = Image.open(io.BytesIO(await local.client.file(docs[0]["file_id"])))
    [url] = [r.text for r in zxingcpp.read_barcodes(label)]
    async with seeded() as s:
        code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == ent["uscc"]))
    assert url == f"{site.base}/e/{code}"
    resp, html = await site.get(url.removeprefix(site.base))
    assert resp.status == 200 and ent["name"] in html

    pdf = await local.client.file(docs[1]["file_id"])
    assert pdf.startswith(b"%PDF") and b"/MediaBox [ 0 0 595.2 841.92 ]" in pdf  # A4 in points
    page = pdf_image(pdf)
    assert page.size == (2480, 3508)  # A4 at 300 dpi
    assert [r.text for r in zxingcpp.read_barcodes(page)] == [url]


async def test_published_subsidy_list(site, seeded, county):
    ent, agency = rows(county, "enterprises")[0], rows(county, "agencies")[0]
    async with seeded() as s:
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ent["uscc"]))
        aid = await s.scalar(select(Agency.id).where(Agency.code == agency["code"]))
        for status, item, amount in (("published", "comprehensive", 200), ("approved", "monthly", 360)):
            s.add(
                SubsidyLine(
                    year=2025,
                    division=ent["division"],
                    enterprise_id=eid,
                    agency_id=aid,
                    item=item,
                    amount=amount,
                    status=status,
                    published_at=utcnow() if status == "published" else None,
                )
            )
        await s.commit()
    resp, html = await site.get("/subsidy/2025")
    assert resp.status == 200 and ent["name"] in html and agency["name"] in html
    assert "200.00" in html and "360.00" not in html  # only published lines
    assert ent["uscc"] not in html and "合计 200.00 元" in html
