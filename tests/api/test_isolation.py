"""Tenant isolation: a user never sees, changes or learns of another user's things.

Every endpoint that takes an id answers another owner's id exactly as it answers an
unknown one: 404. To cover a new endpoint, add it to ``FOREIGN_REQUESTS``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests import samples
from tests.api.helpers import assert_problem
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain, make_settings
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.worker import Worker


@dataclass
class Owned:
    """What the first user ("alice") owns; the second ("bob") probes it."""

    alice: str
    bob: str
    document_id: str
    job_id: str
    batch_id: str
    compare_id: str
    key_id: str
    webhook_id: str
    delivery_id: int
    template_id: str
    fields_job_id: str


Request = Callable[[TestClient, Owned, dict[str, str]], Response]

# Each: a request of bob's that names something of alice's.
FOREIGN_REQUESTS: dict[str, Request] = {
    "get document": lambda c, o, h: c.get(f"/v1/documents/{o.document_id}", headers=h),
    "document content": lambda c, o, h: c.get(f"/v1/documents/{o.document_id}/content", headers=h),
    "delete document": lambda c, o, h: c.delete(f"/v1/documents/{o.document_id}", headers=h),
    "submit a job on the document": lambda c, o, h: c.post(
        "/v1/jobs", json={"document_id": o.document_id}, headers=h
    ),
    "batch of the document": lambda c, o, h: c.post(
        "/v1/jobs/batch", json={"jobs": [{"document_id": o.document_id}]}, headers=h
    ),
    "get job": lambda c, o, h: c.get(f"/v1/jobs/{o.job_id}", headers=h),
    "job result": lambda c, o, h: c.get(f"/v1/jobs/{o.job_id}/result", headers=h),
    "job result as text": lambda c, o, h: c.get(
        f"/v1/jobs/{o.job_id}/result?format=text", headers=h
    ),
    "job page image": lambda c, o, h: c.get(f"/v1/jobs/{o.job_id}/pages/1/image", headers=h),
    "cancel job": lambda c, o, h: c.post(f"/v1/jobs/{o.job_id}/cancel", headers=h),
    "delete job": lambda c, o, h: c.delete(f"/v1/jobs/{o.job_id}", headers=h),
    "job events": lambda c, o, h: c.get(f"/v1/jobs/{o.job_id}/events", headers=h),
    "job fields": lambda c, o, h: c.get(f"/v1/jobs/{o.fields_job_id}/fields", headers=h),
    "correct job fields": lambda c, o, h: c.patch(
        f"/v1/jobs/{o.fields_job_id}/fields", json={"fields": {"MerchantName": "Bob's"}}, headers=h
    ),
    "get template": lambda c, o, h: c.get(f"/v1/templates/{o.template_id}", headers=h),
    "replace template": lambda c, o, h: c.put(
        f"/v1/templates/{o.template_id}",
        content="keywords: [BOB]\n",
        headers={**h, "Content-Type": "application/yaml"},
    ),
    "delete template": lambda c, o, h: c.delete(f"/v1/templates/{o.template_id}", headers=h),
    "get batch": lambda c, o, h: c.get(f"/v1/batches/{o.batch_id}", headers=h),
    "get comparison": lambda c, o, h: c.get(f"/v1/compare/{o.compare_id}", headers=h),
    "revoke api key": lambda c, o, h: c.delete(f"/v1/api-keys/{o.key_id}", headers=h),
    "get webhook": lambda c, o, h: c.get(f"/v1/webhooks/{o.webhook_id}", headers=h),
    "webhook deliveries": lambda c, o, h: c.get(
        f"/v1/webhooks/{o.webhook_id}/deliveries", headers=h
    ),
    "retry webhook delivery": lambda c, o, h: c.post(
        f"/v1/webhooks/{o.webhook_id}/deliveries/{o.delivery_id}/retry", headers=h
    ),
    "delete webhook": lambda c, o, h: c.delete(f"/v1/webhooks/{o.webhook_id}", headers=h),
}


def _settings(data_dir: Path) -> Settings:
    """Webhooks may point here, and nothing is delivered: only who sees them matters."""
    return make_settings(data_dir, webhook_delivery=False, webhook_allowed_hosts="127.0.0.1")


@pytest.fixture(scope="module")
def prepared(
    tmp_path_factory: pytest.TempPathFactory, engines: EngineRegistry
) -> tuple[Path, Owned]:
    """Alice's things, made once: OCR of her jobs is most of a test's cost. Each test
    works on a copy of this data dir, so what one test deletes the next still finds."""
    data_dir = tmp_path_factory.mktemp("isolation") / "data"
    app = create_app(_settings(data_dir), engines=engines)
    with TestClient(app) as client:
        state = client.app.state.untxt  # type: ignore[attr-defined]
        worker = Worker(state.settings, db=state.db, storage=state.storage, engines=engines)
        owned = _make_owned(client, worker)
    return data_dir, owned


@pytest.fixture
def settings(prepared: tuple[Path, Owned], tmp_path: Path) -> Settings:
    shutil.copytree(prepared[0], tmp_path / "data")
    return _settings(tmp_path / "data")


@pytest.fixture
def owned(prepared: tuple[Path, Owned]) -> Owned:
    return prepared[1]


def _make_owned(client: TestClient, worker: Worker) -> Owned:
    """Alice's document, completed job, batch, comparison and key; bob has none of his own."""
    alice = make_user_key(client, "alice@example.com")
    bob = make_user_key(client, "bob@example.com")
    a = bearer(alice)
    webhook = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=a)
    assert webhook.status_code == 201, webhook.text
    document = client.post(
        "/v1/documents", files={"file": ("a.png", samples.png(["ALICE 7"]))}, headers=a
    ).json()
    job = client.post("/v1/jobs", json={"document_id": document["id"]}, headers=a).json()
    fields_job = client.post(
        "/v1/jobs",
        json={"document_id": document["id"], "options": {"extract": ["receipt"]}},
        headers=a,
    ).json()
    assert drain(worker) >= 1
    assert client.get(f"/v1/jobs/{job['id']}", headers=a).json()["status"] == "completed"
    batch = client.post(
        "/v1/jobs/batch", json={"jobs": [{"document_id": document["id"]}]}, headers=a
    ).json()
    comparison = client.post(
        "/v1/compare",
        files={"file": ("c.png", samples.png(["COMPARE 9"]))},
        data={"engines": "tesseract,ppocr"},
        headers=a,
    )
    assert comparison.status_code == 202, comparison.text
    key_id = client.get("/v1/api-keys", headers=a).json()["items"][0]["id"]
    template = client.post(
        "/v1/templates",
        content="issuer: Alice Ltd\nkeywords: [ALICE]\n",
        headers={**a, "Content-Type": "application/yaml"},
    )
    assert template.status_code == 201, template.text
    deliveries = client.get(f"/v1/webhooks/{webhook.json()['id']}/deliveries", headers=a)
    assert deliveries.json()["items"], "alice's job events reached her webhook"
    return Owned(
        alice=alice,
        bob=bob,
        document_id=document["id"],
        job_id=job["id"],
        batch_id=batch["id"],
        compare_id=comparison.json()["id"],
        key_id=key_id,
        webhook_id=webhook.json()["id"],
        delivery_id=deliveries.json()["items"][0]["id"],
        template_id=template.json()["id"],
        fields_job_id=fields_job["id"],
    )


