"""Logging in and out, API keys through the account page, and single-user mode."""

from __future__ import annotations

import json
import re
import uuid

import httpx
from playwright.sync_api import expect

from tests import samples
from tests.web.conftest import OTHER, USER, Server, login, screenshot


def test_a_wrong_password_is_answered_in_the_apis_words(accounts_server: Server, new_page) -> None:
    page = new_page(accounts_server.url)
    page.goto("/login?next=/account")
    page.get_by_label("E-mail address").fill(USER[0])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("wrong e-mail address or password")
    expect(page).to_have_url(f"{accounts_server.url}/login?next=/account")
    screenshot(page, "login")

    # The right one goes on to the page asked for; logging out comes back here.
    page.get_by_label("Password").fill(USER[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account")
    expect(page.locator("#me")).to_contain_text(USER[0])
    page.locator("#account-logout").click()
    page.wait_for_url("**/login")
    page.goto("/account")
    page.wait_for_url("**/login?next=%2Faccount")


def test_an_api_key_is_created_shown_once_and_revoked_through_the_page(
    accounts_server: Server, new_page
) -> None:
    page = new_page(accounts_server.url)
    login(page, *OTHER, to="/account")
    name = f"laptop {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Expires").fill("2099-12-31")
    page.get_by_role("button", name="Create key").click()

    shown = page.get_by_label("New API key")
    expect(shown).to_have_value(re.compile(r"^untxt_[0-9a-f]{12}_\S+$"))
    key = shown.input_value()
    row = page.locator("#keys tbody tr", has_text=name)
    expect(row).to_contain_text(f"untxt_{key.split('_')[1]}_…")
    expect(row).to_contain_text("active")
    expect(row).not_to_contain_text(key)  # the secret is never listed
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#toast")).to_contain_text("Key")
    screenshot(page, "account")

    def me() -> httpx.Response:
        return httpx.get(
            f"{accounts_server.url}/v1/auth/me", headers={"Authorization": f"Bearer {key}"}
        )

    works = me()
    assert works.status_code == 200, works.text
    assert works.json()["email"] == OTHER[0]

    # Done: the key leaves the page for good.
    page.get_by_role("button", name="Done").click()
    expect(shown).to_be_hidden()

    # Revoking asks first; declining keeps the key.
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name=f"Revoke {name}").click()
    expect(row).to_contain_text("active")
    assert me().status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"Revoke {name}").click()
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    assert me().status_code == 401


def test_single_user_mode_needs_no_login(local_server: Server, new_page) -> None:
    page = new_page(local_server.url)
    page.goto("/account")
    expect(page.locator("#single-user")).to_be_visible()
    expect(page.locator("#who")).to_have_text("single-user mode")
    # Keys belong to users: the page says why there are none instead of offering a form
    # the API would refuse.
    expect(page.locator("#keys-unavailable")).to_contain_text("single-user mode")
    expect(page.locator("#new-key")).to_be_hidden()
    for path in ("/", "/invoices", "/compare", "/admin"):
        page.goto(path)
        expect(page.locator("#who")).to_have_text("single-user mode")
        assert "/login" not in page.url
    # The local caller is the admin: the admin page opens.
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_be_visible()


def test_a_second_user_sees_none_of_the_first_users_jobs(accounts_server: Server, new_page) -> None:
    tag = uuid.uuid4().hex[:6]
    theirs: list[str] = []
    client = accounts_server.client_for(*USER)
    try:
        for n in (1, 2):
            name = f"user-{tag}-{n}.png"
            sent = client.post(
                "/v1/ocr",
                files={"file": (name, samples.png([f"Private {n}"]), "image/png")},
                data={"options": json.dumps({"extract": ["auto"]})},
            )
            assert sent.status_code == 202, sent.text
            theirs.append(sent.json()["id"])
    finally:
        client.close()
    mine = accounts_server.client_for(*OTHER)
    try:
        sent = mine.post(
            "/v1/ocr",
            files={"file": (f"other-{tag}.png", samples.png(["Mine"]), "image/png")},
        )
        assert sent.status_code == 202, sent.text
        own = sent.json()["id"]
    finally:
        mine.close()

    # The first user sees their jobs on the jobs page...
    page = new_page(accounts_server.url)
    login(page, *USER)
    for job in theirs:
        expect(page.locator(f'#jobs tbody tr[data-job="{job}"]')).to_be_visible()

    # ...the second sees their own, and none of the first user's, even by name.
    page = new_page(accounts_server.url)
    login(page, *OTHER)
    rows = page.locator("#jobs tbody tr")
    expect(page.locator(f'#jobs tbody tr[data-job="{own}"]')).to_be_visible()
    for job in theirs:
        expect(page.locator(f'#jobs tbody tr[data-job="{job}"]')).to_have_count(0)
    expect(rows.filter(has_text=f"user-{tag}")).to_have_count(0)
    page.get_by_label("File name").fill(f"user-{tag}")
    expect(page.locator("#empty")).to_be_visible()
    expect(rows).to_have_count(0)

    page.goto("/invoices")
    expect(page.locator("#empty")).to_be_visible()
    for job in theirs:
        expect(page.locator(f'#invoices tbody tr[data-job="{job}"]')).to_have_count(0)
    # Through the session the page uses, the first user's job is as if it did not exist.
    status = page.evaluate("id => fetch(`/v1/jobs/${id}`).then(r => r.status)", theirs[0])
    assert status == 404


def test_the_pages_are_readable_at_400_pixels(local_server: Server, new_page) -> None:
    page = new_page(local_server.url, width=400, height=800)
    for path, ready in (
        ("/account", "#single-user"),
        ("/invoices", "#invoices"),
        ("/compare", 'input[name="engine"]'),
        ("/admin", "#audit tbody tr"),
    ):
        page.goto(path)
        expect(page.locator(ready).first).to_be_visible()
        # Nothing sticks out sideways: the page never scrolls across, only tables inside it.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, (path, width)
        if path == "/admin":
            screenshot(page, "narrow-admin")
