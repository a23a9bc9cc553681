"""Request dependencies, as ``Annotated`` aliases for route signatures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from untxt.config import Settings
from untxt.db.session import Database
from untxt.engines import EngineRegistry
from untxt.queue.notify import Notifier
from untxt.storage import BlobStore


@dataclass
class AppState:
    """Everything the routes share, built once by the app factory."""

    settings: Settings
    db: Database
    storage: BlobStore
    engines: EngineRegistry
    notifier: Notifier


@dataclass(frozen=True)
class Principal:
    """Who is calling. Until accounts exist, every caller is the one local owner."""

    owner: str


LOCAL_PRINCIPAL = Principal(owner="local")


# Dependencies are async so that resolving them costs no trip through the thread pool.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.untxt
    return state


async def get_principal() -> Principal:
    return LOCAL_PRINCIPAL


StateDep = Annotated[AppState, Depends(get_state)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
