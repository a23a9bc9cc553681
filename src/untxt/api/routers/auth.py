"""``/v1/auth``: browser sessions (log in with e-mail and password, log out) and who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from untxt.api.deps import NO_CONTROL_CHARACTERS, AppState, PrincipalDep, StateDep
from untxt.auth import AuthenticationError, audit, users
from untxt.auth.passwords import MAX_PASSWORD, verify_password
from untxt.auth.sessions import CSRF_COOKIE, SESSION_COOKIE, issue_session, read_session
from untxt.db.types import utcnow

router = APIRouter(prefix="/v1/auth", tags=["auth"])
_LOGIN_FAILED = "wrong e-mail address or password"


class LoginIn(BaseModel):
    """E-mail address and password of an account that has one."""

    email: str = Field(max_length=254, pattern=NO_CONTROL_CHARACTERS)
    password: str = Field(max_length=MAX_PASSWORD)


class SessionOut(BaseModel):
    """A new session; ``csrf_token`` goes in ``X-CSRF-Token`` on writes (also in a cookie)."""

    user_id: str
    email: str
    role: Literal["admin", "user"]
    expires_at: datetime
    csrf_token: str


class WhoAmI(BaseModel):
    """The caller as the server sees them."""

    owner: str
    user_id: str | None
    email: str | None
    role: Literal["admin", "user"]
    via: Literal["local", "key", "session"] = Field(
        description="local: single-user mode, no login; key: an API key; session: a cookie."
    )


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _login(state: AppState, body: LoginIn, ip: str | None) -> tuple[SessionOut, str]:
    """The new session and its signed token; raises :class:`AuthenticationError`."""
    with state.db.read() as session:
        user = users.find_user_by_email(session, email=body.email)
    # Unknown addresses take the same time and get the same answer as wrong passwords.
    if not verify_password(user.password_hash if user else None, body.password) or user is None:
        with state.db.write() as session:
            audit.record(
                session,
                action="auth.login_failed",
                actor=user.id if user else None,
                actor_email=body.email.strip().lower()[:254],
                ip=ip,
            )
        raise AuthenticationError(_LOGIN_FAILED)
    token, claims = issue_session(
        user_id=user.id,
        signing_key=state.accounts.signing_key(),
        ttl=state.accounts.session_ttl,
        now=utcnow(),
    )
    with state.db.write() as session:
        audit.record(session, action="auth.login", actor=user.id, actor_email=user.email, ip=ip)
    out = SessionOut(
        user_id=user.id,
        email=user.email,
        role="admin" if user.role == "admin" else "user",
        expires_at=claims.expires_at,
        csrf_token=claims.csrf,
    )
    return out, token


@router.post("/login", response_model=SessionOut)
async def login(body: LoginIn, request: Request, response: Response, state: StateDep) -> SessionOut:
    """Start a browser session: an HttpOnly session cookie and a readable CSRF cookie."""
    out, token = await run_in_threadpool(_login, state, body, _client_ip(request))
    secure = request.url.scheme == "https"
    max_age = int(state.accounts.session_ttl.total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, out.csrf_token, max_age=max_age, samesite="lax", secure=secure, path="/"
    )
    return out


@router.post("/logout", status_code=204)
def logout(request: Request, state: StateDep) -> Response:
    """End the browser session: both cookies are cleared. Needs no credentials."""
    response = Response(status_code=204)
    token = request.cookies.get(SESSION_COOKIE)
    claims = read_session(token, signing_key=state.accounts.signing_key()) if token else None
    if claims is not None:
        with state.db.write() as session:
            audit.record(
                session, action="auth.logout", actor=claims.user_id, ip=_client_ip(request)
            )
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="lax")
    return response


@router.get("/me", response_model=WhoAmI)
async def whoami(principal: PrincipalDep) -> WhoAmI:
    """Who the server takes the caller to be, and how they authenticated."""
    return WhoAmI(
        owner=principal.owner,
        user_id=principal.user_id,
        email=principal.email,
        role=principal.role,
        via=principal.via,
    )
