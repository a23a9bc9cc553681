"""Request dependencies, as ``Annotated`` aliases for route signatures.

:func:`get_principal` decides who is calling. With no user in the database every
caller is the ``local`` owner (single-user mode); once a user exists, a request
needs an API key (``Authorization: Bearer`` or ``X-API-Key``) or a session cookie,
and a cookie-authenticated write needs the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.requests import HTTPConnection
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from untxt.api.problems import problem
from untxt.auth import Accounts, AuthenticationError, CsrfError, Identity, PermissionDeniedError
from untxt.auth.quotas import StoredBytes
from untxt.auth.sessions import CSRF_HEADER, SESSION_COOKIE
from untxt.config import Settings
from untxt.db.session import Database
from untxt.engines import EngineRegistry
from untxt.queue.notify import Notifier
from untxt.storage import BlobStore

if TYPE_CHECKING:
    from untxt.api.submit_line import SubmitLine

LOCAL_OWNER = "local"
#: Text without control characters. PostgreSQL can neither store nor compare NUL, so
#: such input is refused as invalid (422) before it reaches a query.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class AppState:
    """Everything the routes share, built once by the app factory."""

    settings: Settings
    db: Database
    storage: BlobStore
    engines: EngineRegistry
    notifier: Notifier
    accounts: Accounts
    #: Owners' stored bytes, so that a submit far below the storage quota costs no query.
    stored_bytes: StoredBytes = field(default_factory=StoredBytes)
    #: The threads of the uploads' work (see :func:`submit_slots`), set by the app factory.
    submit_line: SubmitLine = field(init=False)


def submit_slots(settings: Settings) -> int:
    """How many uploads one API process works on at once (``submit_concurrency``): the
    threads of its :class:`~untxt.api.submit_line.SubmitLine`.

    An upload's check, hash, write and record hold the GIL most of the time: a dozen of
    them on threads at once share it in turns of the interpreter's choosing, and each
    takes as long as all of them together. One at a time, the others waiting in order,
    each finishes sooner and nothing is lost: the local disk's fsync runs on a thread
    of the store's and is awaited after the turn (see ``submit_ocr``), so the turn holds
    only CPU work. At 16 clients on an API-only node, one turn gave 11% more submits a
    second than three and a p99 of 47 ms against 55 (bench/README.md). Writes to S3
    wait on the network, not the CPU, so more of them overlap.
    """
    if settings.submit_concurrency:
        return settings.submit_concurrency
    return 16 if settings.storage_url.startswith("s3://") else 1


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``owner`` scopes every document, job and batch they can see."""

    owner: str
    role: Literal["admin", "user"] = "user"
    #: ``None`` in single-user mode, where nobody signed in.
    user_id: str | None = None
    email: str | None = None
    via: Literal["local", "key", "session"] = "local"
    key_id: str | None = None
    #: The client's address, for the audit log.
    ip: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """How the audit log names the caller: the user id, or ``local``."""
        return self.user_id or self.owner


#: The caller in single-user mode: the machine's operator, so also the admin.
LOCAL_PRINCIPAL = Principal(owner=LOCAL_OWNER, role="admin")


# Dependencies are async so that resolving them costs no trip through the thread pool.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.untxt
    return state


def _presented_key(connection: HTTPConnection) -> str | None:
    """The API key of ``X-API-Key`` or ``Authorization: Bearer``, if either is sent."""
    key = connection.headers.get("x-api-key")
    if key is not None:
        return key.strip()
    authorization = connection.headers.get("authorization")
    if authorization is None:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise AuthenticationError("send the API key as 'Authorization: Bearer KEY'", invalid=True)
    return credentials.strip()


def _principal(identity: Identity, ip: str | None) -> Principal:
    role: Literal["admin", "user"] = "admin" if identity.role == "admin" else "user"
    return Principal(
        owner=identity.user_id,
        role=role,
        user_id=identity.user_id,
        email=identity.email,
        via=identity.via,
        key_id=identity.key_id,
        ip=ip,
    )


def _authenticate(accounts: Accounts, connection: HTTPConnection, ip: str | None) -> Principal:
    key = _presented_key(connection)
    if key is not None:
        return _principal(accounts.authenticate_key(key), ip)
    token = connection.cookies.get(SESSION_COOKIE)
    if token is None:
        raise AuthenticationError(
            "this server requires an API key ('Authorization: Bearer KEY' or 'X-API-Key: KEY') "
            "or a session from POST /v1/auth/login"
        )
    identity = accounts.authenticate_session(token)
    # A WebSocket scope has no method: it counts as a write and so fails closed here;
    # the WebSocket route resolves its caller as a GET and checks the Origin itself.
    if connection.scope.get("method") not in _SAFE_METHODS:
        echoed = connection.headers.get(CSRF_HEADER, "")
        if not identity.csrf or not hmac.compare_digest(echoed.encode(), identity.csrf.encode()):
            raise CsrfError(
                f"a write authenticated by the session cookie needs the {CSRF_HEADER} header, "
                "holding the value of the untxt_csrf cookie"
            )
    return _principal(identity, ip)


async def get_principal(connection: HTTPConnection) -> Principal:
    """The caller: the local owner in single-user mode, else the authenticated user."""
    state: AppState = connection.app.state.untxt
    ip = connection.client.host if connection.client else None
    accounts = state.accounts
    exists = accounts.users_exist_cached()
    if exists is None:
        exists = await run_in_threadpool(accounts.users_exist)
    if not exists:
        return replace(LOCAL_PRINCIPAL, ip=ip)
    return await run_in_threadpool(_authenticate, accounts, connection, ip)


async def get_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The caller, who must be an admin (403 otherwise)."""
    if not principal.is_admin:
        raise PermissionDeniedError("this needs an admin account")
    return principal


def _unauthenticated(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthenticationError)
    response = problem(exc.status, str(exc), slug=exc.problem, title=exc.title)
    response.headers["WWW-Authenticate"] = exc.challenge
    return response


def install_auth_handlers(app: FastAPI) -> None:
    """Answer 401s with the ``WWW-Authenticate`` challenge RFC 9110 asks for."""
    app.add_exception_handler(AuthenticationError, _unauthenticated)


StateDep = Annotated[AppState, Depends(get_state)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
AdminDep = Annotated[Principal, Depends(get_admin)]
