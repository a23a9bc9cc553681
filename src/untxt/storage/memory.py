"""An in-process blob store for tests and queue benchmarks; not selectable by URL."""

from __future__ import annotations

import threading

from untxt.storage.base import BlobNotFoundError, BlobStore


class MemoryBlobStore(BlobStore):
    """Blobs in a dict, guarded by a lock."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = bytes(data)

    def get(self, key: str) -> bytes:
        with self._lock:
            try:
                return self._blobs[key]
            except KeyError:
                raise BlobNotFoundError(f"no blob {key!r}") from None

    def exists(self, key: str) -> bool:
        with self._lock:
            return key in self._blobs

    def delete(self, key: str) -> None:
        with self._lock:
            self._blobs.pop(key, None)

    def check(self) -> None:
        return None

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._blobs)
