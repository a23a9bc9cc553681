"""The S3 blob store against a real S3-compatible HTTP server (moto), beyond the shared contract.

The contract every store keeps (put, get, exists, delete, listing, check) is in
``test_local.py``, which runs it on this store too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.s3 import s3_client
from untxt.app import create_app
from untxt.engines import EngineRegistry
from untxt.storage import BlobNotFoundError, open_storage
from untxt.storage.s3 import S3BlobStore


def object_keys(endpoint: str, bucket: str) -> list[str]:
    """Every object in the bucket, as the server has it."""
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_open_storage_builds_an_s3_store_from_the_url_and_settings(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    """``s3://bucket/prefix`` with the endpoint setting gives a working store there."""
    settings = make_settings(tmp_path, s3_endpoint_url=s3_endpoint, s3_region="eu-west-1")

    store = open_storage(f"s3://{s3_bucket}/tenant/blobs/", settings)
    store.put("documents/ab/abc", b"scan")

    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (s3_bucket, "tenant/blobs/")
    assert store.get("documents/ab/abc") == b"scan"
    assert object_keys(s3_endpoint, s3_bucket) == ["tenant/blobs/documents/ab/abc"]


def test_a_bucket_without_a_prefix_keeps_keys_as_they_are(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    """With no prefix in the URL, blob keys are object keys."""
    store = open_storage(f"s3://{s3_bucket}", make_settings(tmp_path, s3_endpoint_url=s3_endpoint))
    store.put("jobs/j1/result.txt", b"text")

    assert object_keys(s3_endpoint, s3_bucket) == ["jobs/j1/result.txt"]
    assert [b.key for b in store.iter_blobs("jobs/")] == ["jobs/j1/result.txt"]


def test_stores_under_different_prefixes_do_not_see_each_other(
    s3_endpoint: str, s3_bucket: str
) -> None:
    """Two deployments can share a bucket: each reads, lists and deletes only its own blobs."""
    one = S3BlobStore(s3_bucket, "one", endpoint_url=s3_endpoint)
    other = S3BlobStore(s3_bucket, "one-more", endpoint_url=s3_endpoint)
    one.put("k", b"1")
    other.put("k", b"2")
    other.put("only-other", b"3")

    one.delete("only-other")

    assert one.get("k") == b"1"
    assert other.get("k") == b"2"
    assert not one.exists("only-other")
    assert other.exists("only-other")
    assert [b.key for b in one.iter_blobs()] == ["k"]
    assert sorted(b.key for b in other.iter_blobs()) == ["k", "only-other"]


def test_listing_follows_pages(s3_endpoint: str, s3_bucket: str) -> None:
    """A listing longer than one response page is read to its end."""
    store = S3BlobStore(s3_bucket, "p", endpoint_url=s3_endpoint, page_size=2)
    keys = [f"jobs/j{i}/result.txt" for i in range(5)]
    for key in keys:
        store.put(key, key.encode())

    listed = list(store.iter_blobs("jobs/"))

    assert sorted(b.key for b in listed) == keys
    assert {b.size for b in listed} == {len(keys[0])}


def test_check_leaves_nothing_behind(s3_store: S3BlobStore, s3_endpoint: str) -> None:
    """The readiness probe writes and removes an object of its own."""
    s3_store.check()

    assert object_keys(s3_endpoint, s3_store.bucket) == []


def test_a_missing_bucket_fails_check_and_is_not_a_missing_blob(
    s3_endpoint: str, s3_bucket: str
) -> None:
    """A misconfigured bucket is reported as such, never mistaken for an absent blob (404)."""
    store = S3BlobStore(f"{s3_bucket}-absent", endpoint_url=s3_endpoint)

    with pytest.raises(ClientError, match="NoSuchBucket"):
        store.check()
    with pytest.raises(ClientError) as caught:
        store.get("documents/ab/abc")
    assert not isinstance(caught.value, BlobNotFoundError)


def test_missing_key_is_not_found_under_a_prefix(s3_store: S3BlobStore) -> None:
    """A key outside the prefix is not visible through the store."""
    s3_store.put("present", b"x")

    with pytest.raises(BlobNotFoundError, match="present/x"):
        s3_store.get("present/x")
    assert not s3_store.exists("untxt/blobs/present")


@pytest.mark.parametrize("key", ["../escape", "a//b", "", "/abs", "a/./b"])
def test_invalid_keys_are_refused(s3_store: S3BlobStore, key: str) -> None:
    """Keys are checked as the local store checks them, so both accept the same keys."""
    with pytest.raises(ValueError, match="invalid blob key"):
        s3_store.put(key, b"x")
    with pytest.raises(ValueError, match="invalid blob key"):
        s3_store.get(key)


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix-only"])
def test_a_url_without_a_bucket_is_refused(url: str) -> None:
    """The mistake is reported at startup, not at the first upload."""
    with pytest.raises(ValueError, match="bucket"):
        open_storage(url)


@pytest.fixture
def s3_api(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str, engines: EngineRegistry
) -> Iterator[TestClient]:
    """The API with its blobs in S3, configured only through settings."""
    settings = make_settings(
        tmp_path / "data",
        storage_url=f"s3://{s3_bucket}/api",
        s3_endpoint_url=s3_endpoint,
    )
    with TestClient(create_app(settings, engines=engines)) as client:
        yield client


def test_the_api_reports_an_s3_store_ready(s3_api: TestClient) -> None:
    """``/readyz`` writes to the bucket the settings name."""
    response = s3_api.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json()["checks"]["storage"] == "ok"
