"""The blob store interface: bytes under string keys, written atomically."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from untxt.errors import NotFoundError


class BlobNotFoundError(NotFoundError):
    """No blob under that key."""


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob, as a listing reports it."""

    key: str
    size: int
    #: When the blob was last written, timezone-aware UTC.
    modified: datetime


def check_key(key: str) -> list[str]:
    """The parts of a valid blob key; raises :class:`ValueError` for any other.

    Checked by spelling: keys are made by untxt itself, and none may climb out
    of a store's root or name the root itself.
    """
    parts = key.split("/")
    if not key or "\\" in key or "\0" in key or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid blob key {key!r}")
    return parts


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` that saves the download as ``filename`` (RFC 6266).

    Browsers that read ``filename*`` get the name as it is; the plain ``filename``
    keeps only safe ASCII for any other.
    """
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Staged(ABC):
    """Bytes on their way into a store before their key is known (see :meth:`BlobStore.stage`)."""

    @abstractmethod
    def place(self, key: str) -> None:
        """Readers find the bytes under ``key`` when this returns; they are on the
        device once :meth:`settle` returns."""

    @abstractmethod
    def settling(self) -> Future[None]:
        """Done once the placed bytes are on the device (or failed to get there)."""

    def settle(self) -> None:
        """Wait until the placed bytes are on the device."""
        self.settling().result()

    @abstractmethod
    def discard(self) -> None:
        """Give up before ``place``: nothing of the bytes stays in the store."""


class _Deferred(Staged):
    """Nothing begins before the key is known: ``place`` puts the bytes."""

    def __init__(self, store: BlobStore, data: bytes) -> None:
        self._store = store
        self._data = data

    def place(self, key: str) -> None:
        self._store.put(key, self._data)

    def settling(self) -> Future[None]:
        done: Future[None] = Future()
        done.set_result(None)  # put() returned once they were
        return done

    def discard(self) -> None:
        pass


class BlobStore(ABC):
    """Where uploads and results live. Keys are ``/``-separated relative paths."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any blob there; readers never see half a blob."""

    def stage(self, data: bytes) -> Staged:
        """Begin storing ``data`` while its key is still being worked out; the caller then
        calls ``place(key)`` and ``settle()``, or ``discard()``, on what this returns, once.
        Here nothing begins before ``place``; a store whose writes wait on a device begins
        them at once.
        """
        return _Deferred(self, data)

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The blob under ``key``; raises :class:`BlobNotFoundError`."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob under ``key``; a missing blob is not an error."""

    @abstractmethod
    def check(self) -> None:
        """Raise if the store cannot be written (for readiness probes)."""

    @abstractmethod
    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every blob whose key starts with ``prefix`` (plain string match), in no set order.

        Blobs written or deleted while the listing runs may or may not appear.
        """

    def presigned_url(
        self, key: str, *, expires_in: int, media_type: str, filename: str
    ) -> str | None:
        """A URL that serves the blob to anyone for ``expires_in`` seconds, with
        ``media_type`` and as an attachment named ``filename``; ``None`` when the store
        cannot make one (then the API signs a link of its own).
        """
        return None
