"""``POST /v1/ask``: answers from the fields, passages, and a scripted OpenAI-compatible model."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import assert_problem
from tests.ask.documents import store_bills
from tests.ask.llm_server import Reply, ScriptedLLM
from tests.conftest import make_settings
from untxt.app import create_app
from untxt.db.types import utcnow
from untxt.engines import EngineRegistry

QUESTION = "How much did we pay for electricity in March 2025?"


def _app(tmp_path: Path, engines: EngineRegistry, **settings: Any) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path / "data", **settings), engines=engines)
    with TestClient(app) as client:
        store_bills(app.state.untxt.db, utcnow())
        yield client


@pytest.fixture
def llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


@pytest.fixture
def plain(tmp_path: Path, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API with no language model configured, holding the bills and the receipt."""
    yield from _app(tmp_path, engines)


@pytest.fixture
def with_llm(tmp_path: Path, engines: EngineRegistry, llm: ScriptedLLM) -> Iterator[TestClient]:
    yield from _app(
        tmp_path,
        engines,
        llm_url=llm.url,
        llm_model="test-model",
        llm_api_key="sk-test",
        llm_timeout=1.0,
        llm_retries=1,
    )


def _ask(client: TestClient, question: str, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/ask", json={"question": question, **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _audited(client: TestClient) -> list[dict[str, Any]]:
    events = client.get("/v1/audit", params={"action": "ask.question"}).json()["items"]
    return [event["detail"] for event in events]


def test_without_a_model_a_sum_is_answered_by_the_database_with_rows_and_boxes(
    plain: TestClient,
) -> None:
    answer = _ask(plain, QUESTION)
    assert answer["answered_by"] == "fields" and answer["model"] is None
    assert answer["answer"] == (
        "The totals of 1 electricity bill dated March 2025 add up to 1,250,000 VND."
    )
    computed = answer["computed"]
    assert computed["operation"] == "sum" and computed["utility"] == "electricity"
    assert (computed["date_from"], computed["date_to"]) == ("2025-03-01", "2025-03-31")
    assert (
        computed["totals"]
        == [{"currency": "VND", "documents": 1, "with_total": 1, "amount": "1250000.0000"}]
        or computed["totals"][0]["documents"] == 1
    )
    [row] = computed["rows"]
    [citation] = answer["citations"]
    assert citation["kind"] == "fields" and citation["job_id"] == row["job_id"]
    total = next(ln for ln in citation["lines"] if ln["text"].startswith("InvoiceTotal"))
    assert total["page"] == 1 and len(total["bbox"]) == 4
    assert _audited(plain)[0]["question"] == QUESTION
    assert _audited(plain)[0]["answered_by"] == "fields"


def test_without_a_model_an_open_question_gets_passages_and_says_why(plain: TestClient) -> None:
    answer = _ask(plain, "Did we buy bread?")
    assert answer["answered_by"] == "none" and answer["answer"] is None
    assert "UNTXT_LLM_URL" in answer["note"]
    [passage] = answer["citations"]
    assert any(line["text"] == "1 BREAD 3.50" for line in passage["lines"])


def test_a_vietnamese_question_is_answered_in_vietnamese(plain: TestClient) -> None:
    answer = _ask(plain, "Bao nhiêu hóa đơn tiền điện?")
    assert answer["language"] == "vi"
    assert answer["answer"] == "Có 2 hóa đơn tiền điện."


def test_bad_questions_and_unknown_documents_are_refused(plain: TestClient) -> None:
    assert_problem(plain.post("/v1/ask", json={"question": ""}), 422)
    assert_problem(plain.post("/v1/ask", json={"question": "x" * 1001}), 422)
    assert_problem(plain.post("/v1/ask", json={"question": "a\x00b"}), 422)
    response = plain.post("/v1/ask", json={"question": "total?", "document_ids": ["doc_nope"]})
    assert_problem(response, 404)


def test_the_model_is_sent_only_the_retrieved_sources_and_its_citations_are_kept(
    with_llm: TestClient, llm: ScriptedLLM
) -> None:
    llm.replies.append(Reply(pieces=["You paid 1,250,000 VND ", "in March 2025 [1][2]. [9]"]))
    answer = _ask(with_llm, QUESTION)
    [sent] = llm.received
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.body["model"] == "test-model" and sent.body["stream"] is True
    system, user = sent.body["messages"]
    assert system["role"] == "system" and "square brackets" in system["content"]
    assert "only the numbered sources" in system["content"] and "English" in system["content"]
    assert user["content"].endswith(f"Question: {QUESTION}")
    assert "1,250,000 VND" in user["content"]  # the database's sum, as a source
    assert "HANOI POWER COMPANY" in user["content"]
    # Neither the water bill nor the receipt matches: the model never sees them.
    assert "SAWACO" not in user["content"] and "AEON" not in user["content"]
    assert answer["answered_by"] == "model" and answer["model"] == "test-model"
    assert answer["answer"] == "You paid 1,250,000 VND in March 2025 [1][2]. [9]"
    assert [c["ref"] for c in answer["citations"]] == [1, 2]  # [9] names no source
    assert [c["kind"] for c in answer["citations"]] == ["computed", "fields"]
    assert _audited(with_llm)[0]["answer"] == answer["answer"]


def test_the_answer_streams_as_server_sent_events(with_llm: TestClient, llm: ScriptedLLM) -> None:
    llm.replies.append(Reply(pieces=["Có 2 ", "hóa đơn tiền điện [1]."]))
    events: list[tuple[str, Any]] = []
    with with_llm.stream(
        "POST",
        "/v1/ask",
        json={"question": "Có bao nhiêu hóa đơn tiền điện?"},
        headers={"accept": "text/event-stream"},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line[5:])))
    assert [name for name, _ in events] == ["sources", "delta", "delta", "answer"]
    assert "".join(data["text"] for name, data in events if name == "delta") == (
        "Có 2 hóa đơn tiền điện [1]."
    )
    final = events[-1][1]
    assert final["language"] == "vi" and [c["ref"] for c in final["citations"]] == [1]
    assert "Vietnamese" in llm.received[0].body["messages"][0]["content"]


