"""Search in a real browser: a page read by real OCR is found by a prefix of one of its
words, its snippet marks the word, and the hit opens the viewer with the word lit."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.samples import text_image
from tests.web.conftest import Server, screenshot
from tests.web.uploads import PNG, NewPage, submit, tag, unique_png, wait_final


def test_a_hit_marks_the_word_and_opens_the_viewer_with_it_lit(
    local_server: Server, new_page: NewPage
) -> None:
    name = f"pantry-{tag()}.png"
    image = text_image(["MARMALADE 4.20", "Marmalade jars 2"], size=40)
    job = submit(local_server, name, unique_png(image, name), PNG, engine="tesseract")
    wait_final(local_server, job)
    page = new_page(local_server.url)

    page.goto("/search")
    page.get_by_label("Words,").fill("marmal*")
    page.get_by_role("button", name="Search").click()

    hit = page.locator(f'li.hit[data-job="{job}"]')
    expect(hit).to_have_count(1)
    expect(hit.locator("a")).to_have_text(f"{name}, page 1")
    marks = hit.locator("mark")
    expect(marks.first).to_be_visible()
    assert {text.casefold() for text in marks.all_inner_texts()} == {"marmalade"}
    assert "q=marmal" in page.url  # the search is in the address, to share or reload
    screenshot(page, "search")

    hit.locator("a").click()
    page.wait_for_url(f"**/jobs/{job}?page=1&find=marmal*")
    expect(page.locator("#overlay .field-box")).to_have_count(2)


def test_a_query_the_api_refuses_is_answered_in_its_words(
    local_server: Server, new_page: NewPage
) -> None:
    page = new_page(local_server.url)
    page.goto("/search?q=" + "%22unbalanced")
    expect(page.locator("#search-error")).to_be_visible()
    expect(page.locator("#search-error")).not_to_be_empty()
    expect(page.locator("li.hit")).to_have_count(0)


def test_a_question_without_a_model_shows_the_passages_that_open_the_viewer(
    local_server: Server, new_page: NewPage
) -> None:
    """No language model is configured: the panel says so, and lists the page that
    answers, whose link opens the viewer on that page."""
    name = f"quince-{tag()}.png"
    image = text_image(["QUINCE PRESERVE 7.40", "Quince jars 3"], size=40)
    job = submit(local_server, name, unique_png(image, name), PNG, engine="tesseract")
    wait_final(local_server, job)
    page = new_page(local_server.url)

    page.goto("/search")
    page.get_by_label("A question about your documents").fill("Did we buy quince preserve?")
    page.get_by_role("button", name="Ask").click()

    expect(page.locator("#answer-note")).to_contain_text("No language model is configured")
    item = page.locator("#citations li").filter(has_text=f"{name}, page 1")
    expect(item).to_have_count(1)
    expect(item.locator(".source-lines")).to_contain_text("QUINCE")
    source = item.locator("a")
    screenshot(page, "ask")

    source.click()
    page.wait_for_url(f"**/jobs/{job}?page=1&find=*")
    expect(page.locator("#overlay .field-box").first).to_be_visible()
