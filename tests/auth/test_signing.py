"""The session signing key: configured, or generated once and shared through the database."""

from __future__ import annotations

from untxt.auth.signing import load_signing_key
from untxt.db import Database


def test_a_generated_key_is_kept_so_restarts_and_nodes_agree(db: Database) -> None:
    first = load_signing_key(db, configured=None)
    other_node = Database(str(db.url.render_as_string(hide_password=False)))
    try:
        again = load_signing_key(other_node, configured=None)
    finally:
        other_node.dispose()

    assert first == again
    assert len(first) >= 64


def test_a_configured_key_wins(db: Database) -> None:
    load_signing_key(db, configured=None)

    assert load_signing_key(db, configured="from-the-environment") == "from-the-environment"
