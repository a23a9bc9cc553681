"""The result viewer in a real browser: a rendered invoice read by real OCR, its word
boxes over the page image, lines and boxes lighting each other, the text views,
downloads, and its fields corrected in place."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.samples import pdf
from tests.web.conftest import Server, screenshot
from tests.web.uploads import (
    PDF,
    PNG,
    NewPage,
    invoice,
    page_words,
    submit,
    tag,
    unique_png,
    wait_final,
)
from untxt.formats.markdown import escape_markdown

ALL_FORMATS = ["json", "text", "markdown", "hocr", "alto", "html", "pdf"]


@dataclass
class Read:
    """A completed job of the session's server and its json result."""

    job_id: str
    filename: str
    document: dict[str, Any]


@pytest.fixture(scope="module")
def invoice_job(local_server: Server) -> Iterator[Read]:
    """A rendered invoice read by Tesseract with fields extracted and every format stored."""
    sample = invoice("en-coded-usd-4")
    name = f"bramblewood-{tag()}.png"
    job_id = submit(
        local_server,
        name,
        unique_png(sample.image, name),
        PNG,
        engine="tesseract",
        extract=["auto"],
        outputs=ALL_FORMATS,
    )
    wait_final(local_server, job_id)
    document = local_server.http.get(f"/v1/jobs/{job_id}/result?format=json").json()
    yield Read(job_id, name, document)


def _open(page: Page, read: Read) -> None:
    page.goto(f"/jobs/{read.job_id}")
    expect(page.locator("#result")).to_be_visible()


def test_the_viewer_draws_one_box_per_word_and_lines_and_boxes_light_each_other(
    local_server: Server, new_page: NewPage, invoice_job: Read
) -> None:
    lines = page_words(invoice_job.document)
    words = sum(len(line) for line in lines)
    page = new_page(local_server.url)
    _open(page, invoice_job)
    expect(page.locator("h1")).to_have_text(invoice_job.filename)
    boxes = page.locator("#overlay rect.word-box")
    expect(boxes).to_have_count(words)
    expect(page.locator("#lines li[data-line]")).to_have_count(len(lines))
    # The page image is the one the boxes were measured on, served by the API.
    expect(page.locator("#page-image")).to_have_attribute(
        "src", re.compile(rf"/v1/jobs/{invoice_job.job_id}/pages/1/image")
    )
    page.wait_for_function("() => document.getElementById('page-image').naturalWidth > 0")

    # A line picked in the text lights exactly its words' boxes.
    at = next(i for i, line in enumerate(lines) if len(line) >= 3)
    page.locator(f'#lines li[data-line="{at}"]').click()
    expect(page.locator("#overlay rect.word-box.lit")).to_have_count(len(lines[at]))
    expect(page.locator("#lines li.lit")).to_have_text(" ".join(lines[at]))

    # A box picked on the image lights its line in the text.
    other = next(i for i, line in enumerate(lines) if i != at and len(line) >= 2)
    first_word = sum(len(line) for line in lines[:other])
    page.locator(f'#overlay rect[data-word="{first_word}"]').click()
    expect(page.locator("#lines li.lit")).to_have_text(" ".join(lines[other]))
    expect(page.locator("#overlay rect.word-box.lit")).to_have_count(len(lines[other]))

    # Hovering a word tells its text and confidence.
    word = invoice_job.document["pages"][0]["blocks"][0]["lines"][0]["words"][0]
    page.locator('#overlay rect[data-word="0"]').hover()
    expect(page.locator("#tooltip")).to_have_text(
        f"{word['text']} · {round(word['confidence'] * 100)}%"
    )

    # The threshold decides which words stand out, on the image and in the text.
    confidences = [
        w["confidence"]
        for block in invoice_job.document["pages"][0]["blocks"]
        for line in block["lines"]
        for w in line["words"]
    ]
    slider = page.get_by_label("Mark words below")
    slider.fill("95")
    below = sum(1 for c in confidences if c < 0.95)
    expect(page.locator("#overlay rect.word-box.low")).to_have_count(below)
    expect(page.locator("#lines .low-word")).to_have_count(below)
    slider.fill("0")
    expect(page.locator("#overlay rect.word-box.low")).to_have_count(0)
    slider.fill("70")

    # How it was read.
    facts = page.locator("#facts")
    expect(facts).to_contain_text("tesseract")
    expect(facts).to_contain_text("Preprocessing of page 1")
    expect(facts).to_contain_text("Time taken")
    page.locator(f'#lines li[data-line="{at}"]').click()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "viewer")


