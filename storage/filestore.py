"""Where copies of received files are kept. A Telegram file_id is valid for this bot only, so
each file's content is kept too, under its SHA-256 (the same content is kept once).

`FileStore` is the interface; `LocalFileStore` (a folder, `FILE_STORE_DIR`) implements it."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Protocol


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
        await asyncio.to_thread(self._write, key, data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)
