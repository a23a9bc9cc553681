"""The blob store interface: bytes under string keys, written atomically."""

from __future__ import annotations

from abc import ABC, abstractmethod

from untxt.errors import NotFoundError


class BlobNotFoundError(NotFoundError):
    """No blob under that key."""


class BlobStore(ABC):
    """Where uploads and results live. Keys are ``/``-separated relative paths."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any blob there; readers never see half a blob."""

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
