"""Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, ...), via boto3."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from untxt.storage.base import BlobInfo, BlobNotFoundError, BlobStore, attachment, check_key

# Written and removed by check(); never a key untxt makes.
_PROBE = ".ready"
# Error codes S3 answers for an absent key: GetObject names it, HeadObject has no body.
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


# Clients come from one shared session, whose loaded service models make each
# further client quick, under a lock: a boto3 session is not thread-safe.
_session_lock = threading.Lock()
_session: boto3.session.Session | None = None


def _client(**kwargs: Any) -> Any:
    global _session
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client("s3", **kwargs)


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


class S3BlobStore(BlobStore):
    """Objects under ``prefix`` in ``bucket``; one PUT per blob, so readers never see half of one.

    Credentials come from boto3's standard chain (``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, instance or container roles).
    ``page_size`` is how many keys one listing request asks for (S3 gives at most 1000).
    ``sse`` (``AES256`` or ``aws:kms``, with ``kms_key_id`` or the store's default key)
    asks the store to encrypt every object written.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        page_size: int = 1000,
        sse: str | None = None,
        kms_key_id: str | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 store needs a bucket name")
        if sse not in (None, "AES256", "aws:kms"):
            raise ValueError(f"unknown S3 server-side encryption {sse!r}; use AES256 or aws:kms")
        if kms_key_id and sse != "aws:kms":
            raise ValueError("a KMS key id needs server-side encryption aws:kms")
        prefix = prefix.strip("/")
        if prefix:
            try:
                check_key(prefix)
            except ValueError:
                raise ValueError(f"invalid S3 key prefix {prefix!r}") from None
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self._page_size = page_size
        #: Arguments of every PutObject: the encryption asked for, if any.
        self._put_args: dict[str, str] = {}
        if sse:
            self._put_args["ServerSideEncryption"] = sse
        if kms_key_id:
            self._put_args["SSEKMSKeyId"] = kms_key_id
        compatible: dict[str, Any] = {}
        if endpoint_url:
            compatible = {
                # MinIO, Ceph or Garage at a plain host name do not serve buckets
                # as subdomains.
                "s3": {"addressing_style": "path"},
                # Not every S3-compatible store accepts the checksums boto3 adds
                # to each request by default.
                "request_checksum_calculation": "when_required",
                "response_checksum_validation": "when_required",
            }
        config = Config(
            # Signature V4 for presigned URLs too: S3 refuses any other for objects
            # encrypted with KMS keys.
            signature_version="s3v4",
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=10,
            # Enough connections for the API's thread pool, so none waits for one.
            max_pool_connections=64,
            **compatible,
        )
        self._client = _client(endpoint_url=endpoint_url, region_name=region, config=config)

    def _key(self, key: str) -> str:
        check_key(key)
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **self._put_args)

    def get(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _missing(exc):
                raise BlobNotFoundError(f"no blob {key!r}") from None
            raise
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        # S3 answers 204 for an absent key too.
        self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def check(self) -> None:
        probe = self.prefix + _PROBE
        # Encrypted like any blob: a bucket policy may refuse unencrypted writes.
        self._client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok", **self._put_args)
        self._client.delete_object(Bucket=self.bucket, Key=probe)

    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=self.prefix + prefix,
            PaginationConfig={"PageSize": self._page_size},
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if key != _PROBE:
                    yield BlobInfo(key, item["Size"], item["LastModified"].astimezone(UTC))

    def presigned_url(
        self, key: str, *, expires_in: int, media_type: str, filename: str
    ) -> str | None:
        # Signed here, with the store's credentials, without a request; the store
        # checks the signature and the expiry when the URL is used.
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentType": media_type,
                "ResponseContentDisposition": attachment(filename),
            },
            ExpiresIn=expires_in,
        )
        return url
