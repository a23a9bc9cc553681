"""Fields over the API: extract on submit, serve as JSON/CSV/XML, correct, list invoices."""

from __future__ import annotations

import csv
import io
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain
from untxt.extract.export import CSV_COLUMNS, XML_NAMESPACE
from untxt.worker import Worker

RECEIPT = [
    "GREENLEAF GROCERS LTD",
    "8 HARBOUR ROAD, PORTSMOUTH",
    "TEL: 023 9281 7741",
    "RECEIPT",
    "Date: 14/03/2019 Time: 12:41",
    "Receipt No: 58812",
    "2 x 1.50 APPLES 3.00",
    "1 x 4.20 BREAD 4.20",
    "Subtotal 7.20",
    "VAT 1.44",
    "TOTAL 8.64",
    "CASH 10.00",
    "CHANGE 1.36",
    "THANK YOU",
]
OPTIONS = {"engine": "tesseract", "extract": ["auto"]}


def _receipt(lines: list[str] = RECEIPT) -> bytes:
    return samples.png(lines, size=34)


def _completed(
    client: TestClient,
    worker: Worker,
    data: bytes,
    headers: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
) -> str:
    response = submit(client, data, options=options or OPTIONS, headers=headers)
    assert response.status_code == 202, response.text
    drain(worker)
    job = client.get(response.headers["location"], headers=headers).json()
    assert job["status"] == "completed", job
    return str(job["id"])


def test_a_receipt_submitted_with_extract_auto_has_its_fields(
    client: TestClient, worker: Worker
) -> None:
    job = _completed(client, worker, _receipt())
    response = client.get(f"/v1/jobs/{job}/fields")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"] == "untxt.fields/1"
    assert body["document_type"] == "receipt"
    fields = body["fields"]
    assert fields["MerchantName"]["value"] == "GREENLEAF GROCERS LTD"
    assert fields["TransactionDate"]["value"] == "2019-03-14"
    assert fields["Total"]["value"] == 8.64
    assert fields["Total"]["content"] == "8.64"
    assert fields["Total"]["page"] == 1
    assert (
        fields["Total"]["words"] and fields["Total"]["bbox"]["x1"] > fields["Total"]["bbox"]["x0"]
    )
    assert 0 < fields["Total"]["confidence"] <= 1
    assert fields["Total"]["source"] == "rule:total-label"
    assert [item["TotalPrice"]["value"] for item in body["items"]] == [3.0, 4.2]


def test_the_json_result_holds_the_fields_and_word_ids_point_into_it(
    client: TestClient, worker: Worker
) -> None:
    job = _completed(client, worker, _receipt())
    result = client.get(f"/v1/jobs/{job}/result?format=json").json()
    assert result["fields"]["document_type"] == "receipt"
    words = [w for b in result["pages"][0]["blocks"] for ln in b["lines"] for w in ln["words"]]
    total = result["fields"]["fields"]["Total"]
    index = int(total["words"][0].split("w")[1])
    assert words[index]["text"].endswith(total["content"])


