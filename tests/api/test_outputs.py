"""Searchable PDF, ALTO and HTML results through the API, from real Tesseract runs."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdfium2
import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.conftest import drain
from untxt.options import DEFAULT_FORMATS
from untxt.worker import Worker

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _result(client: TestClient, job_id: str, format: str) -> tuple[str, bytes]:
    response = client.get(f"/v1/jobs/{job_id}/result", params={"format": format})
    assert response.status_code == 200, response.text
    return response.headers["content-type"], response.content


def _pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_image_job_gives_searchable_pdf_alto_and_html(
    client: TestClient, worker: Worker, tmp_path: Path
) -> None:
    """One recognised image in three formats that agree on the words and where they are."""
    image = samples.text_image(["INVOICE 4711", "TOTAL 99 EUR"])
    job = submit(
        client, samples.encode(image, "PNG"), options={"outputs": ["pdf", "alto", "html"]}
    ).json()
    drain(worker)

    pdf_type, pdf = _result(client, job["id"], "pdf")
    alto_type, alto = _result(client, job["id"], "alto")
    html_type, html = _result(client, job["id"], "html")

    assert pdf_type == "application/pdf"
    assert alto_type.startswith("application/xml")
    assert html_type == "text/html; charset=utf-8"
    # The recognised words, in order, in each.
    assert _pdftotext(pdf, tmp_path).split() == ["INVOICE", "4711", "TOTAL", "99", "EUR"]
    strings = list(ET.fromstring(alto).iter(f"{ALTO}String"))
    assert [s.attrib["CONTENT"] for s in strings] == ["INVOICE", "4711", "TOTAL", "99", "EUR"]
    assert "INVOICE 4711<br>" in html.decode()
    # The PDF page is the image; its words sit where ALTO says they are, scaled to points.
    document = pypdfium2.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
    finally:
        document.close()
    scale = width / image.width
    assert height == pytest.approx(image.height * scale, abs=0.01)
    root = ET.fromstring(_pdftotext(pdf, tmp_path, "-bbox"))
    pdf_words = [w for w in root.iter(f"{XHTML}word")]
    for string, word in zip(strings, pdf_words, strict=True):
        assert word.text == string.attrib["CONTENT"]
        left = int(string.attrib["HPOS"]) * scale
        right = (int(string.attrib["HPOS"]) + int(string.attrib["WIDTH"])) * scale
        assert float(word.attrib["xMin"]) == pytest.approx(left, abs=0.1)
        assert float(word.attrib["xMax"]) == pytest.approx(right, abs=0.1)


def test_multipage_pdf_job_gives_one_page_per_page_at_the_original_size(
    client: TestClient, worker: Worker, tmp_path: Path
) -> None:
    """Pages assembled from separate tasks keep their order, text and physical size."""
    upload = samples.pdf([["FIRST PAGE"], ["SECOND PAGE"], ["THIRD PAGE"]], dpi=100)
    job = submit(
        client,
        upload,
        filename="three.pdf",
        options={"resolution": "small", "outputs": ["pdf", "text"]},
    ).json()
    drain(worker)

    _, pdf = _result(client, job["id"], "pdf")

    pages = [" ".join(p.split()) for p in _pdftotext(pdf, tmp_path).split("\f")[:-1]]
    assert pages == ["FIRST PAGE", "SECOND PAGE", "THIRD PAGE"]
    source, result = pypdfium2.PdfDocument(upload), pypdfium2.PdfDocument(pdf)
    try:
        sizes = [size for page in result for size in page.get_size()]
        assert sizes == pytest.approx(
            [size for page in source for size in page.get_size()], abs=0.5
        )
    finally:
        source.close()
        result.close()


def test_pdf_is_only_made_when_asked_for(client: TestClient, worker: Worker) -> None:
    """Default outputs include ALTO and HTML but not the searchable PDF."""
    job = submit(client, samples.png(["DEFAULTS"])).json()
    drain(worker)

    assert "pdf" not in DEFAULT_FORMATS
    assert_problem(
        client.get(f"/v1/jobs/{job['id']}/result", params={"format": "pdf"}), 404, "not-found"
    )
    for format in ("alto", "html"):
        assert b"DEFAULTS" in _result(client, job["id"], format)[1]
