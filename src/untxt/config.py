"""Settings: every knob is an ``UNTXT_*`` environment variable; defaults give the embedded mode."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Settings(BaseSettings):
    """Service settings, read from ``UNTXT_*`` environment variables (and a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="UNTXT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path("untxt-data"), description="Where the embedded database and blobs live."
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; default: SQLite file in the data dir."
    )
    storage_url: str = Field(
        "", description="Blob store URL; default: file:// folder in the data dir."
    )
    host: str = Field("127.0.0.1", description="Address the API listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port the API listens on.")
    workers: int = Field(
        default_factory=_cpu_count,
        ge=0,
        description="OCR worker processes started by `untxt serve`.",
    )
    max_upload_bytes: int = Field(100 * 1024 * 1024, gt=0, description="Largest accepted upload.")
    max_pages: int = Field(2000, gt=0, description="Most pages accepted in one document.")
    max_image_pixels: int = Field(
        120_000_000, gt=0, description="Largest page image, in pixels, before it is refused."
    )
    lease_ttl: float = Field(
        30.0, gt=0, description="Seconds a claimed task is held without a heartbeat."
    )
    max_attempts: int = Field(3, ge=1, description="Tries per task before its job fails.")
    retry_base: float = Field(
        2.0, gt=0, description="First retry delay in seconds; doubles per try."
    )
    retry_cap: float = Field(300.0, gt=0, description="Longest retry delay in seconds.")
    poll_interval: float = Field(
        1.0, gt=0, description="Seconds an idle worker waits before looking for work unprompted."
    )
    worker_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Scheduling niceness of worker processes, so the API stays quick.",
    )
    tessdata_dir: Path | None = Field(None, description="Tesseract language data; default: found.")
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_json: bool = Field(False, description="Log one JSON object per line instead of text.")

    # Fields given by the environment or a caller, as opposed to defaults; kept
    # because filling the derived URLs below marks them as set.
    _explicit: set[str] = PrivateAttr(default_factory=set)

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        self._explicit = set(self.model_fields_set)
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'untxt.db').resolve()}"
        if not self.storage_url:
            self.storage_url = (self.data_dir / "blobs").resolve().as_uri()
        return self

    def with_overrides(self, **changes: Any) -> Settings:
        """Return new settings with the given fields replaced (``None`` values are ignored).

        Derived defaults (database and storage URLs) follow a changed ``data_dir``
        unless they were set explicitly.
        """
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        base = self.model_dump(include=self._explicit)
        if "data_dir" not in changes:
            base["database_url"] = self.database_url
            base["storage_url"] = self.storage_url
        base.update(changes)
        result = type(self).model_validate(base)
        # Copied-through derived URLs must stay derived for a later data_dir change.
        result._explicit = self._explicit | set(changes)
        return result


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, then apply explicit overrides (CLI flags)."""
    return Settings().with_overrides(**overrides)
