"""Input nobody planned for, over HTTP against the emulator: files as Chinese offices save
them, files too big, and the bot stays within Telegram's limits."""

from sqlalchemy import select

from bot.emulator.harness import LocalRun
from domain.uscc import complete
from storage.models import Enterprise
from tests.conftest import ADMIN


async def test_gbk_tab_separated_file_is_imported_in_chat(local, seeded):
    code = complete("91330226FFFFFFFFF")
    body = f"uscc\tname\tdivision\r\n{code}\t宁海县桥头胡五金厂\t330226100\r\n".encode("gbk")
    reply = await local.client.send_document(ADMIN, "企业.csv", body, caption="enterprises")
    assert "inserted 1" in reply.text
    async with seeded() as s:
        assert await s.scalar(select(Enterprise.name).where(Enterprise.uscc == code)) == "宁海县桥头胡五金厂"


async def test_a_file_over_the_size_limit_is_refused_before_download(settings, seeded):
    async with LocalRun(settings.model_copy(update={"import_max_mb": 1})) as run:
        body = b"uscc,name,division\n" + b"x,y,z\n" * 200_000
        reply = await run.client.send_document(ADMIN, "e.csv", body, caption="enterprises")
        assert "over 1 MB" in reply.text
        assert (await run.client.stats())["calls"].get("getFile", 0) == 0