@pytest.mark.parametrize("name", list(FOREIGN_REQUESTS))
def test_another_users_id_is_not_found(client: TestClient, owned: Owned, name: str) -> None:
    response = FOREIGN_REQUESTS[name](client, owned, bearer(owned.bob))

    body = assert_problem(response, 404, "not-found")
    assert "alice" not in body["detail"]
    # And the thing is untouched for its owner.
    mine = FOREIGN_REQUESTS[name](client, owned, bearer(owned.alice))
    assert mine.status_code != 404 or name.startswith(("delete", "revoke")), mine.text


def test_foreign_deletes_and_cancels_change_nothing(client: TestClient, owned: Owned) -> None:
    b, a = bearer(owned.bob), bearer(owned.alice)
    client.delete(f"/v1/documents/{owned.document_id}", headers=b)
    client.delete(f"/v1/jobs/{owned.job_id}", headers=b)
    client.delete(f"/v1/api-keys/{owned.key_id}", headers=b)

    assert client.get(f"/v1/documents/{owned.document_id}", headers=a).status_code == 200
    assert client.get(f"/v1/jobs/{owned.job_id}/result", headers=a).status_code == 200
    assert client.get("/v1/auth/me", headers=a).status_code == 200  # the key still works


@pytest.mark.parametrize(
    "path", ["/v1/documents", "/v1/jobs", "/v1/api-keys", "/v1/webhooks", "/v1/templates"]
)
def test_lists_never_show_another_users_items(client: TestClient, owned: Owned, path: str) -> None:
    alices = client.get(path, headers=bearer(owned.alice)).json()["items"]
    bobs = client.get(path, headers=bearer(owned.bob)).json()["items"]

    assert alices  # alice has some of each
    assert path == "/v1/api-keys" or bobs == []  # bob has a key of his own
    assert not {item["id"] for item in alices} & {item["id"] for item in bobs}


