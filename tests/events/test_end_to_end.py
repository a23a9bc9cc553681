"""A real OCR job, read by Tesseract, tells its story in the outbox and at its webhook."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import submit
from tests.conftest import drain, make_settings
from tests.events.receiver import running_receiver
from untxt.config import Settings
from untxt.events.webhooks import encode_body
from untxt.queue.outbox import read_events
from untxt.worker import Worker


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path / "data", webhook_allowed_hosts="127.0.0.1", webhook_poll_interval=0.02
    )


def test_an_ocr_job_records_queued_processing_progress_completed_and_delivers_them(
    client: TestClient, worker: Worker
) -> None:
    with running_receiver() as receiver:
        created = client.post("/v1/webhooks", json={"url": receiver.url})
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        accepted = submit(
            client, samples.png(["INVOICE 4711", "TOTAL 99"]), options={"outputs": ["text", "json"]}
        )
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["id"]
        assert drain(worker) >= 1
        arrived = receiver.wait_for(4)

    state = client.app.state.untxt  # type: ignore[attr-defined]
    with state.db.read() as session:
        events = read_events(session, owner=None, job_id=job_id)
    assert [e.type for e in events] == [
        "job.queued",
        "job.processing",
        "job.progress",
        "job.completed",
    ]
    assert [e.data["data"]["status"] for e in events] == [
        "queued",
        "processing",
        "processing",
        "completed",
    ]
    assert events[2].data["data"]["progress"] == {"pages_done": 1, "pages_total": 1}
    results = events[3].data["data"]["results"]
    assert set(results) == {"text", "json"}
    text = client.get(results["text"])
    assert text.status_code == 200 and "INVOICE 4711" in text.text

    assert all(r.verified and r.status == 200 for r in arrived)
    assert len({r.webhook_id for r in arrived}) == 4
    assert sorted((r.payload or {})["type"] for r in arrived) == sorted(e.type for e in events)
    assert {r.body for r in arrived} == {encode_body(e.data) for e in events}
