"""A real S3-compatible HTTP server for tests: moto's, in a thread, on a free port."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

# Any values do for moto; all set, so that boto3's credential chain never looks further.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """Run a moto S3 server on a free local port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def use_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put test credentials in the environment, where boto3's standard chain finds them."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@cache
def s3_client(endpoint: str) -> Any:
    """A plain boto3 client on the test server, to look behind a store's back."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def new_bucket(endpoint: str) -> str:
    """Create an empty bucket with a fresh name (the server's state is shared by tests)."""
    name = f"untxt-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name
