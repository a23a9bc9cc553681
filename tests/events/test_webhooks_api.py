"""``/v1/webhooks`` and ``/v1/webhook-secret``: subscriptions, deliveries, retries, SSRF."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import make_settings
from tests.events.receiver import Receiver, Reply, running_receiver
from untxt.app import create_app
from untxt.config import Settings
from untxt.db.models import EVENT_TYPES
from untxt.engines import EngineRegistry
from untxt.options import EventType


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path / "data",
        webhook_allowed_hosts="127.0.0.1",
        webhook_retry_schedule="0.1,0.2",
        webhook_poll_interval=0.02,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


def _subscribe(client: TestClient, receiver: Receiver, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": receiver.url, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secret = created["secret"]
    return created


def _deliveries(client: TestClient, webhook_id: str, count: int) -> list[dict[str, Any]]:
    """The webhook's deliveries once ``count`` of them are finished."""
    deadline = time.monotonic() + 10
    while True:
        response = client.get(f"/v1/webhooks/{webhook_id}/deliveries")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        if sum(1 for d in items if d["status"] != "pending") >= count:
            return items
        assert time.monotonic() < deadline, items
        time.sleep(0.05)


def test_event_type_names_match_everywhere() -> None:
    """The API's type names are the outbox's."""
    assert EventType.__args__ == EVENT_TYPES  # type: ignore[attr-defined]


def test_creating_a_webhook_shows_its_secret_once(client: TestClient, receiver: Receiver) -> None:
    created = _subscribe(client, receiver, events=["job.completed", "job.failed"])
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["job.completed", "job.failed"]
    assert created["enabled"] is True and created["disabled_reason"] is None
    shown = client.get(f"/v1/webhooks/{created['id']}").json()
    assert "secret" not in shown
    assert shown == {k: v for k, v in created.items() if k != "secret"}
    listed = client.get("/v1/webhooks").json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]


def test_a_webhook_without_events_gets_every_type(client: TestClient, receiver: Receiver) -> None:
    assert _subscribe(client, receiver)["events"] == list(EVENT_TYPES)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://127.0.0.1:9/hook", "events": ["job.exploded"]},
        {"url": "http://127.0.0.1:9/hook", "events": []},
        {"events": ["job.queued"]},
        {"url": "http://127.0.0.1:9/" + "x" * 3000},
    ],
)
def test_invalid_webhooks_are_refused_with_a_problem(
    client: TestClient, body: dict[str, Any]
) -> None:
    assert_problem(client.post("/v1/webhooks", json=body), 422)
    assert client.get("/v1/webhooks").json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/hook",
        "http:///no-host",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://100.64.1.1/hook",
    ],
)
def test_webhook_urls_that_reach_inside_are_refused(client: TestClient, url: str) -> None:
    """Only 127.0.0.1 is allowed in these tests; every other inside address is refused."""
    body = assert_problem(client.post("/v1/webhooks", json={"url": url}), 422, "unsafe-webhook-url")
    assert body["detail"]
    assert client.get("/v1/webhooks").json()["items"] == []


def test_without_the_allow_list_loopback_is_refused_too(
    tmp_path: Path, engines: EngineRegistry
) -> None:
    app = create_app(make_settings(tmp_path / "data", webhook_delivery=False), engines=engines)
    with TestClient(app) as client:
        response = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"})
        body = assert_problem(response, 422, "unsafe-webhook-url")
        assert "loopback" in body["detail"]
        options = {"webhook_url": "http://127.0.0.1:9/hook"}
        refused = submit(client, samples.png(["NOPE"]), options=options)
        assert_problem(refused, 422, "unsafe-webhook-url")
        assert client.get("/v1/jobs").json()["items"] == []


def test_deleting_a_webhook_stops_its_deliveries(client: TestClient, receiver: Receiver) -> None:
    created = _subscribe(client, receiver)
    assert client.delete(f"/v1/webhooks/{created['id']}").status_code == 204
    assert_problem(client.get(f"/v1/webhooks/{created['id']}"), 404, "not-found")
    assert_problem(client.delete(f"/v1/webhooks/{created['id']}"), 404, "not-found")
    assert submit(client, samples.png(["GONE"])).status_code == 202
    time.sleep(0.3)
    assert receiver.received == []


