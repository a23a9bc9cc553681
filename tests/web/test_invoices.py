"""The invoices page: a real invoice read by real OCR is listed, filtered and exported."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.extract.invoices import png_bytes
from tests.web.conftest import Server, screenshot
from tests.web.uploads import invoice
from tests.worker.helpers import wait_for


def _extracted_invoice(server: Server) -> tuple[str, dict[str, object]]:
    """Submit a rendered invoice with extraction on, wait for it; its job id and true fields."""
    sample = invoice("en-classic-usd-1")
    response = server.http.post(
        "/v1/ocr",
        files={"file": ("larkspur-invoice.png", png_bytes(sample), "image/png")},
        data={
            "options": json.dumps(
                # Tesseract reads a full page several times faster than PP-OCR on a CPU.
                {"engine": "tesseract", "extract": ["auto"], "languages": list(sample.languages)}
            )
        },
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]

    def finished() -> bool:
        status = server.http.get(f"/v1/jobs/{job_id}").json()["status"]
        assert status not in ("failed", "cancelled"), status
        return status == "completed"

    wait_for(finished, timeout=60, interval=0.25)
    return job_id, sample.fields


def test_the_invoices_table_lists_an_extracted_invoice_and_filters_narrow_it(
    local_server: Server, new_page, tmp_path: Path
) -> None:
    job_id, fields = _extracted_invoice(local_server)
    vendor = str(fields["VendorName"])
    page = new_page(local_server.url)
    page.goto("/invoices")

    row = page.locator(f'#invoices tbody tr[data-job="{job_id}"]')
    expect(row).to_contain_text(vendor)
    expect(row).to_contain_text(str(fields["InvoiceDate"]))
    expect(row).to_contain_text("1,967.76")
    expect(row).to_contain_text("USD")
    expect(row.get_by_role("link", name=f"Open {vendor}")).to_have_attribute(
        "href", f"/jobs/{job_id}"
    )
    screenshot(page, "invoices")

    # Each filter goes to the API: a matching vendor keeps the row, others drop it.
    page.get_by_label("Vendor").fill(vendor.split()[0].lower())
    page.get_by_label("Currency").fill("usd")
    page.get_by_role("button", name="Apply filters").click()
    expect(row).to_be_visible()
    page.get_by_label("Total at least").fill("2000")
    page.get_by_role("button", name="Apply filters").click()
    expect(row).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    page.get_by_label("Total at least").fill("1900")
    page.get_by_label("Dated from").fill(str(fields["InvoiceDate"]))
    page.get_by_label("Type").select_option("invoice")
    page.get_by_role("button", name="Apply filters").click()
    expect(row).to_be_visible()
    page.get_by_label("Currency").fill("EUR")
    page.get_by_role("button", name="Apply filters").click()
    expect(row).to_have_count(0)

    # A value the API refuses is answered in its own words, not with an empty table.
    page.get_by_label("Currency").fill("")
    page.get_by_label("Total at least").fill("1e16")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#list-error")).to_contain_text("total_min")

    page.get_by_role("button", name="Clear").click()
    expect(row).to_be_visible()

    # Sorting is by column, and says so to assistive technology.
    total = page.locator('th[data-key="total"]')
    total.get_by_role("button").click()
    expect(total).to_have_attribute("aria-sort", "ascending")
    total.get_by_role("button").click()
    expect(total).to_have_attribute("aria-sort", "descending")

    # The export is the API's CSV of the filtered rows.
    page.get_by_label("Vendor").fill(vendor)
    page.get_by_role("button", name="Apply filters").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    saved = tmp_path / "invoices.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("job_id,document_id,document_type,vendor,date,total,currency")
    assert any(re.match(rf"{job_id},doc_\w+,invoice,{vendor},", line) for line in lines[1:])
    assert all(vendor in line for line in lines[1:])


def test_an_answer_overtaken_by_newer_filters_is_not_shown_over_theirs(
    local_server: Server, new_page
) -> None:
    job_id, fields = _extracted_invoice(local_server)
    page = new_page(local_server.url)
    page.goto("/invoices")
    row = page.locator(f'#invoices tbody tr[data-job="{job_id}"]')
    expect(row).to_be_visible()

    # The first filtered request is held back until a newer one has been answered.
    held = []
    page.route(
        "**/v1/invoices?*",
        lambda route: held.append(route) if not held else route.continue_(),
    )
    page.get_by_label("Vendor").fill(str(fields["VendorName"]).split()[0].lower())
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_label("Total at least").fill("2000")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#empty")).to_be_visible()
    assert len(held) == 1 and "total_min" not in held[0].request.url

    with page.expect_response(lambda response: response.request == held[0].request):
        held[0].continue_()
    # The late answer holds the row; the page keeps showing the newer filters' none.
    page.wait_for_timeout(500)
    expect(row).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
