"""``GET /v1/jobs/{id}/result?download=url``: links that download a result without a key.

On a local folder the server signs its own link (``/v1/links/{token}``); on S3 the
store presigns one. Both expire, and a changed one is refused with 403. The S3 side
runs against a real SeaweedFS, which checks signatures and expiry itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain, make_settings
from tests.s3 import use_credentials
from tests.seaweedfs import KMS_KEY_ID, SeaweedFS
from tests.worker.helpers import wait_for
from untxt.app import create_app
from untxt.engines import EngineRegistry
from untxt.storage.links import issue_link, link_key
from untxt.worker import Worker

TEXT = {"engine": "tesseract", "outputs": ["text", "json"]}


def completed_job(client: TestClient, worker: Worker, headers: dict[str, str]) -> str:
    response = submit(
        client, samples.png(["INVOICE 4711"]), filename="scan.png", options=TEXT, headers=headers
    )
    assert response.status_code == 202, response.text
    drain(worker)
    job_id: str = response.json()["id"]
    assert client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"] == "completed"
    return job_id


def link(client: TestClient, job_id: str, headers: dict[str, str], **params: str) -> Any:
    response = client.get(
        f"/v1/jobs/{job_id}/result", params={"download": "url", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def accounts(client: TestClient) -> dict[str, dict[str, str]]:
    """Two users: links work without credentials once accounts exist."""
    return {
        "alice": bearer(make_user_key(client, "alice@example.com")),
        "bob": bearer(make_user_key(client, "bob@example.com")),
    }


def test_a_local_link_downloads_the_result_without_credentials(
    client: TestClient, worker: Worker, accounts: dict[str, dict[str, str]]
) -> None:
    alice = accounts["alice"]
    job_id = completed_job(client, worker, alice)
    before = datetime.now(UTC)

    body = link(client, job_id, alice, format="text")

    assert body["url"].startswith("http://testserver/v1/links/")
    assert body["format"] == "text"
    assert body["media_type"] == "text/plain; charset=utf-8"
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=59) < expires_at - before <= timedelta(hours=1)
    anonymous = client.get(body["url"])  # no key, no cookie
    assert anonymous.status_code == 200, anonymous.text
    assert (
        anonymous.content
        == client.get(f"/v1/jobs/{job_id}/result", params={"format": "text"}, headers=alice).content
    )
    assert "INVOICE 4711" in anonymous.text
    assert anonymous.headers["content-type"] == "text/plain; charset=utf-8"
    assert 'filename="scan.txt"' in anonymous.headers["content-disposition"]
    assert anonymous.headers["cache-control"] == "private, no-store"


def test_a_changed_or_expired_local_link_is_refused_with_403(
    client: TestClient, worker: Worker, accounts: dict[str, dict[str, str]]
) -> None:
    alice = accounts["alice"]
    job_id = completed_job(client, worker, alice)
    url = link(client, job_id, alice, format="text")["url"]
    token = url.rsplit("/", 1)[1]
    state = client.app.state.untxt  # type: ignore[attr-defined]
    expired, _ = issue_link(
        key=link_key(state.accounts.signing_key()),
        job_id=job_id,
        owner=_owner(client, alice),
        format="text",
        now=datetime.now(UTC) - timedelta(hours=2),
        ttl=timedelta(hours=1),
    )

    assert_problem(client.get(f"/v1/links/{expired}"), 403, "link-expired")
    flipped = token[:-3] + ("x" if token[-3] != "x" else "y") + token[-2:]
    for changed in (flipped, token[:-1], token.replace(".", ".e30", 1), "nonsense"):
        assert_problem(client.get(f"/v1/links/{changed}"), 403, "link-invalid")


def _owner(client: TestClient, headers: dict[str, str]) -> str:
    owner: str = client.get("/v1/auth/me", headers=headers).json()["owner"]
    return owner


def test_only_the_owner_gets_a_link_and_only_for_a_completed_job(
    client: TestClient, worker: Worker, accounts: dict[str, dict[str, str]]
) -> None:
    alice, bob = accounts["alice"], accounts["bob"]
    job_id = completed_job(client, worker, alice)
    queued = submit(client, samples.png(["LATER"]), options=TEXT, headers=alice).json()["id"]

    assert_problem(
        client.get(f"/v1/jobs/{job_id}/result", params={"download": "url"}, headers=bob), 404
    )
    assert_problem(
        client.get(f"/v1/jobs/{queued}/result", params={"download": "url"}, headers=alice), 409
    )
    assert_problem(
        client.get(
            f"/v1/jobs/{job_id}/result", params={"download": "url", "format": "hocr"}, headers=alice
        ),
        404,
    )
    assert_problem(
        client.get(f"/v1/jobs/{job_id}/result", params={"download": "file"}, headers=alice), 422
    )
    assert_problem(client.get(f"/v1/jobs/{job_id}/result", params={"download": "url"}), 401)


def test_a_link_to_a_deleted_job_finds_nothing(
    client: TestClient, worker: Worker, accounts: dict[str, dict[str, str]]
) -> None:
    alice = accounts["alice"]
    job_id = completed_job(client, worker, alice)
    url = link(client, job_id, alice, format="json")["url"]
    assert client.get(url).json()["schema"] == "untxt.document/1"

    assert client.delete(f"/v1/jobs/{job_id}", headers=alice).status_code == 204
    assert_problem(client.get(url), 404)


# On S3 (SeaweedFS), with every object encrypted under a KMS key.


@contextmanager
def _s3_app(
    tmp_path: Path,
    engines: EngineRegistry,
    seaweedfs: SeaweedFS,
    monkeypatch: pytest.MonkeyPatch,
    *,
    link_ttl: int,
) -> Iterator[tuple[TestClient, Worker, str]]:
    use_credentials(monkeypatch)
    bucket = seaweedfs.new_bucket()
    settings = make_settings(
        tmp_path / "data",
        storage_url=f"s3://{bucket}/untxt",
        s3_endpoint_url=seaweedfs.endpoint,
        s3_region="us-east-1",
        s3_sse="aws:kms",
        s3_kms_key_id=KMS_KEY_ID,
        link_ttl=link_ttl,
    )
    app = create_app(settings, engines=engines)
    with TestClient(app) as client:
        state = app.state.untxt
        yield client, Worker(settings, db=state.db, storage=state.storage, engines=engines), bucket


@pytest.fixture
def s3_app(
    tmp_path: Path,
    engines: EngineRegistry,
    seaweedfs: SeaweedFS,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[TestClient, Worker, str]]:
    """The API on S3, with links that expire after 2 s, for a test to see them expire."""
    with _s3_app(tmp_path, engines, seaweedfs, monkeypatch, link_ttl=2) as app:
        yield app


def test_on_s3_results_are_stored_encrypted_and_a_presigned_link_expires(
    s3_app: tuple[TestClient, Worker, str], seaweedfs: SeaweedFS
) -> None:
    """The upload and every result lie encrypted under the KMS key; the API reads them
    back whole; the link is the store's own, served by it until UNTXT_LINK_TTL passes."""
    client, worker, bucket = s3_app
    job_id = completed_job(client, worker, {})
    store = seaweedfs.client()
    keys = [item["Key"] for item in store.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any("/documents/" in key for key in keys) and any("/results/" in key for key in keys)
    for key in keys:
        assert store.head_object(Bucket=bucket, Key=key)["ServerSideEncryption"] == "aws:kms"
    text = client.get(f"/v1/jobs/{job_id}/result", params={"format": "text"})
    assert "INVOICE 4711" in text.text

    body = link(client, job_id, {}, format="text")

    assert body["url"].startswith(f"{seaweedfs.endpoint}/{bucket}/untxt/jobs/")
    downloaded = httpx.get(body["url"])
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == text.content
    assert downloaded.headers["content-type"] == "text/plain; charset=utf-8"
    assert 'filename="scan.txt"' in downloaded.headers["content-disposition"]
    tampered = body["url"].replace("X-Amz-Expires=2", "X-Amz-Expires=3600")
    assert httpx.get(tampered).status_code == 403
    wait_for(lambda: httpx.get(body["url"]).status_code == 403, timeout=3, interval=0.1)
    assert httpx.get(body["url"]).status_code == 403


def test_on_s3_a_json_result_with_fields_gets_a_link_the_server_signs(
    tmp_path: Path,
    engines: EngineRegistry,
    seaweedfs: SeaweedFS,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fields are added to the JSON on its way out, so the stored object is not the
    answer: the link is the server's, and it serves what the API serves."""
    # Links that outlast a slow run: this test is not about their expiry.
    with _s3_app(tmp_path, engines, seaweedfs, monkeypatch, link_ttl=3600) as app:
        client, worker, _ = app
        response = submit(
            client,
            samples.png(["ACME STORE", "TOTAL 12.50"]),
            options={"engine": "tesseract", "outputs": ["json"], "extract": ["receipt"]},
        )
        drain(worker)
        job_id = response.json()["id"]

        body = link(client, job_id, {}, format="json")

        assert body["url"].startswith("http://testserver/v1/links/")
        served = client.get(body["url"])
        assert served.status_code == 200, served.text
        assert "fields" in served.json()
        assert served.json() == client.get(f"/v1/jobs/{job_id}/result").json()
