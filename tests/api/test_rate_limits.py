"""Rate limits: per credential and per client address, submits apart from reads, 429s that
say when to come back, shared through Redis across API nodes."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import make_user_key
from untxt.api.ratelimit import credential_digest, policy_of
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.rate_notation import parse_rate

REDIS_URL = os.environ.get("UNTXT_TEST_REDIS", "redis://127.0.0.1:6379/0")


@contextmanager
def limited_client(
    settings: Settings,
    engines: EngineRegistry,
    *,
    ip: str = "192.0.2.1",
    **limits: Any,
) -> Iterator[TestClient]:
    app = create_app(settings.with_overrides(**limits), engines=engines)
    with TestClient(app, client=(ip, 40000)) as client:
        yield client


def _rate_limit(response: Any) -> dict[str, str]:
    """The members of the ``RateLimit`` header, e.g. ``{"r": "2", "t": "41"}``."""
    match = re.fullmatch(r'"(\w+)";r=(\d+);t=(\d+)', response.headers["ratelimit"])
    assert match, response.headers["ratelimit"]
    return {"policy": match[1], "r": match[2], "t": match[3]}


def test_submits_over_the_limit_get_a_429_problem_with_retry_after(
    settings: Settings, engines: EngineRegistry
) -> None:
    with limited_client(settings, engines, rate_limit_submit="2/hour") as client:
        accepted = [submit(client, samples.png([f"P{i}"])) for i in range(2)]
        refused = submit(client, samples.png(["P3"]))
        jobs = client.get("/v1/jobs").json()["items"]

    assert [r.status_code for r in accepted] == [202, 202]
    body = assert_problem(refused, 429, "rate-limited")
    assert "submit" in body["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert refused.headers["ratelimit-policy"] == '"submit";q=2;w=3600'
    assert _rate_limit(refused)["r"] == "0"
    assert len(jobs) == 2  # the refused submit created nothing


def test_successful_answers_count_down_the_remaining_requests(
    settings: Settings, engines: EngineRegistry
) -> None:
    with limited_client(settings, engines, rate_limit_read="5/hour") as client:
        answers = [client.get("/v1/jobs") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [_rate_limit(a)["r"] for a in answers] == ["4", "3", "2"]
    assert {a.headers["ratelimit-policy"] for a in answers} == {'"read";q=5;w=3600'}


def test_reads_and_submits_are_counted_apart(settings: Settings, engines: EngineRegistry) -> None:
    with limited_client(
        settings, engines, rate_limit_read="2/hour", rate_limit_submit="2/hour"
    ) as client:
        reads = [client.get("/v1/documents").status_code for _ in range(3)]
        accepted = submit(client, samples.png(["STILL"]))

    assert reads == [200, 200, 429]
    assert accepted.status_code == 202
    assert _rate_limit(accepted)["policy"] == "submit"


def test_each_client_address_has_its_own_budget(
    settings: Settings, engines: EngineRegistry
) -> None:
    app = create_app(settings.with_overrides(rate_limit_read="1/hour"), engines=engines)
    with (
        TestClient(app, client=("192.0.2.10", 1)) as first,
        TestClient(app, client=("192.0.2.11", 1)) as second,
    ):
        statuses = [
            first.get("/v1/jobs").status_code,
            first.get("/v1/jobs").status_code,
            second.get("/v1/jobs").status_code,
        ]

    assert statuses == [200, 429, 200]


def test_one_api_key_shares_its_budget_across_addresses(
    settings: Settings, engines: EngineRegistry
) -> None:
    app = create_app(settings.with_overrides(rate_limit_read="2/hour"), engines=engines)
    with (
        TestClient(app, client=("192.0.2.20", 1)) as home,
        TestClient(app, client=("192.0.2.21", 1)) as office,
    ):
        key = make_user_key(home, "limited@example.com")
        other = make_user_key(home, "other@example.com")
        auth = {"Authorization": f"Bearer {key}"}
        statuses = [
            home.get("/v1/jobs", headers=auth).status_code,
            office.get("/v1/jobs", headers=auth).status_code,
            office.get("/v1/jobs", headers=auth).status_code,
        ]
        # Another user at a fresh address is not held back by that key's budget.
        with TestClient(app, client=("192.0.2.22", 1)) as elsewhere:
            other_status = elsewhere.get("/v1/jobs", headers={"X-API-Key": other}).status_code

    assert statuses == [200, 200, 429]
    assert other_status == 200


def test_requests_outside_v1_are_not_limited(settings: Settings, engines: EngineRegistry) -> None:
    with limited_client(settings, engines, rate_limit_read="1/hour") as client:
        statuses = [client.get("/healthz").status_code for _ in range(5)]
        first = client.get("/healthz")

    assert statuses == [200] * 5
    assert "ratelimit" not in first.headers


def test_limits_can_be_turned_off(settings: Settings, engines: EngineRegistry) -> None:
    with limited_client(
        settings, engines, rate_limit_read="off", rate_limit_submit="off"
    ) as client:
        answers = [client.get("/v1/jobs") for _ in range(30)]

    assert {a.status_code for a in answers} == {200}
    assert "ratelimit" not in answers[-1].headers


def test_the_429_is_visible_to_allowed_browser_origins(
    settings: Settings, engines: EngineRegistry
) -> None:
    origin = "https://app.example.com"
    with limited_client(settings, engines, rate_limit_read="1/hour", cors_origins=origin) as client:
        client.get("/v1/jobs", headers={"Origin": origin})
        refused = client.get("/v1/jobs", headers={"Origin": origin})

    assert refused.status_code == 429
    assert refused.headers["access-control-allow-origin"] == origin
    exposed = refused.headers["access-control-expose-headers"].lower()
    assert {"retry-after", "ratelimit", "ratelimit-policy"} <= set(exposed.split(", "))


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def test_api_nodes_share_limits_through_redis(
    settings: Settings, engines: EngineRegistry, redis_url: str
) -> None:
    # A fresh address per run: the counters outlive the test in the shared Redis.
    ip = f"node-test-{uuid.uuid4().hex}"
    shared = {"redis_url": redis_url, "rate_limit_read": "3/hour"}
    with (
        limited_client(settings, engines, ip=ip, **shared) as node_a,
        limited_client(settings, engines, ip=ip, **shared) as node_b,
    ):
        statuses = [
            node_a.get("/v1/jobs").status_code,
            node_b.get("/v1/jobs").status_code,
            node_a.get("/v1/jobs").status_code,
            node_b.get("/v1/jobs").status_code,
        ]
        remaining = _rate_limit(node_a.get("/v1/engines"))["r"]

    assert statuses == [200, 200, 200, 429]
    assert remaining == "0"


def test_an_unreachable_redis_lets_requests_through(
    settings: Settings, engines: EngineRegistry
) -> None:
    with limited_client(
        settings, engines, redis_url="redis://127.0.0.1:1/0", rate_limit_read="1/hour"
    ) as client:
        statuses = [client.get("/v1/jobs").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


@pytest.mark.parametrize(
    ("method", "path", "policy"),
    [
        ("POST", "/v1/ocr", "submit"),
        ("POST", "/v1/jobs", "submit"),
        ("POST", "/v1/jobs/batch", "submit"),
        ("POST", "/v1/documents", "submit"),
        ("POST", "/v1/compare", "submit"),
        ("POST", "/v1/jobs/job_1/cancel", "read"),
        ("GET", "/v1/jobs", "read"),
        ("DELETE", "/v1/documents/doc_1", "read"),
        ("GET", "/healthz", None),
        ("GET", "/v1x", None),
    ],
)
def test_requests_are_sorted_into_policies(method: str, path: str, policy: str | None) -> None:
    assert policy_of(method, path) == policy


def test_credentials_are_named_by_a_hash_never_by_the_secret() -> None:
    bearer = credential_digest([(b"authorization", b"Bearer untxt_secret")])
    cookie = credential_digest([(b"cookie", b"theme=dark; untxt_session=tok")])

    assert bearer and "secret" not in bearer
    assert cookie and cookie != bearer
    assert credential_digest([(b"cookie", b"theme=dark")]) is None


@pytest.mark.parametrize("text", ["lots", "5/fortnight", "-1/minute"])
def test_rate_limits_in_other_notations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        parse_rate(text)


@pytest.mark.parametrize("text", ["", "off", "0", " OFF "])
def test_off_turns_a_limit_off(text: str) -> None:
    assert parse_rate(text) is None


def test_websocket_connections_count_as_reads(settings: Settings, engines: EngineRegistry) -> None:
    with limited_client(settings, engines, rate_limit_read="1/hour") as client:
        with client.websocket_connect("/v1/ws"):
            pass
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/v1/ws"):
            pass

    assert refused.value.code == 1008


def test_a_redis_url_of_another_scheme_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="Redis URL"):
        Settings(redis_url="http://127.0.0.1:6379")
