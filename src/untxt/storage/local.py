"""Blobs as files in a local folder (the embedded default)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from untxt.storage.base import BlobNotFoundError, BlobStore


class LocalBlobStore(BlobStore):
    """Files under ``root``, written to a temporary name, fsynced, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        # Checked by spelling rather than by resolving the path: keys are made by
        # untxt itself, and resolving costs a system call per path component.
        parts = key.split("/")
        if not key or "\\" in key or "\0" in key or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"invalid blob key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {key!r}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        probe = self.root / ".ready"
        probe.write_bytes(b"ok")
        probe.unlink()
