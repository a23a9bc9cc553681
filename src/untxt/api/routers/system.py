"""Engines, liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from untxt.api.deps import PrincipalDep, StateDep
from untxt.api.schemas import Health
from untxt.engines import EngineInfo
from untxt.errors import NotReadyError

router = APIRouter(tags=["system"])


@router.get("/v1/engines", response_model=list[EngineInfo])
def list_engines(state: StateDep, _: PrincipalDep) -> list[EngineInfo]:
    """OCR engines, whether each is installed, and its languages and modes."""
    return state.engines.describe()


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health)
def readyz(state: StateDep) -> Health:
    """Readiness: the database answers and blob storage can be written."""
    checks = {}
    for name, check in (("database", state.db.ping), ("storage", state.storage.check)):
        try:
            check()
        except Exception as exc:
            raise NotReadyError(f"{name}: {exc}") from exc
        checks[name] = "ok"
    return Health(status="ok", checks=checks)