def test_fields_as_csv_have_a_row_per_field(client: TestClient, worker: Worker) -> None:
    job = _completed(client, worker, _receipt())
    response = client.get(f"/v1/jobs/{job}/fields?format=csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["field"] == "document_type" and rows[0]["value"] == "receipt"
    by_name = {row["field"]: row for row in rows}
    assert by_name["Total"]["value"] == "8.64"
    assert by_name["Total"]["page"] == "1"
    assert by_name["Items/1/TotalPrice"]["content"] == "4.20"


def test_fields_as_xml(client: TestClient, worker: Worker) -> None:
    job = _completed(client, worker, _receipt())
    response = client.get(f"/v1/jobs/{job}/fields?format=xml")
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    ns = {"f": XML_NAMESPACE}
    assert root.get("document_type") == "receipt"
    total = root.find("f:field[@name='Total']", ns)
    assert total is not None
    assert total.findtext("f:value", namespaces=ns) == "8.64"
    assert total.get("page") == "1" and len(total.get("bbox", "").split()) == 4
    assert len(root.findall("f:items/f:item", ns)) == 2


def test_an_unknown_document_type_is_refused_at_submit(client: TestClient) -> None:
    response = submit(client, _receipt(), options={"extract": ["passport"]})
    body = assert_problem(response, 422, "invalid-options")
    assert "passport" in body["detail"]
    assert "receipt" in body["detail"]  # the choices are named


def test_fields_of_a_job_without_extract_or_not_done_yet(
    client: TestClient, worker: Worker
) -> None:
    plain = _completed(client, worker, samples.png(["PLAIN TEXT"]), options={"engine": "tesseract"})
    assert_problem(client.get(f"/v1/jobs/{plain}/fields"), 404, "not-found")
    queued = submit(client, samples.png(["LATER 1"]), options=OPTIONS).json()["id"]
    assert_problem(client.get(f"/v1/jobs/{queued}/fields"), 409, "conflict")
    assert_problem(client.get("/v1/jobs/job_missing/fields"), 404, "not-found")


def test_a_correction_wins_everywhere_and_keeps_the_extracted_value(
    client: TestClient, worker: Worker
) -> None:
    job = _completed(client, worker, _receipt())
    response = client.patch(
        f"/v1/jobs/{job}/fields",
        json={"fields": {"Total": 9.5, "Items/0/Description": "GREEN APPLES"}},
    )
    assert response.status_code == 200, response.text
    total = response.json()["fields"]["Total"]
    assert total["value"] == 9.5
    assert total["source"] == "manual"
    assert total["correction"]["by"] == "local"
    assert total["correction"]["extracted_value"] == 8.64
    assert total["content"] == "8.64"  # what is printed stays what is printed
    fields = client.get(f"/v1/jobs/{job}/fields").json()
    assert fields["fields"]["Total"]["value"] == 9.5
    assert fields["items"][0]["Description"]["value"] == "GREEN APPLES"
    result = client.get(f"/v1/jobs/{job}/result").json()
    assert result["fields"]["fields"]["Total"]["value"] == 9.5
    listed = client.get("/v1/invoices").json()["items"]
    assert [(i["job_id"], i["total"]) for i in listed] == [(job, 9.5)]
    row = next(
        r
        for r in csv.DictReader(io.StringIO(client.get(f"/v1/jobs/{job}/fields?format=csv").text))
        if r["field"] == "Total"
    )
    assert (row["value"], row["extracted_value"], row["corrected_by"]) == ("9.5", "8.64", "local")
    audit = client.get("/v1/audit").json()["items"]
    assert any(e["action"] == "fields.correct" and e["target"] == job for e in audit)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"fields": {"TransactionDate": "next tuesday"}}, "TransactionDate"),
        ({"fields": {"Total": "lots"}}, "Total"),
        ({"fields": {"Currency": "XXQ"}}, "Currency"),
        ({"fields": {"Shoesize": "42"}}, "not a field of a receipt"),
        ({"fields": {"Items/9/Description": "x"}}, "2 items"),
        ({"fields": {}}, "nothing to correct"),
    ],
)
def test_a_bad_correction_is_refused_and_records_nothing(
    client: TestClient, worker: Worker, changes: dict[str, Any], words: str
) -> None:
    job = _completed(client, worker, _receipt())
    before = client.get(f"/v1/jobs/{job}/fields").json()
    body = assert_problem(
        client.patch(f"/v1/jobs/{job}/fields", json=changes), 422, "invalid-correction"
    )
    assert words in body["detail"]
    assert client.get(f"/v1/jobs/{job}/fields").json() == before


def test_correcting_the_document_type_then_its_fields(client: TestClient, worker: Worker) -> None:
    job = _completed(client, worker, _receipt())
    response = client.patch(
        f"/v1/jobs/{job}/fields",
        json={"document_type": "invoice", "fields": {"InvoiceId": "INV-1", "InvoiceTotal": 8.64}},
    )
    assert response.status_code == 200, response.text
    listed = client.get("/v1/invoices?type=invoice").json()["items"]
    assert [(i["document_type"], i["total"]) for i in listed] == [("invoice", 8.64)]


