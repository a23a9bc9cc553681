"""Templates over the API: kept per owner, refused with the line of the error, applied to jobs."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain
from untxt.worker import Worker

TEMPLATE = """\
issuer: Brightwater Plumbing
keywords:
  - Brightwater
fields:
  invoice_number: Invoice\\s+No\\s*:?\\s*(BW-\\d+)
  amount: Total\\s+Due\\s*:?\\s*\\$?(\\d+\\.\\d{2})
  date: Date\\s*:?\\s*(\\d{2}/\\d{2}/\\d{4})
options:
  currency: USD
  date_formats:
    - '%d/%m/%Y'
"""
YAML = {"Content-Type": "application/yaml"}


def _create(client: TestClient, text: str = TEMPLATE, **headers: str) -> dict[str, object]:
    response = client.post("/v1/templates", content=text, headers={**YAML, **headers})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_template_is_kept_and_described(client: TestClient) -> None:
    created = _create(client)
    assert created["name"] == "Brightwater Plumbing"
    assert created["issuer"] == "Brightwater Plumbing"
    assert created["keywords"] == ["Brightwater"]
    one = client.get(f"/v1/templates/{created['id']}").json()
    assert one["source"] == TEMPLATE
    assert [t["id"] for t in client.get("/v1/templates").json()["items"]] == [created["id"]]


def test_json_templates_are_taken_too(client: TestClient) -> None:
    spec = {"issuer": "Acme", "keywords": ["ACME"], "fields": {"amount": r"Total\s+(\d+\.\d\d)"}}
    response = client.post(
        "/v1/templates?name=acme-json",
        content=json.dumps(spec, indent=2),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "acme-json"


def test_a_template_that_does_not_parse_is_refused_with_its_line(client: TestClient) -> None:
    broken = "issuer: X\nkeywords:\n  - X\nfields:\n  amount: [unclosed\n"
    body = assert_problem(
        client.post("/v1/templates", content=broken, headers=YAML), 422, "invalid-template"
    )
    assert body["line"] >= 5
    bad_regex = "issuer: X\nkeywords: [X]\nfields:\n  date: Date (\\d+\n"
    body = assert_problem(
        client.post("/v1/templates", content=bad_regex, headers=YAML), 422, "invalid-template"
    )
    assert body["line"] == 4
    assert_problem(
        client.post("/v1/templates", content="issuer: X\n", headers=YAML), 422, "invalid-template"
    )
    assert client.get("/v1/templates").json()["items"] == []


def test_names_are_unique_per_owner_and_replacing_keeps_the_id(client: TestClient) -> None:
    created = _create(client)
    assert_problem(client.post("/v1/templates", content=TEMPLATE, headers=YAML), 409, "conflict")
    changed = TEMPLATE.replace("currency: USD", "currency: EUR")
    replaced = client.put(f"/v1/templates/{created['id']}", content=changed, headers=YAML)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == created["id"]
    assert replaced.json()["source"] == changed
    assert client.delete(f"/v1/templates/{created['id']}").status_code == 204
    assert_problem(client.get(f"/v1/templates/{created['id']}"), 404, "not-found")


def test_templates_belong_to_their_owner(client: TestClient) -> None:
    alice = bearer(make_user_key(client, "alice@example.com"))
    bob = bearer(make_user_key(client, "bob@example.com"))
    created = _create(client, **alice)
    assert client.get("/v1/templates", headers=bob).json()["items"] == []
    for response in (
        client.get(f"/v1/templates/{created['id']}", headers=bob),
        client.put(f"/v1/templates/{created['id']}", content=TEMPLATE, headers={**YAML, **bob}),
        client.delete(f"/v1/templates/{created['id']}", headers=bob),
    ):
        assert_problem(response, 404, "not-found")
    # Bob may use the same name for a template of his own.
    _create(client, **bob)


def test_a_matching_template_takes_precedence_over_the_rules(
    client: TestClient, worker: Worker
) -> None:
    created = _create(client)
    invoice = samples.png(
        [
            "Brightwater Plumbing",
            "INVOICE",
            "Invoice No: BW-2291",
            "Date: 21/06/2024",
            "Labour 120.00",
            "Total Due: $135.50",
        ],
        size=34,
    )
    response = submit(client, invoice, options={"engine": "tesseract", "extract": ["auto"]})
    drain(worker)
    job = response.json()["id"]
    fields = client.get(f"/v1/jobs/{job}/fields").json()
    assert fields["document_type"] == "invoice"
    source = f"template:{created['name']}"
    assert fields["fields"]["InvoiceId"]["value"] == "BW-2291"
    assert fields["fields"]["InvoiceId"]["source"] == source
    assert fields["fields"]["InvoiceTotal"]["value"] == 135.5
    assert fields["fields"]["InvoiceTotal"]["words"]
    assert fields["fields"]["InvoiceDate"]["value"] == "2024-06-21"
    assert fields["fields"]["Currency"]["value"] == "USD"

    # A changed template reads the file again rather than reuse the result.
    client.put(
        f"/v1/templates/{created['id']}",
        content=TEMPLATE.replace("currency: USD", "currency: EUR"),
        headers=YAML,
    )
    again = submit(client, invoice, options={"engine": "tesseract", "extract": ["auto"]}).json()
    assert again["status"] == "queued"
    drain(worker)
    refreshed = client.get(f"/v1/jobs/{again['id']}/fields").json()
    assert refreshed["fields"]["Currency"]["value"] == "EUR"
