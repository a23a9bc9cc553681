"""The session signing key: ``UNTXT_SECRET_KEY``, or one generated once and kept in the database.

Keeping a generated key in the database (not a node's disk) means restarts keep
sessions valid and every API node behind a load balancer signs and checks alike.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from untxt.db.models import ServerSecretRow, table_of
from untxt.db.session import DIALECT_INSERTS, Database
from untxt.db.types import utcnow

SESSION_KEY_NAME = "session_signing_key"


def load_signing_key(db: Database, *, configured: str | None) -> str:
    """The configured key, else the stored one, generating and storing it the first time.

    Nodes starting together race to insert; the first insert wins and all read it back.
    """
    if configured:
        return configured
    with db.read() as session:
        stored = session.scalar(
            select(ServerSecretRow.value).where(ServerSecretRow.name == SESSION_KEY_NAME)
        )
    if stored is not None:
        return stored
    insert = DIALECT_INSERTS[db.dialect](table_of(ServerSecretRow))
    with db.write() as session:
        session.execute(
            insert.values(
                name=SESSION_KEY_NAME, value=secrets.token_urlsafe(48), created_at=utcnow()
            ).on_conflict_do_nothing(index_elements=["name"])
        )
        value: str = session.execute(
            select(ServerSecretRow.value).where(ServerSecretRow.name == SESSION_KEY_NAME)
        ).scalar_one()
    return value
