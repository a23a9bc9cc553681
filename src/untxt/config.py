"""Settings: every knob is an ``UNTXT_*`` environment variable; defaults give the embedded mode."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta | None:
    """Parse ``90m``, ``12h``, ``30d`` (also ``s``, ``w``); ``0`` or ``off`` give ``None`` (never).

    Raises :class:`ValueError` with the accepted forms for anything else.
    """
    value = text.strip().lower()
    if value in ("0", "off"):
        return None
    match = _DURATION.fullmatch(value)
    if match is None:
        raise ValueError(
            f"invalid duration {text!r}: use a whole number and a unit, "
            "s, m, h, d or w (e.g. 90m, 12h, 30d), or 0 or off for none"
        )
    number, unit = match.groups()
    if int(number) == 0:
        return None
    try:
        return timedelta(**{_UNITS[unit]: int(number)})
    except OverflowError:
        raise ValueError(f"duration {text!r} is too long") from None


def parse_retry_schedule(text: str) -> list[float]:
    """Parse comma-separated positive seconds (``5,30,120``); empty means no retries."""
    delays = []
    for item in text.split(","):
        if not item.strip():
            continue
        try:
            delay = float(item)
        except ValueError:
            delay = -1.0
        if not 0 < delay <= 7 * 86400:
            raise ValueError(
                f"invalid retry delay {item.strip()!r}: use seconds between 0 and one week, "
                "comma-separated (5,30,120)"
            )
        delays.append(delay)
    return delays


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
        default_factory=cpu_count,
        ge=0,
        description="OCR worker processes started by `untxt serve`.",
    )
    api_processes: int = Field(
        0,
        ge=0,
        le=64,
        description="API processes `untxt serve` runs on its port; 0: one per CPU on an "
        "API-only node (workers 0), one beside OCR workers.",
    )
    submit_concurrency: int = Field(
        0,
        ge=0,
        le=256,
        description="Uploads one API process checks and stores at once; the others wait "
        "their turn, first come first served, and the rows of those ready together are "
        "written in one transaction. 0: 1 with local storage, 16 with S3 (whose writes wait "
        "on the network rather than the CPU).",
    )
    max_upload_bytes: int = Field(100 * 1024 * 1024, gt=0, description="Largest accepted upload.")
    max_pages: int = Field(2000, gt=0, description="Most pages accepted in one document.")
    max_image_pixels: int = Field(
        120_000_000, gt=0, description="Largest page image, in pixels, before it is refused."
    )
    max_batch: int = Field(50, ge=1, description="Most documents queued by one batch submit.")
    idempotency_ttl: float = Field(
        86400.0, gt=0, description="Seconds an Idempotency-Key and its first answer are kept."
    )
    lease_ttl: float = Field(
        30.0, gt=0, description="Seconds a claimed task is held without a heartbeat."
    )
    worker_batch: int = Field(
        1,
        ge=1,
        le=100,
        description="Tasks a worker claims at once; the one-page jobs among them are "
        "completed together (for engines that read many pages a second).",
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
    s3_endpoint_url: str | None = Field(
        None,
        description="Endpoint of an S3-compatible store (MinIO, Ceph, Garage); default: AWS. "
        "Credentials come from boto3's standard chain: AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role.",
    )
    s3_region: str | None = Field(
        None, description="Region of the S3 bucket; default: boto3's (AWS_DEFAULT_REGION)."
    )
    s3_sse: Literal["AES256", "aws:kms"] | None = Field(
        None,
        description="Server-side encryption of every object untxt writes to S3: AES256 "
        "(keys the store manages) or aws:kms (a KMS key); default: the bucket's own setting.",
    )
    s3_kms_key_id: str | None = Field(
        None,
        description="KMS key (id, ARN or alias/NAME) for UNTXT_S3_SSE=aws:kms; default: the "
        "store's default key (AWS: aws/s3).",
    )
    link_ttl: float = Field(
        3600.0,
        gt=0,
        le=7 * 86400,
        description="Seconds a download link (GET /v1/jobs/{id}/result?download=url) works "
        "(at most a week, as S3 allows).",
    )
    retention: str = Field(
        "30d",
        description="How long finished jobs and unused documents are kept, e.g. 90m, 12h, "
        "30d; 0 or off keeps everything.",
    )
    cleanup_interval: float = Field(
        3600.0, gt=0, description="Seconds between retention cleanups on each node."
    )
    tessdata_dir: Path | None = Field(None, description="Tesseract language data; default: found.")
    engine_threads: int | None = Field(
        None,
        ge=1,
        description="Threads each OCR engine instance computes with (ONNX Runtime intra-op "
        "threads for ppocr); default: the worker's share of the cores, CPU count divided "
        "by `workers` (at least 1).",
    )
    engine_device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="Where ppocr runs its models: cuda when onnxruntime-gpu sees a GPU "
        "(auto), or always cpu; cuda refuses to start without one.",
    )
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_json: bool = Field(False, description="Log one JSON object per line instead of text.")
    # Observability: Prometheus metrics and OpenTelemetry traces (see docs/metrics.md).
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that GET /metrics (and a worker's metrics port) requires; "
        "default: none, metrics are open.",
    )
    worker_metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Port where `untxt worker` serves /metrics and /healthz; default: 9464, "
        "skipped with a warning when taken; 0: none.",
    )
    worker_metrics_host: str = Field(
        "0.0.0.0", description="Address the worker's metrics port listens on."
    )
    otel: bool = Field(
        False,
        description="Send OpenTelemetry traces (needs the otel extra); also on when "
        "OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs browser sessions; default: one generated at first use "
        "and kept in the database, so restarts and every node agree.",
    )
    session_ttl: float = Field(
        8 * 3600.0, gt=0, description="Seconds a browser session lasts after login."
    )
    # Abuse resistance: rate limits, quotas, the job time limit, cross-origin access.
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) where rate limits are counted, so that "
        "every API node shares them; default: in memory, per process.",
    )
    rate_limit_submit: str = Field(
        "60/minute",
        description="Submits (POSTs that create documents or jobs) per credential and per "
        "client address, in `limits` notation (10/second, 1000 per hour); off for none.",
    )
    rate_limit_read: str = Field(
        "600/minute",
        description="Other /v1 requests per credential and per client address; off for none.",
    )
    quota_queued_jobs: int = Field(
        1000, ge=0, description="Most unfinished (queued or processing) jobs per owner; 0: none."
    )
    quota_stored_bytes: int = Field(
        10 * 1024**3, ge=0, description="Most bytes of documents stored per owner; 0: no limit."
    )
    job_timeout: float = Field(
        600.0,
        ge=0,
        description="Seconds a job may run per page, from its first page's start, before it "
        "fails; 0: no limit.",
    )
    cors_origins: str = Field(
        "",
        description="Origins allowed to call the API from a browser, comma-separated "
        "(https://app.example.com), or *; empty: none.",
    )
    # Events pushed to clients: Server-Sent Events and WebSocket.
    event_heartbeat: float = Field(
        15.0,
        gt=0,
        description="Seconds between keep-alives on an idle event stream (an SSE comment, "
        'a WebSocket {"type": "ping"}), so proxies keep the connection open.',
    )
    event_poll_interval: float = Field(
        0.05,
        gt=0,
        description="Seconds between looks for new events while clients are subscribed "
        "(SQLite, where a look asks only whether anything committed; on PostgreSQL, LISTEN "
        "wakes streams and this is the pace after it fails).",
    )
    # Webhooks: delivery of events to subscribers' URLs (see docs/events.md).
    webhook_delivery: bool = Field(
        True,
        description="Run the webhook delivery loop in API processes. Every node may: each "
        "delivery is leased to one.",
    )
    webhook_retry_schedule: str = Field(
        "5,30,120,600,1800,3600,7200,14400,28800,43200",
        description="Seconds to wait before each retry of a failed delivery, comma-separated "
        "(each drawn within +-20% of it); a delivery fails for good after the last.",
    )
    webhook_timeout: float = Field(
        10.0, gt=0, description="Seconds a webhook endpoint has to answer one delivery."
    )
    # Questions (/v1/ask): any OpenAI-compatible chat-completions server, or none.
    llm_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible API (http://localhost:11434/v1 for "
        "Ollama, http://host:8000/v1 for vLLM); unset: questions are answered from the "
        "fields and passages alone.",
    )
    llm_model: str | None = Field(None, description="Model name the LLM server knows.")
    llm_api_key: SecretStr | None = Field(None, description="Bearer key for the LLM server.")
    llm_timeout: float = Field(
        60.0,
        gt=0,
        le=600,
        description="Seconds the LLM server has to start and continue answering.",
    )
    llm_retries: int = Field(
        2, ge=0, le=10, description="Retries on 429, 5xx and connection failures, with backoff."
    )
    webhook_allowed_hosts: str = Field(
        "",
        description="Hosts and addresses webhooks may call although they are private, "
        "loopback or otherwise not public, comma-separated (127.0.0.1,localhost).",
    )
    webhook_concurrency: int = Field(
        8, ge=1, le=256, description="Deliveries each node sends at the same time."
    )
    webhook_lease: float = Field(
        60.0,
        gt=0,
        description="Seconds a node holds a delivery it claimed; after that (the node died) "
        "another node sends it. Longer than webhook_timeout.",
    )
    webhook_poll_interval: float = Field(
        0.05,
        gt=0,
        description="Seconds between looks for due deliveries when no commit woke the "
        "delivery loop (it is woken at once in the committing process and, on PostgreSQL, "
        "by NOTIFY).",
    )

    @field_validator("rate_limit_submit", "rate_limit_read")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from untxt.rate_notation import parse_rate  # settings load first

        parse_rate(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        from untxt.rate_notation import limits_redis_uri  # settings load first

        if value:
            limits_redis_uri(value)
        return value

    @field_validator("s3_sse", mode="before")
    @classmethod
    def _empty_sse_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("s3_kms_key_id")
    @classmethod
    def _kms_key_needs_kms(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("s3_sse") != "aws:kms":
            raise ValueError("a KMS key is used only with UNTXT_S3_SSE=aws:kms")
        return value or None

    @property
    def cors_origin_list(self) -> list[str]:
        """:attr:`cors_origins` as a list."""
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @field_validator("retention")
    @classmethod
    def _check_retention(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _check_webhook_retry_schedule(cls, value: str) -> str:
        parse_retry_schedule(value)
        return value

    @property
    def webhook_retry_delays(self) -> list[float]:
        """:attr:`webhook_retry_schedule` as seconds."""
        return parse_retry_schedule(self.webhook_retry_schedule)

    @property
    def retention_period(self) -> timedelta | None:
        """:attr:`retention` as a duration; ``None`` when retention is off."""
        return parse_duration(self.retention)

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

    def threads_per_engine(self) -> int:
        """Threads one OCR engine instance computes with: ``engine_threads``, or this
        machine's cores shared out among the ``workers`` processes (at least 1)."""
        if self.engine_threads:
            return self.engine_threads
        return max(1, cpu_count() // max(1, self.workers))

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
