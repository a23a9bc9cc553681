"""One-off preparation of a scaled-out untxt: the bucket, the schema, the first admin.

Run once before the API and the workers start (the compose file's ``init`` service,
the Helm chart's migration Job). Every step is skipped when it was done already, so
running it again is harmless. It reads the settings the service reads
(``UNTXT_DATABASE_URL``, ``UNTXT_STORAGE_URL``, ``UNTXT_S3_ENDPOINT_URL``...) and
waits for the database and the store to answer, which matters when they start
beside it. The steps are those of ``untxt db upgrade`` and ``untxt users create
--admin``, in one process.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from untxt.config import Settings, load_settings
from untxt.db import Database, upgrade
from untxt.db.migrate import current_revision


def _say(message: str) -> None:
    print(f"bootstrap: {message}", file=sys.stderr, flush=True)


def _retry(step: str, action: Callable[[], None], deadline: float) -> None:
    """Run ``action`` until it succeeds or ``deadline`` (a monotonic time) passes."""
    while True:
        try:
            action()
            return
        except Exception as exc:  # the database or the store is still starting
            if time.monotonic() >= deadline:
                raise SystemExit(f"bootstrap: {step} failed: {exc}") from None
            _say(f"{step}: not yet ({str(exc).strip()[:200]})")
            time.sleep(2)


def _create_bucket(settings: Settings) -> None:
    """Create the bucket of ``UNTXT_STORAGE_URL`` unless it exists."""
    import boto3
    from botocore.exceptions import ClientError

    url = urlparse(settings.storage_url)
    if url.scheme != "s3" or not url.netloc:
        raise SystemExit("bootstrap: --create-bucket needs UNTXT_STORAGE_URL=s3://bucket/prefix")
    client: Any = boto3.client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region
    )
    try:
        client.head_bucket(Bucket=url.netloc)
        _say(f"bucket {url.netloc} exists")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        client.create_bucket(Bucket=url.netloc)
        _say(f"bucket {url.netloc} created")


def _migrate(db: Database) -> None:
    upgrade(db)
    print(f"database at revision {current_revision(db)}", flush=True)


def _first_admin(db: Database, email: str) -> None:
    """Make ``email`` an admin while the database holds no user at all."""
    from untxt.auth import audit, create_user
    from untxt.auth.users import any_users

    with db.write() as session:
        if any_users(session):
            _say("users exist; no admin created")
            return
        user = create_user(session, email=email, role="admin")
        audit.record(
            session,
            action="user.create",
            actor="bootstrap",
            target=user.id,
            detail={"email": user.email, "role": user.role},
        )
    _say(f"admin {user.email} created; make it a key with `untxt keys create {user.email}`")


def main(argv: list[str] | None = None) -> int:
    """Prepare the bucket (when asked), the schema and the first admin (when named)."""
    parser = argparse.ArgumentParser(description="Prepare the bucket, schema and first admin.")
    parser.add_argument(
        "--create-bucket",
        action="store_true",
        help="create the bucket of UNTXT_STORAGE_URL when it is missing",
    )
    parser.add_argument(
        "--admin-email",
        default=os.environ.get("UNTXT_ADMIN_EMAIL", ""),
        help="create this admin while no user exists (default: UNTXT_ADMIN_EMAIL; none if empty)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=120.0,
        help="seconds to keep trying while the database or the store does not answer",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    deadline = time.monotonic() + args.wait
    if args.create_bucket:
        _retry("bucket", lambda: _create_bucket(settings), deadline)
    db = Database(settings.database_url)
    try:
        _retry("migrations", lambda: _migrate(db), deadline)
        if args.admin_email:
            _first_admin(db, args.admin_email)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
