"""Where copies of received files are kept. A Telegram file_id is valid for this bot only, so
each file's content is kept too, under its SHA-256 (the same content is kept once).

`FileStore` is the interface; `LocalFileStore` (a folder, `FILE_STORE_DIR`) and `S3FileStore`
(an S3-compatible bucket: MinIO, Ceph, a cloud's object storage) implement it. A store that
cannot be reached raises `StoreUnavailable`."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class StoreUnavailable(Exception):
    """The file store could not take or give a file now; trying later may succeed."""


def content_key(data: bytes) -> tuple[str, str]:
    """(sha256 hex, key in the store)."""
    digest = hashlib.sha256(data).hexdigest()
    return digest, f"{digest[:2]}/{digest}"


class FileStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...


class LocalFileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key outside the store: {key}")
        return path

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(f".{os.getpid()}.part")
        part.write_bytes(data)
        part.replace(path)  # readers never see half a file

    async def put(self, key: str, data: bytes) -> None:
        try:
            await asyncio.to_thread(self._write, key, data)
        except OSError as exc:  # disk full, folder not writable
            raise StoreUnavailable(str(exc)) from exc

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)


@dataclass(frozen=True)
class S3Config:
    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str
    region: str


class S3FileStore:
    """Objects named by the content key, with the SHA-256 in their metadata. aiobotocore: the
    bot's own aiohttp event loop does the requests, no thread per upload."""

    def __init__(self, config: S3Config) -> None:
        # Imported here: botocore takes ~0.2 s to load, which a local store never needs.
        from aiobotocore.session import get_session
        from botocore.exceptions import BotoCoreError, ClientError

        self.config = config
        self._session = get_session()
        self._failures = (BotoCoreError, ClientError)

    def _client(self):
        from botocore.config import Config

        c = self.config
        return self._session.create_client(
            "s3",
            endpoint_url=c.endpoint_url,
            region_name=c.region,
            aws_access_key_id=c.access_key,
            aws_secret_access_key=c.secret_key,
            config=Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                # Path-style URLs and checksums only where required: what S3-compatible
                # servers (MinIO, older Ceph, cloud OSS) all accept.
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    async def put(self, key: str, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        try:
            async with self._client() as s3:
                await s3.put_object(
                    Bucket=self.config.bucket, Key=key, Body=data, Metadata={"sha256": digest}
                )
        except self._failures as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get(self, key: str) -> bytes:
        try:
            async with self._client() as s3:
                answer = await s3.get_object(Bucket=self.config.bucket, Key=key)
                async with answer["Body"] as body:
                    return await body.read()
        except self._failures as exc:
            raise StoreUnavailable(str(exc)) from exc
