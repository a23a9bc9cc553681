"""Files for the browser tests of the jobs page and the viewer, and ways to hand them over.

Each file's bytes are unique to the test that makes it: the API keeps one document per
owner and content, named by its first upload, so bytes shared between tests would share
a name (and answer from the result cache).
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo
from playwright.sync_api import JSHandle, Page

from tests.extract.invoices import InvoiceSample, invoice_samples
from tests.web.conftest import Server
from tests.worker.helpers import wait_for

#: The ``new_page`` fixture: opens a page of a server at its base URL.
NewPage = Callable[..., Page]
PNG = "image/png"
PDF = "application/pdf"
FINAL = ("completed", "failed", "cancelled")


def tag() -> str:
    """A short name no other test uses."""
    return uuid.uuid4().hex[:8]


def invoice(name: str) -> InvoiceSample:
    (sample,) = invoice_samples([name])
    return sample


def unique_png(image: Image.Image, label: str) -> bytes:
    """``image`` as PNG, its pixels untouched, made unique by a text chunk naming ``label``."""
    info = PngInfo()
    info.add_text("Comment", label)
    dpi = 150 if image.width < 1400 else 200
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, dpi=(dpi, dpi))
    return buffer.getvalue()


def data_transfer(page: Page, files: list[tuple[str, bytes, str]]) -> JSHandle:
    """A DataTransfer made in the page holding ``files`` (name, bytes, media type), as a
    drag from the desktop would bring them."""
    encoded = [
        {"name": name, "type": media, "data": base64.b64encode(data).decode()}
        for name, data, media in files
    ]
    return page.evaluate_handle(
        """(files) => {
          const transfer = new DataTransfer();
          for (const file of files) {
            const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], file.name, { type: file.type }));
          }
          return transfer;
        }""",
        encoded,
    )


def submit(server: Server, name: str, data: bytes, media: str, **options: Any) -> str:
    """Submit a file over the API; the job's id."""
    response = server.http.post(
        "/v1/ocr",
        files={"file": (name, data, media)},
        data={"options": json.dumps(options)},
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def wait_final(server: Server, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """The job once it has ended; fails the test if it failed."""
    found: dict[str, Any] = {}

    def ended() -> bool:
        found.update(server.http.get(f"/v1/jobs/{job_id}").json())
        return found["status"] in FINAL

    wait_for(ended, timeout=timeout, interval=0.2)
    assert found["status"] == "completed", found
    return found


def page_words(document: dict[str, Any], page: int = 0) -> list[list[str]]:
    """The words of one page of a ``json`` result, line by line."""
    return [
        [word["text"] for word in line["words"]]
        for block in document["pages"][page]["blocks"]
        for line in block["lines"]
    ]
