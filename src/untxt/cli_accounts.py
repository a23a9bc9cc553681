"""``untxt users`` and ``untxt keys``: accounts, on the database ``serve`` uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from untxt.cli_shared import DataDirOpt, command_settings, err, fail
from untxt.errors import UntxtError

users_app = typer.Typer(help="User accounts (on the server's database).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (on the server's database).", no_args_is_help=True)


@contextmanager
def _accounts_session(data_dir: Path | None, *, write: bool = True) -> Iterator[Any]:
    """A session on the database ``serve`` would use, migrated as ``serve`` would; an
    error of untxt's ends the command with its message."""
    from untxt.db import Database, upgrade

    db = Database(command_settings(data_dir=data_dir).database_url)
    try:
        upgrade(db)
        with db.write() if write else db.read() as session:
            yield session
    except UntxtError as exc:
        raise fail(str(exc)) from None
    finally:
        db.dispose()


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="The user's e-mail address (their login).")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    password: Annotated[
        bool,
        typer.Option(
            "--password",
            help="Prompt for a password, for logging in from a browser "
            "(without one the user signs in with API keys only).",
        ),
    ] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Create a user; prints its id. The first user ends single-user mode."""
    from untxt.auth import audit, create_user

    secret = (
        typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )
    with _accounts_session(data_dir) as session:
        user = create_user(session, email=email, role="admin" if admin else "user", password=secret)
        audit.record(
            session,
            action="user.create",
            actor="cli",
            target=user.id,
            detail={"email": user.email, "role": user.role},
        )
    err.print(f"created {user.role} {user.email}", highlight=False)
    typer.echo(user.id)


@users_app.command("list")
def users_list(data_dir: DataDirOpt = None) -> None:
    """List users: id, role and e-mail address, one a line."""
    from untxt.auth.users import list_users

    with _accounts_session(data_dir, write=False) as session:
        rows = list_users(session, limit=1_000_000)
    for row in rows:
        typer.echo(f"{row.id}\t{row.role}\t{row.email}")


@keys_app.command("create")
def keys_create(
    email: Annotated[str, typer.Argument(help="E-mail address of the key's user.")],
    name: Annotated[str | None, typer.Option("--name", help="A name to recognise it by.")] = None,
    expires_in: Annotated[
        str | None,
        typer.Option("--expires-in", help="Lifetime, e.g. 90d or 12h (default: no expiry)."),
    ] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an API key and print it on stdout; it is shown this once only."""
    from untxt.auth import audit, create_api_key
    from untxt.auth.users import find_user_by_email
    from untxt.config import parse_duration
    from untxt.db.types import utcnow

    now = utcnow()
    expires_at = None
    if expires_in is not None:
        try:
            lifetime = parse_duration(expires_in)
        except ValueError as exc:
            raise fail(f"--expires-in: {exc}") from None
        expires_at = now + lifetime if lifetime else None
    with _accounts_session(data_dir) as session:
        user = find_user_by_email(session, email=email)
        if user is None:
            raise fail(f"no user {email}; create it with `untxt users create {email}`")
        row, raw = create_api_key(
            session, user_id=user.id, name=name, expires_at=expires_at, now=now
        )
        audit.record(
            session,
            action="api_key.create",
            actor="cli",
            actor_email=user.email,
            target=row.id,
            detail={"name": row.name, "prefix": row.prefix},
            now=now,
        )
    err.print(f"API key {row.id} ({row.name}) for {user.email}; store it now", highlight=False)
    typer.echo(raw)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (key_...).")],
    data_dir: DataDirOpt = None,
) -> None:
    """Revoke an API key at once."""
    from untxt.auth import audit
    from untxt.auth.keys import revoke_api_key
    from untxt.db.types import utcnow

    with _accounts_session(data_dir) as session:
        row = revoke_api_key(session, key_id=key_id, user_id=None, now=utcnow())
        audit.record(
            session,
            action="api_key.revoke",
            actor="cli",
            target=row.id,
            detail={"user_id": row.user_id, "name": row.name},
        )
    err.print(f"revoked {row.id} ({row.name})", highlight=False)
