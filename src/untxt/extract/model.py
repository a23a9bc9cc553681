"""The fields of a document: what extractors return and what the API serves.

Every value is grounded: it names the words it was read from (ids of the form
``p<page>w<index>``, the index counting that page's words in reading order from 0,
as the ``json`` result lists them), the page, and the box around those words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from untxt.document import BBox

SCHEMA_ID: Final = "untxt.fields/1"

FieldKind = Literal["string", "date", "time", "number", "amount", "currency", "phone", "rate"]
DocumentType = Literal["receipt", "invoice", "utility_bill", "other"]
UtilityKind = Literal["electricity", "water", "telecom"]


class Correction(BaseModel):
    """A value set by hand: by whom and when, and what had been extracted."""

    model_config = ConfigDict(extra="forbid")

    by: str = Field(description="Who corrected it: a user id, or 'local' in single-user mode.")
    at: datetime
    extracted_value: Any = Field(
        None, description="The value as extracted, kept beside the correction."
    )
    extracted_content: str | None = None


class FieldValue(BaseModel):
    """One field: its typed value, the text it was read from, and where."""

    model_config = ConfigDict(extra="forbid")

    type: FieldKind
    value: Any = Field(
        description="Typed: ISO 8601 date or time, a number for amounts and quantities, an ISO "
        "4217 code for currencies, otherwise a string."
    )
    content: str = Field(description="The text exactly as printed, joined in reading order.")
    confidence: float = Field(ge=0, le=1)
    page: int | None = Field(None, ge=1, description="1-based page of the source words.")
    bbox: BBox | None = Field(None, description="Box around the source words, in page pixels.")
    words: list[str] = Field(default_factory=list, description="Ids of the source words.")
    source: str = Field(description="What found it: rule:<name>, template:<name> or manual.")
    correction: Correction | None = None


Item = dict[str, FieldValue]


class Extraction(BaseModel):
    """The fields of one document, as extracted (corrections applied when served)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["untxt.fields/1"] = Field(SCHEMA_ID, alias="schema")
    document_type: DocumentType
    document_subtype: UtilityKind | None = Field(
        None, description="For utility bills: electricity, water or telecom."
    )
    type_confidence: float = Field(ge=0, le=1)
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def field_names(self) -> list[str]:
        """Names of the fields found, items included as ``Items`` when there are any."""
        return [*self.fields, *(["Items"] if self.items else [])]

    def dump(self) -> dict[str, Any]:
        """The JSON form, as stored and served."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class FieldSpec(BaseModel):
    """A field a document type declares: its name, kind, and what it means."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: FieldKind
    description: str
