"""The jobs page in a real browser against a real ``untxt serve`` reading with real OCR:
files dropped or picked, the live list, filters, search, cancel, retry and delete."""

from __future__ import annotations

import re

from playwright.sync_api import FilePayload, Locator, Page, expect

from tests.samples import pdf, png
from tests.web.conftest import USER, Server, login, screenshot
from tests.web.uploads import (
    PDF,
    PNG,
    NewPage,
    data_transfer,
    invoice,
    submit,
    tag,
    unique_png,
    wait_final,
)
from tests.worker.helpers import wait_for

# The engine the tests read with: the quickest to start and to read small pages.
QUICK = "tesseract"


def _row(page: Page, name: str) -> Locator:
    return page.locator("#jobs tbody tr", has_text=name)


def _mark(page: Page) -> None:
    """Mark the page's window: a reload would lose the mark."""
    page.evaluate("window.untouched = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.untouched === true"))


def test_dropped_files_appear_at_once_and_turn_completed_live_with_the_options_chosen(
    local_server: Server, new_page: NewPage
) -> None:
    name = tag()
    files = [
        (f"invoice-{name}.png", unique_png(invoice("en-coded-usd-4").image, name), PNG),
        (f"note-{name}.png", png([f"Delivery note {name}", "Two boxes of paper"]), PNG),
        (f"letter-{name}.pdf", pdf([[f"Letter {name}", "Dear reader"]]), PDF),
    ]
    page = new_page(local_server.url)
    page.goto("/")
    _mark(page)

    # The options show their defaults; Tesseract and field extraction are chosen here.
    page.locator("#options summary").click()
    expect(page.get_by_label("Languages")).to_have_value("eng")
    expect(page.get_by_label("Mode")).to_have_value("document")
    expect(page.get_by_label("Resolution")).to_have_value("base")
    expect(page.get_by_label("Priority")).to_have_value("5")
    page.get_by_label("Engine").select_option("tesseract")
    page.get_by_label("Extract fields").select_option("auto")

    transfer = data_transfer(page, files)
    page.dispatch_event("body", "dragenter", {"dataTransfer": transfer})
    expect(page.locator("body")).to_have_class(re.compile(r"\bdragging\b"))
    page.dispatch_event("body", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("body", "drop", {"dataTransfer": transfer})
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bdragging\b"))

    # All three are listed at once, before any of them is read.
    for file_name, _, _ in files:
        expect(_row(page, file_name)).to_have_count(1, timeout=5_000)
    for file_name, _, _ in files:
        row = _row(page, file_name)
        expect(row.locator(".badge")).to_have_text("completed", timeout=30_000)
        expect(row.locator("progress")).to_have_attribute("value", "1")
        expect(row.locator("td.engine")).to_have_text("tesseract")
        expect(row.locator("td.took")).not_to_be_empty()
        expect(row.get_by_role("link", name=file_name)).to_have_attribute(
            "href", re.compile(r"^/jobs/job_")
        )
    assert _not_reloaded(page)

    # What the browser sent is what the API recorded.
    invoice_id = _row(page, files[0][0]).get_attribute("data-job")
    options = local_server.http.get(f"/v1/jobs/{invoice_id}").json()["options"]
    assert options["engine"] == "tesseract"
    assert options["extract"] == ["auto"]
    assert local_server.http.get(f"/v1/jobs/{invoice_id}/fields").status_code == 200
    screenshot(page, "jobs")


def test_a_file_the_api_refuses_is_shown_refused_in_its_words(
    local_server: Server, new_page: NewPage
) -> None:
    page = new_page(local_server.url)
    page.goto("/")
    name = f"notes-{tag()}.png"
    page.get_by_label("Choose files").set_input_files(
        files=[FilePayload(name=name, mimeType=PNG, buffer=b"not an image at all")]
    )
    row = _row(page, name)
    expect(row.locator(".badge")).to_have_text("refused")
    expect(row.locator(".reason")).not_to_be_empty()
    row.get_by_role("button", name=f"Dismiss {name}").click()
    expect(row).to_have_count(0)


def test_status_filter_and_file_name_search_narrow_the_list(
    local_server: Server, new_page: NewPage
) -> None:
    name = tag()
    alpha = submit(local_server, f"alpha-{name}.png", png([f"Alpha {name}"]), PNG, engine=QUICK)
    beta = submit(local_server, f"beta-{name}.png", png([f"Beta {name}"]), PNG, engine=QUICK)
    wait_final(local_server, alpha)
    wait_final(local_server, beta)
    page = new_page(local_server.url)
    page.goto("/")
    alpha_row = page.locator(f'#jobs tbody tr[data-job="{alpha}"]')
    beta_row = page.locator(f'#jobs tbody tr[data-job="{beta}"]')

    page.get_by_label("File name").fill(name)
    expect(alpha_row).to_be_visible()
    expect(beta_row).to_be_visible()
    expect(page.locator("#jobs tbody tr")).to_have_count(2)
    expect(page.locator("#count")).to_have_text("2 jobs")

    page.get_by_label("File name").fill(f"ALPHA-{name}")
    expect(beta_row).to_have_count(0)
    expect(page.locator("#jobs tbody tr")).to_have_count(1)
    expect(alpha_row).to_be_visible()

    page.get_by_label("Status").select_option("failed")
    expect(page.locator("#jobs tbody tr")).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    page.get_by_label("Status").select_option("completed")
    expect(alpha_row).to_be_visible()

    page.get_by_label("File name").fill("")
    expect(beta_row).to_be_visible()


def _hold_the_worker(server: Server) -> str:
    """Keep the server's one worker busy on a long job at the top priority; its id, once
    it runs."""
    pages = [[f"Filler {tag()} page {n}", "Nothing to see"] for n in range(1, 41)]
    job_id = submit(server, f"filler-{tag()}.pdf", pdf(pages), PDF, engine=QUICK, priority=10)
    wait_for(
        lambda: server.http.get(f"/v1/jobs/{job_id}").json()["status"] == "processing",
        timeout=30,
        interval=0.1,
    )
    return job_id


def test_cancel_retry_and_delete_from_the_list(local_server: Server, new_page: NewPage) -> None:
    name = f"report-{tag()}.pdf"
    pages = [[f"Report {name} page {n}", "Quarterly figures"] for n in range(1, 4)]
    # Behind a long job on the one worker, the report is surely still queued when its
    # Cancel is pressed: a three-page report alone could end first.
    filler = _hold_the_worker(local_server)
    page = new_page(local_server.url)
    page.goto("/")
    # Quick pages: Tesseract at 200 DPI.
    page.locator("#options summary").click()
    page.get_by_label("Engine").select_option("tesseract")
    page.get_by_label("Resolution").select_option("small")
    page.get_by_label("Priority").fill("0")
    page.get_by_label("Choose files").set_input_files(
        files=[FilePayload(name=name, mimeType=PDF, buffer=pdf(pages))]
    )
    first = _row(page, name).first
    expect(first).to_be_visible()
    first.get_by_role("button", name=f"Cancel {name}").click()
    expect(first.locator(".badge")).to_have_text("cancelled")
    expect(first.get_by_role("button", name=f"Cancel {name}")).to_be_hidden()
    cancelled = first.get_attribute("data-job")
    assert local_server.http.get(f"/v1/jobs/{filler}").json()["status"] == "processing"
    response = local_server.http.post(f"/v1/jobs/{filler}/cancel")
    assert response.status_code == 200, response.text

    first.get_by_role("button", name=f"Retry {name}").click()
    again = page.locator("#jobs tbody tr", has_text=name).and_(
        page.locator(f'tr:not([data-job="{cancelled}"])')
    )
    expect(again).to_have_count(1)
    expect(again.locator(".badge")).to_have_text("completed", timeout=30_000)
    retried = again.get_attribute("data-job")
    job = local_server.http.get(f"/v1/jobs/{retried}").json()
    assert (
        job["document_id"] == local_server.http.get(f"/v1/jobs/{cancelled}").json()["document_id"]
    )
    expect(again.locator(".pages")).to_have_text("3/3")

    page.once("dialog", lambda dialog: dialog.accept())
    again.get_by_role("button", name=f"Delete {name}").click()
    expect(page.locator(f'#jobs tbody tr[data-job="{retried}"]')).to_have_count(0)
    assert local_server.http.get(f"/v1/jobs/{retried}").status_code == 404

    # Declining the question keeps the job.
    page.once("dialog", lambda dialog: dialog.dismiss())
    first.get_by_role("button", name=f"Delete {name}").click()
    expect(first).to_be_visible()
    assert local_server.http.get(f"/v1/jobs/{cancelled}").status_code == 200


def test_the_list_is_readable_at_400_pixels(local_server: Server, new_page: NewPage) -> None:
    page = new_page(local_server.url, width=400, height=800)
    page.goto("/")
    expect(page.get_by_role("columnheader", name="Engine")).to_be_hidden()
    expect(page.get_by_role("columnheader", name="Status")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width


def test_queued_jobs_show_their_place_in_the_queue_and_cancel_at_once(
    accounts_server: Server, new_page: NewPage
) -> None:
    # The accounts server runs no workers: what is submitted there waits, for certain.
    name = tag()
    client = accounts_server.client_for(*USER)
    try:
        ids = []
        for n in (1, 2):
            response = client.post(
                "/v1/ocr",
                files={"file": (f"waiting-{n}-{name}.png", png([f"Wait {n} {name}"]), PNG)},
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        places = [client.get(f"/v1/jobs/{job_id}").json()["queue_position"] for job_id in ids]
        assert places[1] == places[0] + 1

        page = new_page(accounts_server.url)
        login(page, *USER)
        page.get_by_label("File name").fill(name)
        rows = [page.locator(f'#jobs tbody tr[data-job="{job_id}"]') for job_id in ids]
        for row, place in zip(rows, places, strict=True):
            expect(row.locator(".badge")).to_have_text("queued")
            expect(row.locator(".place")).to_have_text(
                "next in line" if place == 0 else f"{place:,} ahead"
            )

        rows[1].get_by_role("button", name=f"Cancel waiting-2-{name}.png").click()
        expect(rows[1].locator(".badge")).to_have_text("cancelled")
        expect(rows[1].locator(".place")).to_be_empty()
        assert client.get(f"/v1/jobs/{ids[1]}").json()["status"] == "cancelled"
        # Queued jobs are not deleted: cancelled first, then gone.
        expect(rows[0].get_by_role("button", name=f"Delete waiting-1-{name}.png")).to_be_hidden()
        rows[0].get_by_role("button", name=f"Cancel waiting-1-{name}.png").click()
        expect(rows[0].locator(".badge")).to_have_text("cancelled")
    finally:
        client.close()
