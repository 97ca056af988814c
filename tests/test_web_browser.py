"""The public site in a real browser (Debian's chromium, headless, driven by Playwright): a
status page opened from the URL in a generated QR code, a web tip, its follow-up with the
receipt and a regulator's reply made in the chat. Screenshots are saved under tmp_path."""

import io
import shutil

import pytest
import zxingcpp
from PIL import Image

import tests.test_tips_e2e as chat
from tests.test_tips_e2e import EXIF_JPEG, OWNER, REG_A, press
from tests.web_site import with_site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed")
town = chat.town
TIP = "二号车间消防通道堆满纸箱，夜班无人清理-编号3317"


@pytest.fixture
def settings(settings):
    return with_site(settings)


@pytest.fixture
async def browser():
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def test_a_phone_scans_the_qr_code_tips_and_follows_up(local, town, site, browser, tmp_path):
    qr = await local.client.send(OWNER, "/qr")
    label = next(m["document"] for m in qr.messages if "document" in m)
    image = Image.open(io.BytesIO(await local.client.file(label["file_id"])))
    [url] = [r.text for r in zxingcpp.read_barcodes(image)]
    assert url.startswith(site.base + "/e/")

    context = await browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    await page.goto(url)
    body = await page.inner_text("body")
    assert town["ent"]["name"] in body and "项指标中已落实" in body
    assert town["ent"]["uscc"] not in body
    await page.screenshot(path=tmp_path / "1-status.png", full_page=True)

    await page.click("text=匿名举报安全隐患")
    await page.check("input[value=unsafe_condition]")
    await page.fill("textarea[name=text]", TIP)
    await page.set_input_files(
        "input[name=photo]", {"name": "p.jpg", "mimeType": "image/jpeg", "buffer": EXIF_JPEG}
    )
    await page.screenshot(path=tmp_path / "2-tip-form.png", full_page=True)
    await page.click("button[type=submit]")
    receipt = (await page.inner_text("#receipt")).strip()
    assert chat.RECEIPT.fullmatch(receipt)
    await page.screenshot(path=tmp_path / "3-receipt.png", full_page=True)

    listing = await local.client.send(REG_A, "/tips")
    opened = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    assert TIP in opened.text and "Photos: 1" in opened.text
    await press(local, REG_A, opened, "Reply to tipster")
    await local.client.send(REG_A, "已到现场核查，责令当日清理完毕")

    await page.goto(site.base + "/follow")
    await page.fill("input[name=receipt]", receipt)
    await page.click("button[type=submit]")
    thread = await page.inner_text("main")
    assert "已到现场核查，责令当日清理完毕" in thread and "核查中" in thread
    await page.screenshot(path=tmp_path / "4-follow.png", full_page=True)

    assert requested and all(u.startswith(site.base + "/") for u in requested), requested
    assert await context.cookies() == []
    await context.close()