def test_a_busy_model_server_is_retried_after_its_retry_after(
    with_llm: TestClient, llm: ScriptedLLM
) -> None:
    llm.replies += [Reply(status=429, headers={"retry-after": "0"}), Reply(pieces=["2 [1]"])]
    answer = _ask(with_llm, "How many electricity bills?")
    assert answer["answer"] == "2 [1]" and len(llm.received) == 2


def test_a_model_server_that_keeps_failing_is_a_503(with_llm: TestClient, llm: ScriptedLLM) -> None:
    llm.replies += [Reply(status=500), Reply(status=502)]
    body = assert_problem(with_llm.post("/v1/ask", json={"question": QUESTION}), 503)
    assert body["type"] == "/problems/llm-unavailable" and "502" in body["detail"]
    assert len(llm.received) == 2  # the first try and one retry


def test_a_slow_model_server_is_a_503_within_the_timeout(
    tmp_path: Path, engines: EngineRegistry, llm: ScriptedLLM
) -> None:
    """The server would answer after 5 s; untxt gives up after its 1 s and says so."""
    llm.replies.append(Reply(delay=5.0, pieces=["late"]))
    settings = {"llm_url": llm.url, "llm_model": "m", "llm_timeout": 1.0, "llm_retries": 0}
    for client in _app(tmp_path, engines, **settings):
        started = time.monotonic()
        body = assert_problem(client.post("/v1/ask", json={"question": QUESTION}), 503)
        assert "within 1 s" in body["detail"]
        assert time.monotonic() - started < 4.0


def test_a_model_server_that_is_down_is_a_503(tmp_path: Path, engines: EngineRegistry) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    for client in _app(tmp_path, engines, llm_url=url, llm_model="m", llm_retries=0):
        body = assert_problem(client.post("/v1/ask", json={"question": QUESTION}), 503)
        assert "cannot reach" in body["detail"]


def test_with_nothing_to_go_on_the_model_is_not_asked(
    with_llm: TestClient, llm: ScriptedLLM
) -> None:
    answer = _ask(with_llm, "What is the airspeed of a swallow?")
    assert answer["answered_by"] == "none" and answer["citations"] == []
    assert llm.received == []
