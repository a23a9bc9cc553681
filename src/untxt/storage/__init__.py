"""Blob stores, chosen by URL: ``file:///path`` (default), a plain path, or ``s3://bucket/prefix``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from untxt.storage.base import BlobInfo, BlobNotFoundError, BlobStore
from untxt.storage.local import LocalBlobStore

if TYPE_CHECKING:
    from untxt.config import Settings

__all__ = ["BlobInfo", "BlobNotFoundError", "BlobStore", "LocalBlobStore", "open_storage"]


def open_storage(url: str, settings: Settings | None = None) -> BlobStore:
    """Open the blob store that ``url`` names; ``settings`` give the S3 endpoint, region
    and encryption."""
    parsed = urlparse(url)
    if parsed.scheme in ("file", ""):
        return LocalBlobStore(Path(unquote(parsed.path) if parsed.scheme else url))
    if parsed.scheme == "s3":
        # Imported here: boto3 takes a while to load, and local stores never need it.
        from untxt.storage.s3 import S3BlobStore

        return S3BlobStore(
            parsed.netloc,
            unquote(parsed.path),
            endpoint_url=settings.s3_endpoint_url if settings else None,
            region=settings.s3_region if settings else None,
            sse=settings.s3_sse if settings else None,
            kms_key_id=settings.s3_kms_key_id if settings else None,
        )
    raise ValueError(f"unsupported storage URL {url!r}; use file:///path or s3://bucket/prefix")
