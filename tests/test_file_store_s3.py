"""FILE_STORE=s3 end to end: an owner's evidence reaches an S3-compatible server (moto's, on
127.0.0.1) under its content hash; with the server down the submission is still saved, the
owner is told the archive copy comes later, and the `files` job makes it once the server is back;
a regulator's enforcement document is recorded the same way."""

import hashlib
import uuid

import pytest
from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer
from pydantic import SecretStr, ValidationError
from sqlalchemy import select

from bot.config import Settings
from bot.emulator.harness import LocalRun
from bot.scheduler import JOBS
from storage.filestore import content_key
from storage.models import EvidenceSubmission, Inspection, StoredFile
from tests.conftest import grant, rows
from tests.test_evidence_e2e import OWNER, submit
from tests.test_inspect_e2e import REG, clean, inspect

PDF = b"%PDF-1.4 hazard self-inspection ledger " + b"y" * 200
KEYS = {"s3_access_key_id": "test-key", "s3_secret_access_key": "test-secret", "s3_region": "us-east-1"}
SECRET = SecretStr(KEYS["s3_secret_access_key"])


class S3Server:
    """moto's S3 on 127.0.0.1, which can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = 0
        self.server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1]

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        return get_session().create_client(
            "s3",
            endpoint_url=self.url,
            region_name=KEYS["s3_region"],
            aws_access_key_id=KEYS["s3_access_key_id"],
            aws_secret_access_key=KEYS["s3_secret_access_key"],
        )

    async def object(self, bucket: str, key: str) -> tuple[bytes, dict]:
        async with self.client() as s3:
            answer = await s3.get_object(Bucket=bucket, Key=key)
            async with answer["Body"] as body:
                return await body.read(), answer["Metadata"]


@pytest.fixture
async def s3():
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def s3_settings(settings: Settings, s3: S3Server) -> Settings:
    bucket = f"evidence-{uuid.uuid4().hex[:8]}"
    async with s3.client() as client:
        await client.create_bucket(Bucket=bucket)
    return settings.model_copy(
        update={
            "file_store": "s3",
            "s3_endpoint_url": s3.url,
            "s3_bucket": bucket,
            **KEYS,
            "s3_secret_access_key": SECRET,
        }
    )


async def test_evidence_files_are_kept_in_the_bucket_under_their_hash(seeded, county, s3, s3_settings):
    await grant(seeded, OWNER, "owner", rows(county, "enterprises")[0]["uscc"])
    async with LocalRun(s3_settings) as local:
        done = await submit(local, OWNER, "Hazard investigation", [("ledger.pdf", PDF)])
    assert "submitted (1 file(s)), awaiting review" in done.text
    assert "archive copy" not in done.text
    async with seeded() as s:
        kept = await s.scalar(select(StoredFile))
    digest, key = content_key(PDF)
    assert (kept.sha256, kept.store_key, kept.copied) == (digest, key, True)
    body, meta = await s3.object(s3_settings.s3_bucket, key)
    assert body == PDF and meta["sha256"] == hashlib.sha256(PDF).hexdigest()


async def test_with_the_store_down_evidence_is_saved_and_copied_once_it_is_back(
    seeded, county, s3, s3_settings
):
    await grant(seeded, OWNER, "owner", rows(county, "enterprises")[0]["uscc"])
    async with LocalRun(s3_settings) as local:
        s3.stop()
        done = await submit(
            local, OWNER, "Hazard investigation", [("ledger.pdf", PDF), ("p.jpg", b"\xff\xd8jpg")]
        )
        assert "submitted (2 file(s)), awaiting review" in done.text
        assert "The archive copy of the file(s) could not be made just now. Nothing is lost" in done.text
        async with seeded() as s:
            sub = await s.scalar(select(EvidenceSubmission))
            files = (await s.scalars(select(StoredFile).order_by(StoredFile.id))).all()
        assert (sub.indicator, sub.status) == ("HAZARD", "submitted")
        assert [f.copied for f in files] == [False, False]

        assert (
            await JOBS["files"](local.app, local.bot) == "0 file copies made, 2 still waiting for the store"
        )
        s3.start()  # the same address again
        assert (
            await JOBS["files"](local.app, local.bot) == "2 file copies made, 0 still waiting for the store"
        )

    async with seeded() as s:
        assert all(f.copied for f in (await s.scalars(select(StoredFile))).all())
    body, meta = await s3.object(s3_settings.s3_bucket, content_key(PDF)[1])
    assert body == PDF and meta["sha256"] == content_key(PDF)[0]


def test_an_s3_store_without_its_bucket_or_keys_is_refused_at_start():
    with pytest.raises(ValidationError, match="S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY"):
        Settings(_env_file=None, file_store="s3", s3_endpoint_url="http://127.0.0.1:9000")


async def test_an_enforcement_document_is_recorded_while_the_store_is_down(seeded, county, s3, s3_settings):
    ent = clean(county)
    await grant(seeded, REG, "regulator", ent["division"])
    async with LocalRun(s3_settings) as local:
        s3.stop()
        await inspect(local, ent["uscc"])
        menu = await local.client.send(REG, "Ledgers checked, no findings.")
        await local.client.press(REG, menu.last_with_buttons(), button=1)  # finish
        saved = await local.client.send_document(REG, "文书.pdf", b"%PDF order to rectify")
        s3.start()
    assert "Inspection recorded" in saved.text and "enforcement document: kept" in saved.text
    assert "The archive copy of the file(s) could not be made just now" in saved.text
    async with seeded() as s:
        inspection = await s.scalar(select(Inspection))
        document = await s.get(StoredFile, inspection.document_id)
    assert (document.name, document.copied) == ("文书.pdf", False)
