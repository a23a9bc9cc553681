"""Accepting an upload: read it within the limit, check what it is, store its bytes."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import PurePath

from PIL import Image
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from untxt.api.deps import AppState
from untxt.auth.quotas import check_stored_bytes
from untxt.db.documents import add_document
from untxt.db.models import DocumentRow
from untxt.db.types import utcnow
from untxt.errors import InputTooLargeError, InvalidOptionsError, UntxtError
from untxt.events.ssrf import check_url, parse_allowed_hosts
from untxt.extract.registry import check_extract
from untxt.logs import get_logger
from untxt.options import JobOptions
from untxt.pipeline import inspect_input
from untxt.storage.base import Staged
from untxt.storage.keys import document_blob_key

_MAX_FILENAME = 255
OPTIONS_HELP = (
    'Job options as JSON, e.g. {"languages": ["eng"], "priority": 7}. '
    "Keys: engine, languages, mode, resolution, outputs, extract, priority."
)

log = get_logger(__name__)


def parse_options(raw: str | None, state: AppState) -> JobOptions:
    """Parse and check the ``options`` form field, including the engine's abilities."""
    try:
        options = JobOptions.model_validate_json(raw) if raw and raw.strip() else JobOptions()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidOptionsError(f"invalid options: {problems}") from None
    return check_options(options, state)


def check_options(options: JobOptions, state: AppState) -> JobOptions:
    """Check that an engine can honour ``options``; the job records the engine chosen."""
    if options.webhook_url is not None:
        allowed = parse_allowed_hosts(state.settings.webhook_allowed_hosts)
        check_url(options.webhook_url, allowed=allowed)
    engine = state.engines.resolve(options.engine, options.languages, options.mode)
    state.engines.get(engine).check(options.languages, options.mode)
    if options.extract:
        check_extract(options.extract)
    return options.model_copy(update={"engine": engine})


def warm_up(state: AppState) -> None:
    """Load now what a submit needs on first use: Pillow's readers of the image
    formats, the engine ``auto`` chooses for the default options, and its version.

    Loading them imports libraries (Pillow's plugins, ONNX Runtime, Tesseract's):
    about 0.1 s that the first upload to each API process waited for. An engine that
    cannot be loaded is left for the submits to report: a failure here stops nothing.
    """
    Image.init()
    try:
        options = parse_options(None, state)
        state.engines.get(options.engine).version()
    except UntxtError:
        pass  # no engine for the defaults: each submit says so
    except Exception:  # a plugin engine's constructor may fail in any way
        log.warning("the default engine could not be loaded ahead", exc_info=True)


def _filename(upload: UploadFile) -> str:
    """The upload's own name, as metadata only: no folders, no control characters
    (PostgreSQL cannot store NUL), at most 255 characters."""
    printable = "".join(c for c in upload.filename or "" if c.isprintable())
    name = PurePath(printable.replace("\\", "/")).name.strip()
    if name.strip(".") == "":
        name = "upload"
    return name[:_MAX_FILENAME]


@dataclass(frozen=True)
class Upload:
    """An accepted upload whose bytes are already in blob storage (on the device once
    :meth:`settle` returns)."""

    sha256: str
    filename: str
    media_type: str
    size: int
    pages: int
    staged: Staged | None = field(default=None, repr=False, compare=False)

    def settle(self) -> None:
        """Wait until the bytes are on the device (at once when they were already)."""
        if self.staged is not None:
            self.staged.settle()

    async def settled(self) -> None:
        """:meth:`settle` on the event loop, holding no thread meanwhile."""
        if self.staged is None:
            return
        settling = self.staged.settling()
        if settling.done():  # mostly: no hand-over from the store's thread to the loop
            settling.result()
            return
        # Shielded: a client that leaves must not cancel an fsync not begun yet.
        await asyncio.shield(asyncio.wrap_future(settling))


def receive_upload(
    upload: UploadFile, state: AppState, *, owner: str, pending: int = 0, settled: bool = True
) -> Upload:
    """Read an upload within the size limit, check what it is and the owner's storage
    quota (``pending``: bytes of this request not stored yet), and store its bytes.

    The blob lands before any row refers to it, and outside the database
    transaction, whose write lock should be held for as short a time as possible;
    so is the quota checked, at the cost of letting concurrent uploads pass it.
    With ``settled=False`` the blob is in place but maybe not yet on the device: the
    caller writes its rows meanwhile, and calls :meth:`Upload.settle` before it answers.
    """
    limit = state.settings.max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise InputTooLargeError(f"the upload exceeds the limit of {limit} bytes")
    # The bytes go to the device while they are checked and hashed; kept only if they pass.
    staged = state.storage.stage(data)
    try:
        info = inspect_input(
            data, max_pages=state.settings.max_pages, max_pixels=state.settings.max_image_pixels
        )
        sha256 = hashlib.sha256(data).hexdigest()
        check_stored_bytes(
            state.db.read,
            settings=state.settings,
            owner=owner,
            sha256=sha256,
            size=len(data) + pending,
            estimate=state.stored_bytes,
        )
    except BaseException:
        staged.discard()
        raise
    # Stored even when the same bytes are stored already: the fresh write time keeps
    # the retention sweep, which spares young blobs, from deleting it before our row
    # refers to it.
    staged.place(document_blob_key(sha256))
    accepted = Upload(sha256, _filename(upload), info.media_type, len(data), info.pages, staged)
    if settled:
        accepted.settle()
    return accepted


def record_upload(session: Session, upload: Upload, *, owner: str) -> tuple[DocumentRow, bool]:
    """The owner's document for ``upload`` (the same bytes from the same owner are one
    document), and whether this call created it."""
    return add_document(
        session,
        owner=owner,
        sha256=upload.sha256,
        filename=upload.filename,
        media_type=upload.media_type,
        size=upload.size,
        pages=upload.pages,
        now=utcnow(),
    )
