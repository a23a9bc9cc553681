"""``/v1/api-keys``: a user creates, lists and revokes their API keys; admins revoke anyone's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from untxt.api.deps import NO_CONTROL_CHARACTERS, Principal, PrincipalDep, StateDep
from untxt.api.schemas import ListOut
from untxt.auth import InvalidAccountError, PermissionDeniedError, audit, keys
from untxt.db.models import ApiKeyRow
from untxt.db.types import utcnow
from untxt.errors import ConflictError

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])


class ApiKeyCreate(BaseModel):
    """A new key: a name to recognise it by, and optionally when it stops working."""

    name: str | None = Field(None, min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS)
    expires_at: AwareDatetime | None = Field(None, description="With a time zone; in the future.")


class ApiKeyOut(BaseModel):
    """An API key, without its secret."""

    id: str
    user_id: str
    name: str
    prefix: str = Field(description="The public part of the key: untxt_<prefix>_...")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="To the minute: updated at most once a minute."
    )
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKeyOut:
        return cls(
            id=row.id,
            user_id=row.user_id,
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


class ApiKeyCreated(ApiKeyOut):
    """A key just created: ``key`` is shown this once and cannot be read again."""

    key: str


def _user_id(principal: Principal) -> str:
    if principal.user_id is None:
        raise ConflictError(
            "API keys belong to users, and this server has none (single-user mode); "
            "create one with `untxt users create EMAIL --admin`"
        )
    return principal.user_id


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
def create_key(body: ApiKeyCreate, state: StateDep, principal: PrincipalDep) -> ApiKeyCreated:
    """Create an API key for the caller; the response holds the key, shown only this once."""
    user_id = _user_id(principal)
    now = utcnow()
    if body.expires_at is not None and body.expires_at <= now:
        raise InvalidAccountError("expires_at must be in the future")
    with state.db.write() as session:
        row, raw = keys.create_api_key(
            session, user_id=user_id, name=body.name, expires_at=body.expires_at, now=now
        )
        audit.record(
            session,
            action="api_key.create",
            actor=principal.actor,
            actor_email=principal.email,
            target=row.id,
            ip=principal.ip,
            detail={"name": row.name, "prefix": row.prefix},
            now=now,
        )
    return ApiKeyCreated(**ApiKeyOut.of(row).model_dump(), key=raw)


@router.get("", response_model=ListOut[ApiKeyOut])
def list_keys(
    state: StateDep,
    principal: PrincipalDep,
    all: Annotated[bool, Query(description="Every user's keys (admins only).")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(description="next_cursor of the previous page", pattern=NO_CONTROL_CHARACTERS),
    ] = None,
) -> ListOut[ApiKeyOut]:
    """The caller's keys (revoked ones too), newest first; never their secrets."""
    if all and not principal.is_admin:
        raise PermissionDeniedError("listing every user's keys needs an admin account")
    if not all and principal.user_id is None:
        return ListOut[ApiKeyOut](items=[], next_cursor=None)  # single-user mode: no keys
    user_id = None if all else principal.user_id
    with state.db.read() as session:
        rows = keys.list_api_keys(session, user_id=user_id, limit=limit, before=cursor)
    return ListOut[ApiKeyOut].page(rows, limit, ApiKeyOut.of)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(
    key_id: Annotated[str, Path(pattern=NO_CONTROL_CHARACTERS)],
    state: StateDep,
    principal: PrincipalDep,
) -> Response:
    """Revoke a key at once. Users revoke their own; admins anyone's."""
    now = utcnow()
    with state.db.write() as session:
        row = keys.revoke_api_key(
            session,
            key_id=key_id,
            user_id=None if principal.is_admin else _user_id(principal),
            now=now,
        )
        audit.record(
            session,
            action="api_key.revoke",
            actor=principal.actor,
            actor_email=principal.email,
            target=row.id,
            ip=principal.ip,
            detail={"user_id": row.user_id, "name": row.name},
            now=now,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
