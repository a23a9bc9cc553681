"""``POST /v1/ask``: a question about the caller's documents, answered with citations.

With a language model configured (``UNTXT_LLM_URL``) the model answers from the
retrieved sources only and the answer can stream (``Accept: text/event-stream``);
without one, the database answers what the fields answer and the best passages are
returned otherwise. Either way the question and answer go to the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.encoders import jsonable_encoder
from fastapi.sse import format_sse_event
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse

from untxt.api.deps import NO_CONTROL_CHARACTERS, AppState, Principal, PrincipalDep, StateDep
from untxt.api.problems import problem_type
from untxt.api.schemas_ask import AskAnswer
from untxt.ask.answer import Grounds, gather
from untxt.ask.facts import NO_MODEL, NOTHING, computed_text
from untxt.ask.intent import answer_language
from untxt.ask.llm import ChatStream, ModelSettings, open_chat
from untxt.ask.prompt import cited, messages
from untxt.auth import audit
from untxt.db.documents import get_documents
from untxt.errors import LLMUnavailableError, NotFoundError

router = APIRouter(tags=["search"])
#: Characters of an answer kept in the audit log.
_AUDITED_CHARS = 4000


class AskRequest(BaseModel):
    """A question, and optionally which documents it is about and the answer's language."""

    question: str = Field(min_length=1, max_length=1000, pattern=NO_CONTROL_CHARACTERS)
    document_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=100, description="Only these documents (the caller's own)."
    )
    language: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="Answer in this language (en, vi, ...); default: the question's.",
    )


def _model(state: AppState) -> ModelSettings | None:
    settings = state.settings
    if not settings.llm_url:
        return None
    if not settings.llm_model:
        raise LLMUnavailableError(
            "UNTXT_LLM_URL is set but UNTXT_LLM_MODEL is not: set the name of the model "
            "the server should answer with"
        )
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return ModelSettings(
        url=settings.llm_url,
        model=settings.llm_model,
        api_key=key,
        timeout=settings.llm_timeout,
        retries=settings.llm_retries,
    )


def _gather(state: AppState, principal: Principal, request: AskRequest) -> Grounds:
    documents = tuple(dict.fromkeys(request.document_ids)) if request.document_ids else None
    with state.db.read() as session:
        if documents:
            found = get_documents(session, owner=principal.owner, document_ids=documents)
            missing = [d for d in documents if d not in found]
            if missing:
                raise NotFoundError(f"no document {missing[0]!r}")
        return gather(
            session,
            request.question,
            owner=principal.owner,
            document_ids=documents,
            today=dt.datetime.now(dt.UTC).date(),
        )


def _audit(state: AppState, principal: Principal, answer: AskAnswer) -> None:
    detail: dict[str, Any] = {
        "question": answer.question,
        "answer": (answer.answer or "")[:_AUDITED_CHARS],
        "answered_by": answer.answered_by,
        "model": answer.model,
        "documents": list(dict.fromkeys(c.document_id for c in answer.citations if c.document_id)),
    }
    with state.db.write() as session:
        audit.record(
            session,
            action="ask.question",
            actor=principal.actor,
            actor_email=principal.email,
            ip=principal.ip,
            detail=detail,
        )


def _without_model(grounds: Grounds, question: str, language: str) -> AskAnswer:
    """What the data answers: a computed sum, count or field, else the best passages."""
    lang = answer_language(language)
    if grounds.computed is not None:
        refs = [s.ref for s in grounds.sources if s.kind == "fields"]
        text = computed_text(grounds.computed, lang)
        return AskAnswer.build(question, language, grounds, text, "fields", refs)
    passages = [s.ref for s in grounds.sources if s.kind == "passage"]
    note = NO_MODEL[lang] if passages else NOTHING[lang]
    return AskAnswer.build(question, language, grounds, None, "none", passages, note=note)


def _sse(event: str, body: Any) -> bytes:
    data = json.dumps(jsonable_encoder(body), separators=(",", ":"), ensure_ascii=False)
    return format_sse_event(data_str=data, event=event)


async def _streamed(
    state: AppState,
    principal: Principal,
    grounds: Grounds,
    request: AskRequest,
    language: str,
    chat: ChatStream,
) -> AsyncIterator[bytes]:
    sources = AskAnswer.build(request.question, language, grounds, None, "model", []).sources
    yield _sse("sources", sources)
    pieces: list[str] = []
    try:
        async for piece in chat:
            pieces.append(piece)
            yield _sse("delta", {"text": piece})
    except LLMUnavailableError as error:
        yield _sse(
            "error",
            {
                "type": problem_type(error.problem),
                "title": error.title,
                "status": error.status,
                "detail": str(error),
            },
        )
        return
    finally:
        await chat.aclose()
    text = "".join(pieces)
    answer = AskAnswer.build(
        request.question,
        language,
        grounds,
        text,
        "model",
        cited(text, grounds.sources),
        model=chat.model,
    )
    await run_in_threadpool(_audit, state, principal, answer)
    yield _sse("answer", answer)


@router.post(
    "/v1/ask",
    response_model=AskAnswer,
    responses={
        200: {
            "description": "The answer (JSON), or with Accept: text/event-stream a stream of "
            "events: sources, delta (pieces of the model's answer), answer (as in JSON), "
            "or error.",
            "content": {"text/event-stream": {}},
        },
        503: {"description": "The language model server is down, slow or refused."},
    },
)
async def ask(
    request: AskRequest,
    state: StateDep,
    principal: PrincipalDep,
    accept: Annotated[str, Header()] = "application/json",
) -> Response:
    """Answer a question from the caller's documents, citing the pages and lines it used."""
    grounds = await run_in_threadpool(_gather, state, principal, request)
    language = request.language or grounds.intent.language
    model = _model(state)
    stream = "text/event-stream" in accept
    if model is None or not grounds.sources:
        answer = _without_model(grounds, request.question, language)
        await run_in_threadpool(_audit, state, principal, answer)
        if stream:
            return StreamingResponse(
                iter([_sse("sources", answer.sources), _sse("answer", answer)]),
                media_type="text/event-stream",
            )
        return JSONResponse(jsonable_encoder(answer))
    chat = await open_chat(model, messages(request.question, grounds.sources, language))
    if stream:
        return StreamingResponse(
            _streamed(state, principal, grounds, request, language, chat),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )
    try:
        text = "".join([piece async for piece in chat])
    finally:
        await chat.aclose()
    refs = cited(text, grounds.sources)
    answer = AskAnswer.build(
        request.question, language, grounds, text, "model", refs, model=chat.model
    )
    await run_in_threadpool(_audit, state, principal, answer)
    return JSONResponse(jsonable_encoder(answer))
