"""The S3 store's server-side encryption and presigned URLs, against a real SeaweedFS.

SeaweedFS encrypts what it is asked to and checks a presigned URL's signature and
expiry; its filer shows an object as it lies on disk, so the tests can see that
the bytes at rest are not the bytes written.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.conftest import make_settings
from tests.s3 import use_credentials
from tests.seaweedfs import KMS_KEY_ID, SeaweedFS
from tests.worker.helpers import wait_for
from untxt.config import Settings
from untxt.storage import open_storage
from untxt.storage.s3 import S3BlobStore

SCAN = b"INVOICE 4711 TOTAL 99.00\n" * 40


@pytest.fixture
def bucket(seaweedfs: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> str:
    use_credentials(monkeypatch)
    return seaweedfs.new_bucket()


def at_rest(seaweedfs: SeaweedFS, bucket: str, key: str) -> bytes:
    """The object's bytes as the filer keeps them, past the S3 gateway's decryption."""
    response = httpx.get(f"{seaweedfs.filer}/buckets/{bucket}/{key}")
    assert response.status_code == 200, response.text
    return response.content


def test_without_encryption_the_filer_shows_the_plain_bytes(
    seaweedfs: SeaweedFS, bucket: str
) -> None:
    """The control for the tests below: what the filer shows of an unencrypted object."""
    store = S3BlobStore(bucket, "blobs", endpoint_url=seaweedfs.endpoint)
    store.put("jobs/j1/results/1-1.txt", SCAN)

    head = seaweedfs.client().head_object(Bucket=bucket, Key="blobs/jobs/j1/results/1-1.txt")
    assert "ServerSideEncryption" not in head
    assert at_rest(seaweedfs, bucket, "blobs/jobs/j1/results/1-1.txt") == SCAN


def test_sse_kms_encrypts_each_object_with_the_key_and_reads_it_back_whole(
    seaweedfs: SeaweedFS, bucket: str
) -> None:
    """Every blob written, the readiness probe's too, is encrypted under the KMS key;
    reading decrypts it."""
    store = S3BlobStore(
        bucket, "blobs", endpoint_url=seaweedfs.endpoint, sse="aws:kms", kms_key_id=KMS_KEY_ID
    )
    store.check()
    store.put("documents/ab/abc", SCAN)

    head = seaweedfs.client().head_object(Bucket=bucket, Key="blobs/documents/ab/abc")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"]  # the alias, resolved to the key it names
    assert store.get("documents/ab/abc") == SCAN
    stored = at_rest(seaweedfs, bucket, "blobs/documents/ab/abc")
    assert stored != SCAN and b"INVOICE" not in stored


def test_sse_s3_encrypts_with_keys_the_store_manages(seaweedfs: SeaweedFS, bucket: str) -> None:
    store = S3BlobStore(bucket, "", endpoint_url=seaweedfs.endpoint, sse="AES256")
    store.put("jobs/j2/results/1-1.txt", SCAN)

    head = seaweedfs.client().head_object(Bucket=bucket, Key="jobs/j2/results/1-1.txt")
    assert head["ServerSideEncryption"] == "AES256"
    assert store.get("jobs/j2/results/1-1.txt") == SCAN
    assert b"INVOICE" not in at_rest(seaweedfs, bucket, "jobs/j2/results/1-1.txt")


def test_open_storage_takes_the_encryption_from_the_settings(
    tmp_path: Path, seaweedfs: SeaweedFS, bucket: str
) -> None:
    settings = make_settings(
        tmp_path,
        s3_endpoint_url=seaweedfs.endpoint,
        s3_sse="aws:kms",
        s3_kms_key_id=KMS_KEY_ID,
    )
    store = open_storage(f"s3://{bucket}/tenant", settings)
    store.put("k", b"secret page")

    head = seaweedfs.client().head_object(Bucket=bucket, Key="tenant/k")
    assert head["ServerSideEncryption"] == "aws:kms"


def test_a_kms_key_without_kms_encryption_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aws:kms"):
        Settings.model_validate({"data_dir": tmp_path, "s3_kms_key_id": KMS_KEY_ID})
    with pytest.raises(ValueError, match="AES256 or aws:kms"):
        S3BlobStore("bucket", sse="aes")
    assert Settings.model_validate({"data_dir": tmp_path, "s3_sse": ""}).s3_sse is None


def test_a_presigned_url_serves_the_encrypted_object_as_named_until_it_expires(
    seaweedfs: SeaweedFS, bucket: str
) -> None:
    """Anyone with the URL gets the decrypted bytes, with the media type and file name
    asked for; after ``expires_in`` seconds the store refuses it."""
    store = S3BlobStore(
        bucket, "blobs", endpoint_url=seaweedfs.endpoint, sse="aws:kms", kms_key_id=KMS_KEY_ID
    )
    store.put("jobs/j3/results/1-1.txt", SCAN)
    url = store.presigned_url(
        "jobs/j3/results/1-1.txt",
        expires_in=2,
        media_type="text/plain; charset=utf-8",
        filename="scan 1.txt",
    )
    assert url is not None and url.startswith(seaweedfs.endpoint)

    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.content == SCAN
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert 'filename="scan 1.txt"' in response.headers["content-disposition"]

    wait_for(lambda: httpx.get(url).status_code == 403, timeout=3, interval=0.1)
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert b"expired" in expired.content


def test_a_presigned_url_changed_in_any_part_is_refused(seaweedfs: SeaweedFS, bucket: str) -> None:
    store = S3BlobStore(bucket, "blobs", endpoint_url=seaweedfs.endpoint)
    store.put("jobs/a/results/1-1.txt", b"mine")
    store.put("jobs/b/results/1-1.txt", b"someone else's")
    url = store.presigned_url(
        "jobs/a/results/1-1.txt", expires_in=600, media_type="text/plain", filename="a.txt"
    )
    assert url is not None
    assert httpx.get(url).content == b"mine"
    parts = urlsplit(url)

    other_key = urlunsplit(parts._replace(path=parts.path.replace("/jobs/a/", "/jobs/b/")))
    longer = url.replace("X-Amz-Expires=600", "X-Amz-Expires=6000")
    signature = parts.query.split("X-Amz-Signature=")[1][:64]
    forged = url.replace(signature, signature[::-1])
    for changed in (other_key, longer, forged):
        assert changed != url
        assert httpx.get(changed).status_code == 403, changed
