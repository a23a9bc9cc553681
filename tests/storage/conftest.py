"""Fixtures for the blob store tests: a real S3-compatible server and buckets on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.s3 import moto_server, new_bucket, use_credentials
from untxt.storage.s3 import S3BlobStore


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server that runs for the whole session."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty bucket, with credentials for it in the environment."""
    use_credentials(monkeypatch)
    return new_bucket(s3_endpoint)


@pytest.fixture
def s3_store(s3_endpoint: str, s3_bucket: str) -> S3BlobStore:
    """An S3 store under a prefix of a fresh bucket."""
    return S3BlobStore(s3_bucket, "untxt/blobs", endpoint_url=s3_endpoint)
