"""Job options: what a client may ask of one OCR job, validated once at submit time."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from untxt.errors import UnsafeWebhookURLError

Mode = Literal["document", "handwritten", "general", "figure"]
Resolution = Literal["tiny", "small", "base", "large", "gundam"]
FormatName = Literal["json", "text", "markdown", "hocr", "alto", "html", "pdf"]
PdfMode = Literal["auto", "force", "skip_text"]
EventType = Literal[
    "job.queued", "job.processing", "job.progress", "job.completed", "job.failed", "job.cancelled"
]

ALL_FORMATS: tuple[FormatName, ...] = ("json", "text", "markdown", "hocr", "alto", "html", "pdf")
#: Stored when a job names no outputs: all but the searchable PDF, which re-encodes
#: every page image and so is asked for by name.
DEFAULT_FORMATS: tuple[FormatName, ...] = tuple(f for f in ALL_FORMATS if f != "pdf")
# Render DPI for PDF pages at each resolution preset; images keep their own pixels.
RESOLUTION_DPI: dict[str, int] = {
    "tiny": 100,
    "small": 200,
    "base": 300,
    "large": 400,
    "gundam": 600,
}
#: The longest webhook URL taken (``webhook_url``, ``POST /v1/webhooks``).
MAX_URL_LENGTH = 2048
_URL_SCHEMES = {"http": 80, "https": 443}


class Preprocess(BaseModel):
    """Corrections applied to each page image before recognition."""

    model_config = ConfigDict(extra="forbid")

    orientation: bool = Field(
        True, description="Detect pages turned 90/180/270 degrees and right them."
    )
    deskew: bool = Field(True, description="Straighten pages scanned a few degrees askew.")
    upscale: bool = Field(
        True, description="Enlarge low-resolution images (small receipts, thumbnails)."
    )
    clean: bool = Field(False, description="Even out the background and remove specks.")


class JobOptions(BaseModel):
    """Options of one OCR job. Unknown keys are refused, never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    engine: str = Field(
        "auto",
        description="OCR engine name, or 'auto' for the best installed one for the languages; "
        "see GET /v1/engines.",
    )
    languages: list[str] = Field(
        default_factory=lambda: ["eng"],
        min_length=1,
        max_length=8,
        description="Engine language codes, most likely first, e.g. ['eng', 'vie'].",
    )
    mode: Mode = Field("document", description="What kind of content the pages hold.")
    resolution: Resolution = Field("base", description="PDF render DPI preset (base = 300 DPI).")
    pdf_mode: PdfMode = Field(
        "auto",
        description="PDF pages with a text layer: 'auto' keeps it instead of OCR, 'force' OCRs "
        "every page, 'skip_text' leaves pages with text out.",
    )
    preprocess: Preprocess = Field(default_factory=Preprocess)
    no_cache: bool = Field(
        False, description="Run OCR even if the same file was read with the same options before."
    )
    outputs: list[FormatName] = Field(
        default_factory=lambda: list(DEFAULT_FORMATS),
        min_length=1,
        description="Result formats to store.",
    )
    extract: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="Fields to extract: ['auto'] classifies the document (receipt, invoice, "
        "utility_bill, other) and reads its type's fields; a type by name forces it. See "
        "docs/fields.md.",
    )
    priority: int = Field(5, ge=0, le=10, description="0-10; higher runs first.")
    webhook_url: str | None = Field(
        None,
        max_length=MAX_URL_LENGTH,
        description="http(s) URL that receives this job's events as signed POSTs (see "
        "docs/events.md); it must reach a public address.",
    )

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: list[str]) -> list[str]:
        for code in value:
            if not code or not code.replace("_", "").isalnum() or len(code) > 32:
                raise ValueError(f"not a language code: {code!r}")
        return list(dict.fromkeys(value))

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                split_url(value)  # the scheme and host; addresses are checked at submit
            except UnsafeWebhookURLError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("extract")
    @classmethod
    def _check_extract(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name or not name.replace("_", "").isalnum() or len(name) > 32:
                raise ValueError(f"not a document type: {name!r}")
        return list(dict.fromkeys(value))

    @field_validator("outputs")
    @classmethod
    def _dedupe_outputs(cls, value: list[FormatName]) -> list[FormatName]:
        return list(dict.fromkeys(value))

    @property
    def dpi(self) -> int:
        return RESOLUTION_DPI[self.resolution]


def split_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL; raises :class:`UnsafeWebhookURLError`.

    The shape of a webhook URL only: where its host resolves to is checked by
    :func:`untxt.events.ssrf.check_url`.
    """
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookURLError(f"the webhook URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookURLError(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _URL_SCHEMES:
        raise UnsafeWebhookURLError(
            f"webhook URLs must use http or https, not {parts.scheme or 'no scheme'!r}"
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeWebhookURLError("the webhook URL has no host")
    if any(c.isspace() for c in url):
        raise UnsafeWebhookURLError("the webhook URL contains whitespace")
    return scheme, host, port or _URL_SCHEMES[scheme]