def test_invoices_are_filtered_by_vendor_date_total_and_currency(
    client: TestClient, worker: Worker
) -> None:
    first = _completed(client, worker, _receipt())
    other = [
        "CAFÉ NOIR SARL",
        "12 RUE DES LILAS, LYON",
        "RECEIPT",
        "Date: 02/01/2018",
        "TOTAL EUR 45.00",
        "CASH 50.00",
        "THANK YOU",
    ]
    second = _completed(client, worker, _receipt(other))

    def ids(query: str) -> list[str]:
        response = client.get(f"/v1/invoices?{query}")
        assert response.status_code == 200, response.text
        return [item["job_id"] for item in response.json()["items"]]

    assert ids("") == [second, first]
    assert ids("vendor=greenleaf") == [first]
    assert ids("vendor=cafe%20noir") == [second]  # accents and case do not matter
    assert ids("date_from=2019-01-01") == [first]
    assert ids("date_to=2018-12-31") == [second]
    assert ids("total_min=10") == [second]
    assert ids("total_max=10") == [first]
    assert ids("currency=eur") == [second]
    assert ids("type=invoice") == []
    page = client.get("/v1/invoices?limit=1").json()
    assert page["next_cursor"] == second
    assert ids(f"limit=1&cursor={page['next_cursor']}") == [first]
    exported = client.get("/v1/invoices?format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["job_id"], r["total"], r["currency"]) for r in rows] == [
        (second, "45.00", "EUR"),
        (first, "8.64", ""),
    ]
    assert_problem(client.get("/v1/invoices?date_from=yesterday"), 422)


def test_owners_see_only_their_own_fields_and_invoices(client: TestClient, worker: Worker) -> None:
    alice = bearer(make_user_key(client, "alice@example.com"))
    bob = bearer(make_user_key(client, "bob@example.com"))
    job = _completed(client, worker, _receipt(), headers=alice)
    assert client.get(f"/v1/jobs/{job}/fields", headers=alice).status_code == 200
    assert_problem(client.get(f"/v1/jobs/{job}/fields", headers=bob), 404, "not-found")
    assert_problem(
        client.patch(f"/v1/jobs/{job}/fields", json={"fields": {"Total": 1}}, headers=bob),
        404,
        "not-found",
    )
    assert [i["job_id"] for i in client.get("/v1/invoices", headers=alice).json()["items"]] == [job]
    assert client.get("/v1/invoices", headers=bob).json()["items"] == []
    assert_problem(client.get("/v1/invoices?all=true", headers=bob), 403)
    assert (
        client.get(f"/v1/jobs/{job}/fields", headers=alice).json()["fields"]["Total"]["value"]
        == 8.64
    )


def test_a_repeated_submit_answered_from_the_cache_has_the_fields_too(
    client: TestClient, worker: Worker
) -> None:
    first = _completed(client, worker, _receipt())
    client.patch(f"/v1/jobs/{first}/fields", json={"fields": {"Total": 1.0}})
    again = submit(client, _receipt(), options=OPTIONS).json()
    assert again["status"] == "completed" and again["from_cache"]
    fields = client.get(f"/v1/jobs/{again['id']}/fields").json()
    # The fields as extracted: a correction belongs to the job it was made on.
    assert fields["fields"]["Total"]["value"] == 8.64
    assert {i["job_id"] for i in client.get("/v1/invoices").json()["items"]} == {first, again["id"]}


def test_deleting_a_job_removes_its_fields_from_the_invoices(
    client: TestClient, worker: Worker
) -> None:
    job = _completed(client, worker, _receipt())
    client.patch(f"/v1/jobs/{job}/fields", json={"fields": {"Total": 2}})
    assert client.delete(f"/v1/jobs/{job}").status_code == 204
    assert client.get("/v1/invoices").json()["items"] == []


def test_the_completed_event_names_the_type_and_fields(client: TestClient, worker: Worker) -> None:
    job = _completed(client, worker, _receipt())
    with client.stream("GET", f"/v1/jobs/{job}/events") as stream:
        text = "".join(stream.iter_text())
    completed = [line for line in text.splitlines() if '"job.completed"' in line]
    assert completed, text
    assert '"document_type":"receipt"' in completed[0].replace(" ", "")
    assert '"Total"' in completed[0] and '"value"' not in completed[0]
