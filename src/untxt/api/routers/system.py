"""Engines, the choices a submit offers, liveness and readiness."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import APIRouter
from pydantic import BaseModel, Field

from untxt.api.deps import PrincipalDep, StateDep
from untxt.api.schemas import Health
from untxt.engines import EngineInfo
from untxt.errors import EngineUnavailableError, NotReadyError
from untxt.extract.registry import AUTO as AUTO_EXTRACT
from untxt.extract.registry import document_types
from untxt.options import ALL_FORMATS, RESOLUTION_DPI, JobOptions, Mode, PdfMode

router = APIRouter(tags=["system"])


class RangeOut(BaseModel):
    """An integer option's bounds, both allowed, and its default."""

    min: int
    max: int
    default: int


class LimitsOut(BaseModel):
    """This server's limits on what a submit may send."""

    max_upload_bytes: int = Field(description="Largest file accepted.")
    max_pages: int = Field(description="Most pages in one document.")
    max_batch: int = Field(description="Most documents in one batch submit.")
    max_languages: int = Field(description="Most languages one job may name.")


class OptionsOut(BaseModel):
    """What a submit form needs: every job option's default and the values allowed."""

    defaults: dict[str, Any] = Field(description="The options a job gets for keys it leaves out.")
    engines: list[EngineInfo] = Field(
        description="As GET /v1/engines: each engine, whether it is installed, its languages "
        "and modes. The option engine takes one of their names, or 'auto'."
    )
    auto_engine: str | None = Field(
        description="The engine 'auto' picks for the default languages and mode; null if none "
        "is installed."
    )
    modes: list[str]
    resolutions: dict[str, int] = Field(description="Each resolution preset and its PDF DPI.")
    pdf_modes: list[str]
    outputs: list[str] = Field(description="Every result format a job may store.")
    extract: list[str] = Field(
        description="Document types the extract option takes: 'auto' classifies, then reads."
    )
    priority: RangeOut
    limits: LimitsOut


def _bound(option: str, name: str) -> int:
    """The bound ``name`` (``ge``, ``le``, ``max_length``) of a :class:`JobOptions` field, as
    declared there, so that the answer cannot drift from what a submit checks."""
    for item in JobOptions.model_fields[option].metadata:
        if hasattr(item, name):
            return int(getattr(item, name))
    raise LookupError(f"JobOptions.{option} declares no {name}")


@router.get("/v1/engines", response_model=list[EngineInfo])
def list_engines(state: StateDep, _: PrincipalDep) -> list[EngineInfo]:
    """OCR engines, whether each is installed, and its languages and modes."""
    return state.engines.describe()


@router.get("/v1/options", response_model=OptionsOut)
def submit_options(state: StateDep, _: PrincipalDep) -> OptionsOut:
    """Job options' defaults and allowed values, engines and their languages, and limits."""
    defaults = JobOptions()
    try:
        auto = state.engines.resolve("auto", defaults.languages, defaults.mode)
    except EngineUnavailableError:
        auto = None
    settings = state.settings
    return OptionsOut(
        defaults=defaults.model_dump(mode="json"),
        engines=state.engines.describe(),
        auto_engine=auto,
        modes=list(get_args(Mode)),
        resolutions=dict(RESOLUTION_DPI),
        pdf_modes=list(get_args(PdfMode)),
        outputs=list(ALL_FORMATS),
        extract=[AUTO_EXTRACT, *sorted(document_types())],
        priority=RangeOut(
            min=_bound("priority", "ge"), max=_bound("priority", "le"), default=defaults.priority
        ),
        limits=LimitsOut(
            max_upload_bytes=settings.max_upload_bytes,
            max_pages=settings.max_pages,
            max_batch=settings.max_batch,
            max_languages=_bound("languages", "max_length"),
        ),
    )


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
