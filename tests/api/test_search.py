"""``GET /v1/search`` over real OCR results: hits, highlights, boxes, isolation, deletion."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain
from tests.search.helpers import page_of, store
from untxt.api.deps import LOCAL_OWNER
from untxt.db.types import utcnow
from untxt.worker import Worker

BILL = ["ELECTRICITY BILL", "ACCOUNT 4500032242", "TOTAL DUE 428.16"]


def _completed(
    client: TestClient, worker: Worker, lines: list[str], headers: dict[str, str] | None = None
) -> str:
    response = submit(
        client, samples.png(lines, size=34), options={"engine": "tesseract"}, headers=headers
    )
    assert response.status_code == 202, response.text
    drain(worker)
    job = client.get(response.headers["location"], headers=headers).json()
    assert job["status"] == "completed", job
    return str(job["id"])


def _search(client: TestClient, headers: dict[str, str] | None = None, **params: Any) -> Any:
    response = client.get("/v1/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_recognised_page_is_found_with_its_words_marked_and_boxed(
    client: TestClient, worker: Worker
) -> None:
    """End to end through Tesseract: the hit marks the matched words and boxes them on the
    page, inside the page's own coordinates, the same boxes the JSON result holds."""
    job = _completed(client, worker, BILL)
    body = _search(client, q='electricity "total due" 428.16')
    [hit] = body["items"]
    assert body["next_cursor"] is None
    assert hit["job_id"] == job and hit["page"] == 1 and hit["filename"] == "scan.png"
    marked = [hit["snippet"][a:b].lower() for a, b in hit["highlights"]]
    assert marked == ["electricity", "total", "due", "428.16"]
    result = client.get(f"/v1/jobs/{job}/result?format=json").json()
    page = result["pages"][0]
    assert hit["page_size"] == [page["width"], page["height"]]
    boxes = [
        [w["bbox"]["x0"], w["bbox"]["y0"], w["bbox"]["x1"], w["bbox"]["y1"]]
        for block in page["blocks"]
        for line in block["lines"]
        for w in line["words"]
        if w["text"].lower() in {"electricity", "total", "due", "428.16"}
    ]
    assert hit["boxes"] == boxes and len(boxes) == 4
    assert _search(client, q="elec* 45000*")["items"][0]["job_id"] == job


def test_owners_find_only_their_own_pages_and_admins_everyones_with_all(
    client: TestClient, worker: Worker
) -> None:
    """Isolation as elsewhere: bob sees nothing of alice's, all=true is for admins."""
    admin = bearer(make_user_key(client, "admin@example.com", admin=True))
    alice = bearer(make_user_key(client, "alice@example.com"))
    bob = bearer(make_user_key(client, "bob@example.com"))
    job = _completed(client, worker, BILL, headers=alice)
    assert [h["job_id"] for h in _search(client, alice, q="electricity")["items"]] == [job]
    assert _search(client, bob, q="electricity")["items"] == []
    assert _search(client, admin, q="electricity")["items"] == []
    assert [h["job_id"] for h in _search(client, admin, q="electricity", all=True)["items"]] == [
        job
    ]
    assert_problem(client.get("/v1/search?q=electricity&all=true", headers=bob), 403)


def test_deleting_a_job_over_the_api_removes_its_hits(client: TestClient) -> None:
    """DELETE /v1/jobs/{id} takes the job's pages out of the index."""
    db = client.app.state.untxt.db  # type: ignore[attr-defined]
    job = store(db, utcnow(), page_of("marmalade invoice"), owner=LOCAL_OWNER)
    assert len(_search(client, q="marmalade")["items"]) == 1
    assert client.delete(f"/v1/jobs/{job}").status_code == 204
    assert _search(client, q="marmalade")["items"] == []


def test_the_cursor_pages_through_hits_in_rank_order(client: TestClient) -> None:
    """next_cursor continues where the last page ended; the last page has none."""
    db = client.app.state.untxt.db  # type: ignore[attr-defined]
    for count in range(1, 6):
        store(db, utcnow(), page_of(" ".join(["aeon"] * count), "filler words"), owner=LOCAL_OWNER)
    whole = [h["job_id"] for h in _search(client, q="aeon", limit=10)["items"]]
    paged: list[str] = []
    cursor = None
    for _ in range(3):
        body = _search(client, q="aeon", limit=2, **({"cursor": cursor} if cursor else {}))
        paged += [h["job_id"] for h in body["items"]]
        cursor = body["next_cursor"]
    assert cursor is None
    assert paged == whole and len(whole) == 5


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("q=%22total+due", "unbalanced quote"),
        ("q=", "no words"),
        ("q=total%3Eabc", "'abc' is not a number"),
        ("q=aeon&cursor=" + base64.urlsafe_b64encode(b"x:1").decode(), "cursor"),
        ("q=aeon&date_from=yesterday", "date"),
    ],
)
def test_a_bad_query_is_a_422_problem_that_says_what_is_wrong(
    client: TestClient, query: str, words: str
) -> None:
    """Never a 500: an unreadable query is refused in words."""
    body = assert_problem(client.get(f"/v1/search?{query}"), 422)
    assert words in body["detail"] or words in str(body.get("errors"))


def test_a_job_answered_from_the_result_cache_is_found_as_well(
    client: TestClient, worker: Worker
) -> None:
    """The repeat's job gets the index rows of the job it repeats, in its own name."""
    first = _completed(client, worker, BILL)
    response = submit(client, samples.png(BILL, size=34), options={"engine": "tesseract"})
    repeat = response.json()["id"]
    assert response.json()["status"] == "completed"
    found = {h["job_id"] for h in _search(client, q="electricity")["items"]}
    assert found == {first, repeat}
