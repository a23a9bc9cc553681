"""``/v1/users``: admins create and list accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from untxt.api.deps import NO_CONTROL_CHARACTERS, AdminDep, StateDep
from untxt.api.schemas import ListOut
from untxt.auth import audit, users
from untxt.auth.passwords import MAX_PASSWORD
from untxt.db.models import UserRow
from untxt.errors import NotFoundError

router = APIRouter(prefix="/v1/users", tags=["users"])


class UserCreate(BaseModel):
    """A new account; without a password it signs in with API keys only."""

    email: str = Field(max_length=254, pattern=NO_CONTROL_CHARACTERS)
    role: Literal["admin", "user"] = "user"
    password: str | None = Field(None, max_length=MAX_PASSWORD)


class UserOut(BaseModel):
    """An account."""

    id: str
    email: str
    role: Literal["admin", "user"]
    has_password: bool
    created_at: datetime

    @classmethod
    def of(cls, row: UserRow) -> UserOut:
        return cls(
            id=row.id,
            email=row.email,
            role="admin" if row.role == "admin" else "user",
            has_password=row.password_hash is not None,
            created_at=row.created_at,
        )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def create_user(body: UserCreate, state: StateDep, admin: AdminDep, response: Response) -> UserOut:
    """Create a user (admins only); 409 if the e-mail address is taken."""
    with state.db.write() as session:
        row = users.create_user(session, email=body.email, role=body.role, password=body.password)
        audit.record(
            session,
            action="user.create",
            actor=admin.actor,
            actor_email=admin.email,
            target=row.id,
            ip=admin.ip,
            detail={"email": row.email, "role": row.role},
            now=row.created_at,
        )
    state.accounts.user_created()
    response.headers["Location"] = f"/v1/users/{row.id}"
    return UserOut.of(row)


@router.get("", response_model=ListOut[UserOut])
def list_users(
    state: StateDep,
    _: AdminDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(description="next_cursor of the previous page", pattern=NO_CONTROL_CHARACTERS),
    ] = None,
) -> ListOut[UserOut]:
    """Every user, newest first (admins only)."""
    with state.db.read() as session:
        rows = users.list_users(session, limit=limit, before=cursor)
    return ListOut[UserOut].page(rows, limit, UserOut.of)


@router.get("/{user_id}", response_model=UserOut)
def get_user(
    user_id: Annotated[str, Path(pattern=NO_CONTROL_CHARACTERS)], state: StateDep, _: AdminDep
) -> UserOut:
    """One user (admins only)."""
    with state.db.read() as session:
        row = users.get_user(session, user_id=user_id)
    if row is None:
        raise NotFoundError(f"no user {user_id!r}")
    return UserOut.of(row)
