"""How many matches are scored, and that scoring leaves the session as it found it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.conftest import postgres_schema_url
from tests.queue.helpers import OWNER
from tests.search.helpers import page_of, store
from untxt.db import Database, upgrade
from untxt.db.types import utcnow
from untxt.search import SearchFilters, parse_query, search
from untxt.search import find as find_module


def _jobs(db: Database, q: str, owner: str = OWNER) -> list[str]:
    with db.read() as session:
        return [h.job_id for h in search(session, parse_query(q), SearchFilters(owner), limit=20)]


def test_a_query_matching_more_pages_than_are_scored_ranks_the_newest(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oldest page says "widget" most often, and would rank first; past the number
    of pages scored it is not among them, on both databases alike."""
    now = utcnow()
    oldest = store(db, now, page_of("widget widget widget widget", "widget"))
    newer = [store(db, now, page_of(f"one widget here {n}", "and more text")) for n in range(4)]
    assert _jobs(db, "widget")[0] == oldest
    monkeypatch.setattr(find_module, "RANKED", 3)
    assert sorted(_jobs(db, "widget")) == sorted(newer[-3:])
    # Phrases and prefixes are scored over the same newest pages.
    assert sorted(_jobs(db, '"one widget"')) == sorted(newer[-3:])
    assert sorted(_jobs(db, "widg*")) == sorted(newer[-3:])


def test_the_newest_scored_are_the_callers_own_however_many_others_have(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another owner's newer pages do not push the caller's out of what is scored."""
    now = utcnow()
    mine = store(db, now, page_of("gadget invoice"))
    for _ in range(3):
        store(db, now, page_of("gadget invoice"), owner="someone-else")
    monkeypatch.setattr(find_module, "RANKED", 2)
    assert _jobs(db, "gadget") == [mine]


@pytest.fixture
def pg_db() -> Iterator[Database]:
    for url in postgres_schema_url():
        database = Database(url)
        upgrade(database)
        yield database
        database.dispose()


@pytest.mark.postgres
def test_postgresql_planner_settings_are_as_before_after_a_search(pg_db: Database) -> None:
    store(pg_db, utcnow(), page_of("sprocket"))
    with pg_db.read() as session:
        session.execute(text("SET LOCAL enable_indexscan = off"))
        before = session.execute(text("SHOW enable_seqscan")).scalar_one()
        hits = search(session, parse_query("sprocket"), SearchFilters(OWNER), limit=5)
        assert len(hits) == 1
        assert session.execute(text("SHOW enable_seqscan")).scalar_one() == before == "on"
        assert session.execute(text("SHOW enable_indexscan")).scalar_one() == "off"