def test_the_text_views_and_downloads_of_every_stored_format(
    local_server: Server, new_page: NewPage, invoice_job: Read
) -> None:
    page = new_page(local_server.url)
    _open(page, invoice_job)
    tabs = page.get_by_role("tablist", name="Views of the result")
    tabs.get_by_role("tab", name="Markdown").click()
    markdown = page.get_by_role("tabpanel", name="Markdown")
    expect(markdown).to_be_visible()
    expect(markdown.locator("p.page-mark")).to_have_text("Page 1")
    expect(markdown.locator("table, h3").first).to_be_visible()
    expect(page.get_by_role("tabpanel", name="Text")).to_be_hidden()
    # Arrow keys move between the tabs, as ARIA's tabs pattern has it.
    tabs.get_by_role("tab", name="Markdown").press("ArrowRight")
    expect(tabs.get_by_role("tab", name="JSON")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#json")).to_contain_text('"schema": "untxt.document/1"')

    links = page.locator("#downloads a")
    expect(links).to_have_count(len(ALL_FORMATS))
    with page.expect_download() as download:
        page.get_by_role("link", name="Searchable PDF").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".pdf")
    assert path.read_bytes().startswith(b"%PDF")
    with page.expect_download() as download:
        page.get_by_role("link", name="Text").click()
    expected = local_server.http.get(f"/v1/jobs/{invoice_job.job_id}/result?format=text").text
    assert download.value.path().read_text() == expected


def test_fields_light_their_words_and_a_corrected_value_reaches_the_api(
    local_server: Server, new_page: NewPage, invoice_job: Read
) -> None:
    fields = local_server.http.get(f"/v1/jobs/{invoice_job.job_id}/fields").json()
    page = new_page(local_server.url)
    _open(page, invoice_job)
    pane = page.locator("#fields-pane")
    expect(pane).to_be_visible()
    expect(pane).to_contain_text("Invoice")
    vendor = fields["fields"]["VendorName"]
    expect(page.get_by_label("Vendor name", exact=True)).to_have_value(vendor["value"])
    expect(page.locator("#items-body tr")).to_have_count(len(fields["items"]))

    # Hovering a field outlines the words it was read from.
    page.locator('#fields-body tr[data-field="VendorName"]').hover()
    expect(page.locator("#overlay rect.field-box")).to_have_count(len(vendor["words"]))
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "fields")
    page.locator("#tabs").hover()
    expect(page.locator("#overlay rect.field-box")).to_have_count(0)
    page.get_by_label("Invoice total", exact=True).focus()
    total_words = fields["fields"]["InvoiceTotal"]["words"]
    expect(page.locator("#overlay rect.field-box")).to_have_count(len(total_words))

    # A correction is saved through the API and wins there from then on.
    invoice_id = page.get_by_label("Invoice id", exact=True)
    invoice_id.fill("INV-2025-0042")
    invoice_id.press("Enter")
    expect(page.locator("#toast")).to_have_text("Saved Invoice id")
    expect(page.locator('#fields-body tr[data-field="InvoiceId"]')).to_have_class(
        re.compile(r"\bcorrected\b")
    )
    corrected = local_server.http.get(f"/v1/jobs/{invoice_job.job_id}/fields").json()
    assert corrected["fields"]["InvoiceId"]["value"] == "INV-2025-0042"
    assert corrected["fields"]["InvoiceId"]["source"] == "manual"

    # A value of the wrong kind is refused with a reason, and nothing changes: a number
    # is checked in the page, a currency by the API, in its words.
    total = page.get_by_label("Invoice total", exact=True)
    total.fill("a lot")
    total.press("Enter")
    expect(page.locator("#toast")).to_have_text(
        "Invoice total was not saved: a number is needed, such as 1234.50"
    )
    expect(total).to_have_attribute("aria-invalid", "true")
    currency = page.get_by_label("Currency", exact=True)
    currency.fill("dollars")
    currency.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Currency was not saved: Currency: 'dollars'")
    expect(currency).to_have_attribute("aria-invalid", "true")
    again = local_server.http.get(f"/v1/jobs/{invoice_job.job_id}/fields").json()
    assert again["fields"]["InvoiceTotal"] == corrected["fields"]["InvoiceTotal"]
    assert again["fields"]["Currency"] == corrected["fields"]["Currency"]

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert "INV-2025-0042" in download.value.path().read_text()