def test_deliveries_are_listed_with_every_attempt_and_can_be_sent_again(
    client: TestClient, receiver: Receiver
) -> None:
    """A delivery's log shows each try; a retry sends it again with the same webhook-id."""
    receiver.script = [Reply(500)]
    created = _subscribe(client, receiver, events=["job.queued"])
    job = submit(client, samples.png(["HELLO"])).json()
    (delivery,) = _deliveries(client, created["id"], 1)
    assert delivery["status"] == "succeeded" and delivery["event_type"] == "job.queued"
    assert delivery["attempts"] == 2 and delivery["last_status_code"] == 200
    assert [(a["attempt"], a["status_code"]) for a in delivery["attempt_log"]] == [
        (1, 500),
        (2, 200),
    ]
    assert all(a["duration_ms"] >= 0 and a["started_at"] for a in delivery["attempt_log"])
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == delivery["webhook_id"]
    assert second.verified and second.payload is not None
    assert second.payload["data"]["job_id"] == job["id"]

    retried = client.post(f"/v1/webhooks/{created['id']}/deliveries/{delivery['id']}/retry")
    assert retried.status_code == 202, retried.text
    third = receiver.wait_for(3)[2]
    assert third.webhook_id == delivery["webhook_id"] and third.verified
    deadline = time.monotonic() + 5
    while True:
        (again,) = client.get(f"/v1/webhooks/{created['id']}/deliveries").json()["items"]
        if again["attempts"] == 3 and again["status"] == "succeeded":
            break
        assert time.monotonic() < deadline, again
        time.sleep(0.05)
    assert [a["status_code"] for a in again["attempt_log"]] == [500, 200, 200]
    missing = client.post(f"/v1/webhooks/{created['id']}/deliveries/999999/retry")
    assert_problem(missing, 404, "not-found")


def test_a_jobs_own_webhook_url_is_signed_with_the_owners_secret(
    client: TestClient, receiver: Receiver
) -> None:
    """GET /v1/webhook-secret gives the secret that verifies per-job deliveries."""
    secret = client.get("/v1/webhook-secret").json()["secret"]
    assert secret.startswith("whsec_")
    assert client.get("/v1/webhook-secret").json()["secret"] == secret
    receiver.secret = secret
    response = submit(client, samples.png(["PER JOB"]), options={"webhook_url": receiver.url})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    (arrived,) = receiver.wait_for(1)
    assert arrived.verified and arrived.payload is not None
    assert arrived.payload["type"] == "job.queued"
    assert arrived.payload["data"]["job_id"] == job_id

    deadline = time.monotonic() + 10
    while True:
        logged = client.get(f"/v1/jobs/{job_id}/webhook-deliveries").json()["items"]
        if logged and logged[0]["status"] == "succeeded":
            break
        assert time.monotonic() < deadline, logged
        time.sleep(0.05)
    (delivery,) = logged
    assert delivery["webhook_id"] == arrived.webhook_id
    assert [a["status_code"] for a in delivery["attempt_log"]] == [200]
    again = client.post(f"/v1/jobs/{job_id}/webhook-deliveries/{delivery['id']}/retry")
    assert again.status_code == 202, again.text
    assert receiver.wait_for(2)[1].webhook_id == arrived.webhook_id
    missing = client.get("/v1/jobs/job_nope/webhook-deliveries")
    assert_problem(missing, 404, "not-found")

    rotated = client.post("/v1/webhook-secret/rotate").json()["secret"]
    assert rotated != secret and client.get("/v1/webhook-secret").json()["secret"] == rotated
    receiver.secret = rotated
    submit(client, samples.png(["ROTATED"]), options={"webhook_url": receiver.url})
    second = receiver.wait_for(3)[2]
    assert second.verified
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(
            (second.payload and __import__("json").dumps(second.payload)) or "", second.headers
        )


def test_owners_see_only_their_webhooks_and_get_only_their_events(
    client: TestClient, receiver: Receiver
) -> None:
    """Bob's jobs never reach alice's endpoint; neither sees the other's subscriptions."""
    alice = bearer(make_user_key(client, "alice@example.com"))
    bob = bearer(make_user_key(client, "bob@example.com"))
    created = client.post("/v1/webhooks", json={"url": receiver.url}, headers=alice).json()
    receiver.secret = created["secret"]
    assert client.get("/v1/webhooks", headers=bob).json()["items"] == []
    assert_problem(client.get(f"/v1/webhooks/{created['id']}", headers=bob), 404, "not-found")
    assert_problem(client.delete(f"/v1/webhooks/{created['id']}", headers=bob), 404, "not-found")
    bobs = submit(client, samples.png(["BOB"]), headers=bob)
    alices = submit(client, samples.png(["ALICE"]), headers=alice)
    assert bobs.status_code == alices.status_code == 202
    (arrived,) = receiver.wait_for(1)
    time.sleep(0.3)
    assert len(receiver.received) == 1
    assert arrived.payload is not None
    assert arrived.payload["data"]["job_id"] == alices.json()["id"]
    assert [w["id"] for w in client.get("/v1/webhooks", headers=alice).json()["items"]] == [
        created["id"]
    ]
    foreign = client.get(f"/v1/jobs/{alices.json()['id']}/webhook-deliveries", headers=bob)
    assert_problem(foreign, 404, "not-found")
    retry = client.post(f"/v1/jobs/{alices.json()['id']}/webhook-deliveries/1/retry", headers=bob)
    assert_problem(retry, 404, "not-found")
