"""An in-process blob store for tests and queue benchmarks; not selectable by URL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from untxt.storage.base import BlobInfo, BlobNotFoundError, BlobStore


class MemoryBlobStore(BlobStore):
    """Blobs in a dict, guarded by a lock; ``clock`` stamps their modified times."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._blobs: dict[str, tuple[bytes, datetime]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def put(self, key: str, data: bytes) -> None:
        modified = self._clock()
        with self._lock:
            self._blobs[key] = (bytes(data), modified)

    def get(self, key: str) -> bytes:
        with self._lock:
            try:
                return self._blobs[key][0]
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

    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        with self._lock:
            found = [
                BlobInfo(key, len(data), modified)
                for key, (data, modified) in self._blobs.items()
                if key.startswith(prefix)
            ]
        yield from found

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._blobs)
