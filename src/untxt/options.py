"""Job options: what a client may ask of one OCR job, validated once at submit time."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Mode = Literal["document", "handwritten", "general", "figure"]
Resolution = Literal["tiny", "small", "base", "large", "gundam"]
FormatName = Literal["json", "text", "markdown", "hocr"]

ALL_FORMATS: tuple[FormatName, ...] = ("json", "text", "markdown", "hocr")
# Render DPI for PDF pages at each resolution preset; images keep their own pixels.
RESOLUTION_DPI: dict[str, int] = {
    "tiny": 100,
    "small": 200,
    "base": 300,
    "large": 400,
    "gundam": 600,
}


class JobOptions(BaseModel):
    """Options of one OCR job. Unknown keys are refused, never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    engine: str = Field("tesseract", description="OCR engine name; see GET /v1/engines.")
    languages: list[str] = Field(
        default_factory=lambda: ["eng"],
        min_length=1,
        max_length=8,
        description="Engine language codes, most likely first, e.g. ['eng', 'vie'].",
    )
    mode: Mode = Field("document", description="What kind of content the pages hold.")
    resolution: Resolution = Field("base", description="PDF render DPI preset (base = 300 DPI).")
    outputs: list[FormatName] = Field(
        default_factory=lambda: list(ALL_FORMATS),
        min_length=1,
        description="Result formats to store.",
    )
    priority: int = Field(5, ge=0, le=10, description="0-10; higher runs first.")

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: list[str]) -> list[str]:
        for code in value:
            if not code or not code.replace("_", "").isalnum() or len(code) > 32:
                raise ValueError(f"not a language code: {code!r}")
        return list(dict.fromkeys(value))

    @field_validator("outputs")
    @classmethod
    def _dedupe_outputs(cls, value: list[FormatName]) -> list[FormatName]:
        return list(dict.fromkeys(value))

    @property
    def dpi(self) -> int:
        return RESOLUTION_DPI[self.resolution]
