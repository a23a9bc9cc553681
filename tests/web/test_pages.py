"""The UI's pages as HTTP sees them: served by the API's app, strict policy, nothing inline."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from untxt.web.pages import PAGES, STATIC

# A script element with a body, or an on* attribute: both need 'unsafe-inline'.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
# Anything the page would load or send from elsewhere (a namespace URI loads nothing).
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
ASSET = re.compile(r"""(?:src|href)="(/static/[^"?]+)\?v=[0-9a-f]+\"""")


@pytest.mark.parametrize("page", PAGES, ids=[page.path for page in PAGES])
def test_every_page_is_html_under_a_policy_that_runs_only_its_own_scripts(
    client: TestClient, page: object
) -> None:
    path = page.path.replace("{job_id}", "job_0123")  # type: ignore[attr-defined]
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert INLINE_SCRIPT.search(response.text) is None
    assert EXTERNAL.search(response.text) is None


def test_every_asset_a_page_names_is_shipped_and_served(client: TestClient) -> None:
    named: set[str] = set()
    for page in PAGES:
        named |= set(ASSET.findall(client.get(page.path.replace("{job_id}", "job_1")).text))
    assert {"/static/app.css", "/static/icon.svg", "/static/login.js"} <= named
    for asset in named:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content == (STATIC / asset.removeprefix("/static/")).read_bytes()
        assert response.headers["etag"]


def test_modules_import_only_modules_that_ship() -> None:
    imports = re.compile(r"""from\s+"\./([^"]+)";""")
    for script in STATIC.glob("*.js"):
        for name in imports.findall(script.read_text()):
            assert (STATIC / name).is_file(), f"{script.name} imports missing {name}"


def test_a_page_that_is_not_there_is_a_problem_not_a_page(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
