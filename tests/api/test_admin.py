"""``/v1/admin/activity``: queue depth, the last hour's throughput, failures and usage."""

from __future__ import annotations

import itertools
from datetime import datetime

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem
from tests.api.test_bad_input import _fix_crc
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain
from untxt.worker import Worker


def _broken_png() -> bytes:
    """A PNG that passes the submit's checks and fails when the worker decodes it."""
    data = bytearray(samples.png(["BROKEN"]))
    start = data.index(b"IDAT") + 4
    data[start + 10 : start + 60] = b"\xff" * 50
    return _fix_crc(bytes(data))


def _submit(client: TestClient, key: str, data: bytes, priority: int = 5) -> str:
    response = client.post(
        "/v1/ocr",
        files={"file": ("a.png", data)},
        data={"options": f'{{"priority": {priority}}}'},
        headers=bearer(key),
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def test_activity_shows_depth_throughput_failures_and_usage(
    client: TestClient, worker: Worker
) -> None:
    admin = make_user_key(client, "admin@example.com", admin=True)
    user = make_user_key(client, "user@example.com")
    _submit(client, user, samples.png(["DONE 1"]))
    _submit(client, user, _broken_png())
    drain(worker)
    waiting = _submit(client, user, samples.png(["WAITING"]), priority=8)
    _submit(client, admin, samples.png(["ADMIN"]), priority=8)

    response = client.get("/v1/admin/activity", headers=bearer(admin))

    assert response.status_code == 200, response.text
    activity = response.json()
    assert activity["queue"]["queued"] == {"8": 2}
    assert activity["queue"]["completed"] == {"5": 1}
    assert activity["queue"]["failed"] == {"5": 1}
    assert activity["queue"]["processing"] == {}
    throughput = activity["throughput"]
    assert throughput["bucket_seconds"] == 300 and len(throughput["buckets"]) == 12
    starts = [datetime.fromisoformat(b["start"]) for b in throughput["buckets"]]
    assert all(b - a == starts[1] - starts[0] for a, b in itertools.pairwise(starts))
    assert starts[0].minute % 5 == 0 and starts[0].second == 0
    now = datetime.fromisoformat(activity["generated_at"])
    assert starts[-1] <= now and (now - starts[-1]).total_seconds() < 300
    totals = {k: sum(b[k] for b in throughput["buckets"]) for k in ("completed", "pages", "failed")}
    assert totals == {"completed": 1, "pages": 1, "failed": 1}
    [failure] = activity["failures"]
    assert failure["count"] == 1 and "cannot be decoded" in failure["error"]
    assert activity["oldest_waiting"]["id"] == waiting
    assert activity["oldest_waiting"]["priority"] == 8
    assert activity["oldest_waiting"]["waiting_seconds"] >= 0
    usage = {u["email"]: u for u in activity["usage"]}
    assert usage["user@example.com"]["jobs"] == 3
    assert usage["user@example.com"]["pages"] == 1
    assert usage["user@example.com"]["stored_bytes"] > 0
    assert usage["admin@example.com"]["jobs"] == 1
    assert [u["email"] for u in activity["usage"]] == ["admin@example.com", "user@example.com"]


def test_activity_is_for_admins_only(client: TestClient) -> None:
    make_user_key(client, "admin@example.com", admin=True)
    user = make_user_key(client, "user@example.com")

    assert_problem(client.get("/v1/admin/activity", headers=bearer(user)), 403, "forbidden")
    assert_problem(client.get("/v1/admin/activity"), 401)


def test_activity_of_an_empty_service(client: TestClient) -> None:
    activity = client.get("/v1/admin/activity").json()  # single-user mode: the local admin

    assert all(counts == {} for counts in activity["queue"].values())
    assert activity["failures"] == [] and activity["oldest_waiting"] is None
    assert activity["usage"] == []
    assert all(b["completed"] == 0 for b in activity["throughput"]["buckets"])
