"""The compare page: one file read by two real engines, side by side, differences marked."""

from __future__ import annotations

import difflib

from playwright.sync_api import expect

from tests import samples
from tests.web.conftest import Server, screenshot

# Small print, tight punctuation and look-alike characters: engines part ways here.
LINES = [
    "Ship to: R. O'Neil, 4/12 Quay St.",
    "Ref #0O1-lI7 (x3) @ $12.50/ea",
]


def _word_diff(a: str, b: str) -> tuple[int, int]:
    """Words only in ``b`` and words only in ``a``, found in order."""
    left, right = a.split(), b.split()
    added = missed = 0
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "insert"):
            added += j2 - j1
        if op in ("replace", "delete"):
            missed += i2 - i1
    return added, missed


def test_compare_shows_two_engines_readings_with_the_differences_marked(
    local_server: Server, new_page
) -> None:
    page = new_page(local_server.url)
    page.goto("/compare")
    tesseract = page.get_by_label("tesseract", exact=True)
    ppocr = page.get_by_label("ppocr", exact=True)
    expect(tesseract).to_be_enabled()
    expect(ppocr).to_be_enabled()
    for box in page.locator('input[name="engine"]').all():
        box.set_checked(box.get_attribute("value") in ("tesseract", "ppocr"))

    # Fewer than two engines is refused in words before anything is sent.
    page.get_by_label("File").set_input_files(
        {"name": "ship-note.png", "mimeType": "image/png", "buffer": samples.png(LINES, size=30)}
    )
    ppocr.uncheck()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-error")).to_have_text("Tick two engines or more.")
    ppocr.check()
    page.get_by_role("button", name="Compare").click()

    # The page follows the jobs' events until both have read the file.
    for engine in ("tesseract", "ppocr"):
        expect(page.locator(f'article.reading[data-engine="{engine}"]')).to_have_attribute(
            "data-status", "completed", timeout=40_000
        )
    expect(page.locator("#progress")).to_have_text("All 2 engines have read the file.")
    expect(page.locator("table.agreement")).to_contain_text("%")
    screenshot(page, "compare")

    # The marks are those of a word diff of the API's own texts, against the baseline.
    batch = local_server.http.get("/v1/jobs", params={"limit": 2}).json()["items"][0]["batch_id"]
    comparison = local_server.http.get(f"/v1/compare/{batch}").json()
    texts = {reading["engine"]: reading["text"] for reading in comparison["engines"]}
    assert set(texts) == {"tesseract", "ppocr"}
    base = page.get_by_label("Differences against").input_value()
    other = next(name for name in texts if name != base)
    added, missed = _word_diff(texts[base], texts[other])
    assert added + missed > 0, texts  # the sample is chosen for the engines to disagree
    column = page.locator(f'article.reading[data-engine="{other}"]')
    expect(column.locator(".diff-ins")).to_have_count(added)
    expect(column.locator(".diff-del")).to_have_count(missed)
    expect(page.locator(f'article.reading[data-engine="{base}"] .diff-ins')).to_have_count(0)
    expect(page.locator(f'article.reading[data-engine="{base}"] .reading-text')).to_have_text(
        texts[base].strip()
    )

    # Changing the baseline marks the other way round.
    page.get_by_label("Differences against").select_option(other)
    flipped = page.locator(f'article.reading[data-engine="{base}"]')
    expect(flipped.locator(".diff-ins")).to_have_count(missed)
    expect(flipped.locator(".diff-del")).to_have_count(added)
