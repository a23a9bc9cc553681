"""HTTP hygiene: request ids, security headers, CORS closed unless configured, and 500s that
tell the client nothing about the server's insides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.conftest import drain
from untxt.api.hygiene import request_id_of
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.storage import LocalBlobStore
from untxt.storage.base import BlobStore, Staged
from untxt.worker import Worker

ORIGIN = "https://app.example.com"


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    answers = [
        client.get("/healthz"),
        client.get("/v1/jobs"),
        client.get("/v1/jobs/job_nope"),
        client.get("/v1/nothing"),
        submit(client, b""),
    ]

    ids = [answer.headers["x-request-id"] for answer in answers]
    assert all(len(request_id) == 32 for request_id in ids)
    assert len(set(ids)) == len(ids)


def test_a_sane_incoming_request_id_is_kept(client: TestClient) -> None:
    answer = client.get("/v1/jobs", headers={"X-Request-ID": "trace-4bf92f3577b34da6"})

    assert answer.headers["x-request-id"] == "trace-4bf92f3577b34da6"


@pytest.mark.parametrize(
    "incoming", ["x" * 129, "has space", "semi;colon", "new\\nline", "<script>", ""]
)
def test_an_odd_incoming_request_id_is_replaced(incoming: str) -> None:
    replaced = request_id_of([(b"x-request-id", incoming.encode())])

    assert replaced != incoming
    assert len(replaced) == 32


def test_log_lines_name_the_request(client: TestClient) -> None:
    state = client.app.state.untxt  # type: ignore[attr-defined]
    # A line logged by code the route runs in the thread pool.
    state.storage.check = lambda: structlog.get_logger("test").info("checking storage")
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        client.get("/readyz", headers={"X-Request-ID": "ready-check-1"})
        client.get("/readyz", headers={"X-Request-ID": "ready-check-2"})

    assert [line.get("request_id") for line in logs] == ["ready-check-1", "ready-check-2"]


@pytest.mark.parametrize("path", ["/healthz", "/v1/jobs", "/v1/jobs/job_nope", "/openapi.json"])
def test_security_headers_are_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers

    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in headers  # plain HTTP


def test_answers_over_https_ask_for_https_from_then_on(
    settings: Settings, engines: EngineRegistry
) -> None:
    with TestClient(create_app(settings, engines=engines), base_url="https://ocr.example") as c:
        headers = c.get("/healthz").headers

    assert headers["strict-transport-security"].startswith("max-age=")


def test_the_api_docs_page_loads_swagger_ui_from_this_server(client: TestClient) -> None:
    page = client.get("/docs")

    csp = page.headers["content-security-policy"]
    assert "https:" not in csp and "http:" not in csp
    assert "cdn" not in page.text
    assert "frame-ancestors 'none'" in csp
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200


def test_html_results_get_a_strict_content_security_policy(
    client: TestClient, worker: Worker
) -> None:
    job = submit(client, samples.png(["HELLO"]), options={"outputs": ["html"]}).json()
    drain(worker)

    page = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "html"})

    assert page.status_code == 200, page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "cdn.jsdelivr.net" not in csp
    assert "frame-ancestors 'none'" in csp


def test_json_answers_have_no_content_security_policy(client: TestClient) -> None:
    assert "content-security-policy" not in client.get("/v1/jobs").headers


def test_cross_origin_access_is_closed_by_default(client: TestClient) -> None:
    simple = client.get("/v1/jobs", headers={"Origin": ORIGIN})
    preflight = client.options(
        "/v1/ocr", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )

    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-origin" not in preflight.headers


@pytest.fixture
def cors_client(settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    configured = settings.with_overrides(cors_origins=f"{ORIGIN}, https://other.example")
    with TestClient(create_app(configured, engines=engines)) as test_client:
        yield test_client


def test_configured_origins_may_call_the_api(cors_client: TestClient) -> None:
    simple = cors_client.get("/v1/jobs", headers={"Origin": ORIGIN})
    preflight = cors_client.options(
        "/v1/ocr",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, idempotency-key",
        },
    )

    assert simple.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_origins_not_configured_stay_out(cors_client: TestClient) -> None:
    simple = cors_client.get("/v1/jobs", headers={"Origin": "https://evil.example"})
    preflight = cors_client.options(
        "/v1/jobs",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert "access-control-allow-origin" not in simple.headers
    assert preflight.status_code == 400


class _FailingStore(LocalBlobStore):
    """A blob store whose writes fail the way a bug would, naming a server path."""

    def put(self, key: str, data: bytes) -> None:
        raise RuntimeError(f"cannot write /srv/untxt/secret-internal/{key}")

    def stage(self, data: bytes) -> Staged:
        return BlobStore.stage(self, data)  # whose place() puts


def test_an_internal_error_is_a_generic_problem_with_the_request_id(
    settings: Settings, engines: EngineRegistry, tmp_path: Path
) -> None:
    app = create_app(settings, engines=engines, storage=_FailingStore(tmp_path / "blobs"))
    with (
        structlog.testing.capture_logs() as logs,
        TestClient(app) as client,
    ):
        answer = submit(client, samples.png(["BOOM"]), headers={"X-Request-ID": "boom-1"})

    body = assert_problem(answer, 500, "internal")
    assert body["request_id"] == "boom-1" == answer.headers["x-request-id"]
    text = answer.text
    for leak in ("secret-internal", "/srv/", "Traceback", "RuntimeError", ".py"):
        assert leak not in text
    assert answer.headers["x-content-type-options"] == "nosniff"
    errors = [line for line in logs if line["log_level"] == "error"]
    assert errors and "exc_info" in errors[0]  # the details went to the log instead


@pytest.mark.parametrize(
    "url",
    ["/v1/jobs/abc%00def", "/v1/documents/%0a", "/v1/jobs?cursor=%00", "/v1/jobs?cursor=a%7F"],
)
def test_control_characters_in_the_url_are_a_400_problem(client: TestClient, url: str) -> None:
    """No id or cursor holds one; PostgreSQL would refuse a NUL deep inside a query."""
    answer = client.get(url)

    body = assert_problem(answer, 400, "bad-request")
    assert "control characters" in body["detail"]
    assert answer.headers["x-request-id"]


def test_an_ordinary_percent_encoded_url_passes(client: TestClient) -> None:
    assert client.get("/v1/jobs/no%20such%20job").status_code == 404
