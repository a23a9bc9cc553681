"""The admin page: the service's figures and the audit log for admins, refused to others."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests import samples
from tests.web.conftest import ADMIN, OTHER, USER, Server, login, screenshot
from tests.worker.helpers import wait_for


def test_the_admin_page_is_refused_to_a_user_and_its_menu_entry_hidden(
    accounts_server: Server, new_page
) -> None:
    page = new_page(accounts_server.url)
    login(page, *USER, to="/admin")
    expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    # The words are the API's own answer (403).
    expect(page.locator("#refused-words")).to_have_text("this needs an admin account")
    expect(page.locator("#dashboard")).to_be_hidden()
    expect(page.locator("#who")).to_have_text(USER[0])
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    page.goto("/account")
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)


def test_an_admin_sees_the_queue_users_and_the_logins_in_the_audit_log(
    accounts_server: Server, new_page
) -> None:
    # A login of someone else's, and a job waiting (this server has no workers).
    client = accounts_server.client_for(*OTHER)
    try:
        submitted = client.post(
            "/v1/ocr", files={"file": ("waiting.png", samples.png(["Waiting"]), "image/png")}
        )
        assert submitted.status_code == 202, submitted.text
    finally:
        client.close()

    page = new_page(accounts_server.url)
    login(page, *ADMIN, to="/admin")
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    queue = page.locator("#queue")
    queued = queue.locator("table").first.locator("tbody tr", has_text="queued")
    expect(queued).to_be_visible()
    assert int(queued.locator("td").nth(1).inner_text()) >= 1
    expect(page.locator("#oldest")).to_contain_text("waiting, since")

    expect(queue).to_contain_text("by priority")
    expect(page.locator("#oldest")).to_contain_text("priority")

    users = page.locator("#users tbody")
    for email in (ADMIN[0], USER[0], OTHER[0]):
        expect(users).to_contain_text(email)
    # Usage: the user who submitted has jobs to their name.
    other_jobs = users.locator("tr", has_text=OTHER[0]).locator("td").nth(2)
    expect(other_jobs).not_to_have_text("0")

    audit = page.locator("#audit tbody")
    expect(audit.locator('tr[data-action="auth.login"]', has_text=OTHER[0]).first).to_be_visible()
    expect(audit.locator('tr[data-action="auth.login"]', has_text=ADMIN[0]).first).to_be_visible()
    screenshot(page, "admin")

    # The log is filtered by action, through the API.
    page.get_by_label("Action").select_option("user.create")
    expect(audit.locator("tr").first).to_have_attribute("data-action", "user.create")
    expect(audit.locator('tr[data-action="auth.login"]')).to_have_count(0)
    expect(audit).to_contain_text(OTHER[0])


def test_the_admin_page_charts_the_last_hours_throughput(local_server: Server, new_page) -> None:
    sent = local_server.http.post(
        "/v1/ocr",
        files={"file": ("counted.png", samples.png(["Counted once"]), "image/png")},
        data={"options": json.dumps({"engine": "tesseract"})},
    )
    assert sent.status_code == 202, sent.text
    job = sent.json()["id"]
    wait_for(
        lambda: local_server.http.get(f"/v1/jobs/{job}").json()["status"] == "completed",
        timeout=30,
        interval=0.2,
    )

    # Single-user mode: the local caller is the admin.
    page = new_page(local_server.url)
    page.goto("/admin")
    bars = page.locator("#throughput .bars > .stack-bar")
    expect(bars).to_have_count(12)  # twelve 5-minute buckets
    expect(page.locator("#throughput-total")).to_contain_text("jobs completed")
    done = sum(int(bar.get_attribute("data-completed") or 0) for bar in bars.all())
    assert done >= 1
    expect(page.locator("#users")).to_contain_text("single-user mode")
