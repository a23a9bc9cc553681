"""``/v1/templates``: each owner's extraction templates, in invoice2data's YAML or JSON format.

The body of ``POST`` and ``PUT`` is the template itself (``Content-Type:
application/yaml`` or ``application/json``); a template that does not parse, or
whose patterns do not compile, is refused with 422 and the line of the error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from untxt.api.deps import NO_CONTROL_CHARACTERS, Principal, PrincipalDep, StateDep
from untxt.auth import audit
from untxt.db import templates as store
from untxt.db.models import TemplateRow
from untxt.db.types import utcnow
from untxt.errors import InvalidTemplateError
from untxt.extract.templates import MAX_TEMPLATE_BYTES, Template, parse_template

router = APIRouter(prefix="/v1/templates", tags=["templates"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
        "description": "An invoice2data template (issuer, keywords, fields, options, lines).",
    }
}
TemplateName = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=255,
        pattern=NO_CONTROL_CHARACTERS,
        description="Defaults to the template's template_name or issuer.",
    ),
]


class TemplateOut(BaseModel):
    """A template: its name, what it matches on, and (read one by id) its text."""

    id: str
    name: str
    issuer: str | None
    keywords: list[str]
    created_at: datetime
    updated_at: datetime
    source: str | None = Field(None, description="The template as given (GET by id).")
    links: dict[str, str]

    @classmethod
    def of(
        cls, row: TemplateRow, parsed: Template | None = None, *, source: bool = False
    ) -> TemplateOut:
        spec: dict[str, Any] = {}
        if parsed is None:
            try:
                parsed = parse_template(row.source, name=row.name)
            except InvalidTemplateError:
                parsed = None
        if parsed is not None:
            spec = parsed.spec
        keywords = spec.get("keywords", [])
        return cls(
            id=row.id,
            name=row.name,
            issuer=str(spec["issuer"]) if spec.get("issuer") is not None else None,
            keywords=[str(k) for k in (keywords if isinstance(keywords, list) else [keywords])],
            created_at=row.created_at,
            updated_at=row.updated_at,
            source=row.source if source else None,
            links={"self": f"/v1/templates/{row.id}"},
        )


class TemplateList(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None


async def _read(request: Request, name: str | None) -> tuple[str, str, Template]:
    """The body's text, the name to keep it under, and the template parsed."""
    body = await request.body()
    if len(body) > MAX_TEMPLATE_BYTES:
        raise InvalidTemplateError(f"a template may hold at most {MAX_TEMPLATE_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidTemplateError("the template is not UTF-8 text") from None
    parsed = await run_in_threadpool(parse_template, text, name=name)
    return text, name or parsed.name, parsed


def _audit(principal: Principal, session: Any, action: str, target: str) -> None:
    audit.record(
        session,
        action=action,
        actor=principal.actor,
        actor_email=principal.email,
        target=target,
        ip=principal.ip,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=TemplateOut, openapi_extra=_BODY
)
async def create_template(
    request: Request, state: StateDep, principal: PrincipalDep, name: TemplateName = None
) -> TemplateOut:
    """Add a template; jobs that extract fields use it from then on."""
    text, chosen, parsed = await _read(request, name)

    def create() -> TemplateOut:
        with state.db.write() as session:
            row = store.create_template(
                session, owner=principal.owner, name=chosen, source=text, now=utcnow()
            )
            _audit(principal, session, "template.create", row.id)
            return TemplateOut.of(row, parsed)

    return await run_in_threadpool(create)


@router.get("", response_model=TemplateList)
def list_templates(
    state: StateDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL_CHARACTERS)] = None,
) -> TemplateList:
    """The caller's templates, newest first."""
    with state.db.read() as session:
        rows = store.list_templates(session, owner=principal.owner, limit=limit, before=cursor)
    return TemplateList(
        items=[TemplateOut.of(row) for row in rows],
        next_cursor=rows[-1].id if len(rows) == limit else None,
    )


@router.get("/{template_id}", response_model=TemplateOut)
def get_template(template_id: str, state: StateDep, principal: PrincipalDep) -> TemplateOut:
    """One template, with its text."""
    with state.db.read() as session:
        row = store.get_template(session, owner=principal.owner, template_id=template_id)
    return TemplateOut.of(row, source=True)


@router.put("/{template_id}", response_model=TemplateOut, openapi_extra=_BODY)
async def replace_template(
    template_id: str,
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    name: TemplateName = None,
) -> TemplateOut:
    """Replace a template's text (and name)."""
    text, chosen, parsed = await _read(request, name)

    def replace() -> TemplateOut:
        with state.db.write() as session:
            row = store.update_template(
                session,
                owner=principal.owner,
                template_id=template_id,
                name=chosen,
                source=text,
                now=utcnow(),
            )
            _audit(principal, session, "template.update", row.id)
            return TemplateOut.of(row, parsed, source=True)

    return await run_in_threadpool(replace)


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_template(template_id: str, state: StateDep, principal: PrincipalDep) -> Response:
    """Delete a template; results already extracted keep their fields."""
    with state.db.write() as session:
        store.delete_template(session, owner=principal.owner, template_id=template_id)
        _audit(principal, session, "template.delete", template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
