"""``untxt search``: hits from the data folder and from a server's client; ``reindex``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from tests.search.helpers import page_of, store_with_json
from untxt.cli import app
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.storage import LocalBlobStore

runner = CliRunner()


def _invoke(db_url: str, data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["search", "--data-dir", str(data_dir), *args], env={"UNTXT_DATABASE_URL": db_url}
    )
    return result.exit_code, result.output


def test_search_in_the_data_folder_prints_hits_and_reindex_restores_them(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """The local search finds the page; after the index is emptied, reindex brings it back."""
    data_dir = tmp_path / "data"
    job = store_with_json(db, LocalBlobStore(data_dir / "blobs"), utcnow(), page_of("Hóa đơn điện"))
    code, output = _invoke(db_url, data_dir, "--json", "hoa", "don")
    assert code == 0, output
    assert [hit["job_id"] for hit in json.loads(output)["items"]] == [job]
    with db.write() as session:
        session.execute(text("DELETE FROM search_pages"))
    assert _invoke(db_url, data_dir, "hoa", "don") == (0, "no hits\n")
    code, output = _invoke(db_url, data_dir, "reindex")
    assert (code, output) == (0, "indexed 1 pages of 1 jobs\n")
    code, output = _invoke(db_url, data_dir, "hoa don")
    assert code == 0 and "page 1" in output and job in output


def test_a_bad_query_fails_with_the_reason(db: Database, db_url: str, tmp_path: Path) -> None:
    """An unbalanced quote is an error in words, exit status 1."""
    code, output = _invoke(db_url, tmp_path / "data", '"total due')
    assert code == 1 and "unbalanced quote" in output