def test_the_same_file_is_stored_once_per_owner(client: TestClient, owned: Owned) -> None:
    """Deduplication by SHA-256 is per owner: bob's upload of alice's bytes is his own."""
    data = samples.png(["SHARED BYTES"])
    mine = [
        client.post("/v1/documents", files={"file": ("s.png", data)}, headers=bearer(k))
        for k in (owned.alice, owned.bob, owned.alice)
    ]

    assert [r.status_code for r in mine] == [201, 201, 201]
    alice_first, bob, alice_again = (r.json()["id"] for r in mine)
    assert alice_first == alice_again
    assert bob != alice_first


def test_a_completed_result_is_not_reused_for_another_owner(
    client: TestClient, owned: Owned
) -> None:
    """The result cache is per owner: bob's identical job runs OCR of its own."""
    content = client.get(
        f"/v1/documents/{owned.document_id}/content", headers=bearer(owned.alice)
    ).content
    repeat = {"file": ("a.png", content)}

    alice = client.post("/v1/ocr", files=repeat, headers=bearer(owned.alice)).json()
    bob = client.post("/v1/ocr", files=repeat, headers=bearer(owned.bob)).json()

    assert alice["status"] == "completed"  # served from her earlier job
    assert bob["status"] == "queued"


def test_idempotency_keys_are_per_owner(client: TestClient, owned: Owned) -> None:
    upload: dict[str, Any] = {"file": ("i.png", samples.png(["ONCE"]))}
    alice = client.post(
        "/v1/ocr", files=upload, headers={**bearer(owned.alice), "Idempotency-Key": "same"}
    )
    bob = client.post(
        "/v1/ocr", files=upload, headers={**bearer(owned.bob), "Idempotency-Key": "same"}
    )

    assert alice.status_code == bob.status_code == 202
    assert alice.json()["id"] != bob.json()["id"]


def test_a_websocket_subscription_to_another_users_job_is_not_found(
    client: TestClient, owned: Owned
) -> None:
    with client.websocket_connect("/v1/ws", headers=bearer(owned.bob)) as socket:
        socket.send_json({"type": "subscribe", "job_ids": [owned.job_id]})
        messages = [socket.receive_json(), socket.receive_json()]

    errors = [m for m in messages if m.get("type") == "error"]
    assert errors and errors[0]["status"] == 404
    subscribed = next(m for m in messages if m.get("type") == "subscribed")
    assert subscribed["job_ids"] == []


def test_webhook_signing_secrets_are_per_owner(client: TestClient, owned: Owned) -> None:
    alice = client.get("/v1/webhook-secret", headers=bearer(owned.alice))
    bob = client.get("/v1/webhook-secret", headers=bearer(owned.bob))

    assert alice.status_code == bob.status_code == 200
    assert alice.json() != bob.json()