def test_a_document_of_several_pages_is_followed_live_then_paged(
    local_server: Server, new_page: NewPage
) -> None:
    name = f"minutes-{tag()}.pdf"
    pages = [[f"Minutes {name}", "First page"], ["Second page", "Actions agreed", "Next meeting"]]
    job_id = submit(local_server, name, pdf(pages), PDF, engine="tesseract", resolution="small")
    page = new_page(local_server.url)
    page.goto(f"/jobs/{job_id}")
    # Opened before it is read, the page shows the job's state, then its result.
    expect(page.locator("#result")).to_be_visible(timeout=30_000)
    expect(page.locator("#status")).to_have_text("completed")
    document = local_server.http.get(f"/v1/jobs/{job_id}/result?format=json").json()
    expect(page.locator("#page-count")).to_have_text("of 2")
    expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    expect(page.locator("#overlay rect.word-box")).to_have_count(
        sum(len(line) for line in page_words(document, 0))
    )
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_label("Page", exact=True)).to_have_value("2")
    expect(page.locator("#overlay rect.word-box")).to_have_count(
        sum(len(line) for line in page_words(document, 1))
    )
    expect(page.locator("#lines")).to_contain_text("Actions agreed")
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    wait_final(local_server, job_id)


def test_markdown_is_rendered_as_text_never_as_markup(
    local_server: Server, new_page: NewPage, invoice_job: Read
) -> None:
    source = local_server.http.get(f"/v1/jobs/{invoice_job.job_id}/result?format=markdown").text
    hostile = "<img src=x onerror=\"document.title='owned'\"> # not a heading | not a cell *"
    source += f"\n\n{escape_markdown(hostile)}\n"
    page = new_page(local_server.url)
    page.goto(f"/jobs/{invoice_job.job_id}")
    rendered = page.evaluate(
        """async (source) => {
          const { renderMarkdown } = await import("/static/markdown.js");
          const box = document.createElement("div");
          box.append(renderMarkdown(source));
          return {
            tables: box.querySelectorAll("table").length,
            headings: [...box.querySelectorAll("h3, h4")].map((h) => h.textContent),
            images: box.querySelectorAll("img").length,
            last: box.lastElementChild.textContent,
          };
        }""",
        source,
    )
    assert rendered["tables"] == len(re.findall(r"^\|(?: *-+ *\|)+$", source, re.MULTILINE))
    assert rendered["headings"] == [
        line.lstrip("#").strip() for line in source.splitlines() if re.match(r"#{1,2} ", line)
    ]
    assert rendered["images"] == 0
    assert rendered["last"] == hostile
    assert page.title() != "owned"


def test_the_viewer_is_readable_at_400_pixels_and_works_from_the_keyboard(
    local_server: Server, new_page: NewPage, invoice_job: Read
) -> None:
    lines = page_words(invoice_job.document)
    page = new_page(local_server.url, width=400, height=800)
    _open(page, invoice_job)
    expect(page.locator("#overlay rect.word-box")).to_have_count(sum(map(len, lines)))
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    # A line is picked with the keyboard as with the mouse.
    line = page.locator('#lines li[data-line="1"]')
    line.focus()
    line.press("Enter")
    expect(page.locator("#overlay rect.word-box.lit")).to_have_count(len(lines[1]))
    page.get_by_label("Mark words below").focus()
    page.keyboard.press("End")
    expect(page.locator("#threshold-value")).to_have_text("100")
