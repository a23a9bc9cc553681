"""``GET /v1/usage``: each owner's jobs, pages and bytes by day; everyone's for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain
from untxt.worker import Worker

TESSERACT = {"engine": "tesseract", "outputs": ["text"]}


def send(client: TestClient, lines: list[str], headers: dict[str, str] | None = None) -> int:
    """Submit a one-page scan; returns its size in bytes."""
    data = samples.png(lines)
    response = submit(client, data, options=TESSERACT, headers=headers)
    assert response.status_code == 202, response.text
    return len(data)


def usage(client: TestClient, headers: dict[str, str] | None = None, **params: Any) -> Any:
    response = client.get("/v1/usage", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_callers_jobs_pages_and_bytes_are_counted_for_today(
    client: TestClient, worker: Worker
) -> None:
    today = datetime.now(UTC).date()
    sizes = [send(client, ["FIRST SCAN"]), send(client, ["SECOND SCAN"])]
    send_later = send(client, ["STILL QUEUED"])
    assert drain(worker, limit=2) == 2

    body = usage(client)

    assert body["until"] == today.isoformat()
    assert body["since"] == (today - timedelta(days=29)).isoformat()
    counts = {"jobs": 3, "completed": 2, "failed": 0, "pages": 2, "bytes": sum(sizes) + send_later}
    assert body["days"] == [{"owner": "local", "email": None, "day": today.isoformat(), **counts}]
    assert body["totals"] == [{"owner": "local", "email": None, **counts}]


def test_days_before_the_span_are_left_out(client: TestClient) -> None:
    send(client, ["TODAY"])
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    since = (yesterday - timedelta(days=100)).isoformat()

    body = usage(client, since=since, until=yesterday.isoformat())

    assert (body["since"], body["until"]) == (since, yesterday.isoformat())
    assert body["days"] == [] and body["totals"] == []


@pytest.fixture
def people(client: TestClient) -> dict[str, dict[str, str]]:
    return {
        "admin": bearer(make_user_key(client, "admin@example.com", admin=True)),
        "alice": bearer(make_user_key(client, "alice@example.com")),
        "bob": bearer(make_user_key(client, "bob@example.com")),
    }


def test_each_user_sees_only_their_own_and_admins_see_everyone_with_all(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    alice_bytes = send(client, ["ALICE ONE"], people["alice"]) + send(
        client, ["ALICE TWO"], people["alice"]
    )
    bob_bytes = send(client, ["BOB"], people["bob"])

    alice = usage(client, people["alice"])
    admin_own = usage(client, people["admin"])
    everyone = usage(client, people["admin"], all="true")

    assert [(d["email"], d["jobs"], d["bytes"]) for d in alice["days"]] == [
        ("alice@example.com", 2, alice_bytes)
    ]
    assert admin_own["days"] == []
    assert sorted((t["email"], t["jobs"], t["bytes"]) for t in everyone["totals"]) == [
        ("alice@example.com", 2, alice_bytes),
        ("bob@example.com", 1, bob_bytes),
    ]
    assert_problem(client.get("/v1/usage", params={"all": "true"}, headers=people["bob"]), 403)
    assert_problem(client.get("/v1/usage"), 401)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"since": "2030-02-01", "until": "2030-01-31"}, "is after until"),
        ({"since": "2028-12-31", "until": "2030-01-01"}, "at most 366 days"),
        ({"until": "9999-12-31"}, "at most 366 days"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2030-02-30"}, "until"),
    ],
)
def test_a_span_that_cannot_be_answered_is_refused(
    client: TestClient, params: dict[str, str], detail: str
) -> None:
    body = assert_problem(client.get("/v1/usage", params=params), 422)
    assert detail in body["detail"]


def test_the_earliest_days_are_answered_without_overflow(client: TestClient) -> None:
    body = usage(client, until="0001-01-05")

    assert (body["since"], body["until"]) == ("0001-01-01", "0001-01-05")
    assert body["days"] == []


def test_a_whole_leap_year_is_the_longest_span(client: TestClient) -> None:
    body = usage(client, since="2028-01-01", until="2028-12-31")

    assert (body["since"], body["until"]) == ("2028-01-01", "2028-12-31")
