"""Blob stores, chosen by URL: ``file:///path`` (default) or a plain path."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from untxt.storage.base import BlobNotFoundError, BlobStore
from untxt.storage.local import LocalBlobStore

__all__ = ["BlobNotFoundError", "BlobStore", "LocalBlobStore", "open_storage"]


def open_storage(url: str) -> BlobStore:
    """Open the blob store that ``url`` names."""
    parsed = urlparse(url)
    if parsed.scheme in ("file", ""):
        return LocalBlobStore(Path(unquote(parsed.path) if parsed.scheme else url))
    raise ValueError(f"unsupported storage URL {url!r}; use file:///path")
