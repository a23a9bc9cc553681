"""The exceptions untxt raises, one tree, each API-facing one mapped to one problem type.

::

    UntxtError
    ├── InputError              the document itself cannot be used (never retried)
    │   ├── EmptyInputError         zero bytes
    │   ├── UnsupportedInputError   not a format untxt reads (415)
    │   ├── CorruptInputError       a known format, but damaged or truncated
    │   ├── EncryptedInputError     a PDF that needs a password
    │   └── InputTooLargeError      too many bytes or pages (413)
    │       └── ImageTooLargeError      a page image of too many pixels (422)
    ├── InvalidOptionsError     job options that are not valid (422)
    ├── InvalidTemplateError    an extraction template that does not parse (422)
    ├── InvalidCorrectionError  a field correction that names no field or has a bad value (422)
    ├── InvalidSearchError      a query with an unbalanced quote, no words, a bad filter (422)
    ├── InvalidRequestError     query parameters at odds with each other or a bound (422)
    ├── UnsupportedContentTypeError  a request body of a type the endpoint does not take (415)
    ├── PayloadTooLargeError    a request body over the upload limit (413)  [api.limits]
    ├── BatchTooLargeError      more documents in one batch than allowed (413)
    ├── InvalidIdempotencyKeyError  not 1-255 printable ASCII characters (400)
    ├── IdempotencyKeyReusedError   a key used before for a different request (422)
    ├── UnsafeWebhookURLError   a webhook URL that is malformed or reaches a private address (422)
    ├── EngineError             an OCR engine is missing, misconfigured or broke
    │   └── EngineUnavailableError  not installed, or lacks a requested language (never retried)
    ├── NotFoundError           no such document / job / result (404)
    │   └── BlobNotFoundError       no blob under that key  [storage.base]
    ├── DocumentGoneError       a job's document deleted, or its bytes no longer stored (410)
    ├── ConflictError           the request contradicts the resource's state (409)
    ├── QuotaExceededError      an owner's quota is used up
    │   ├── QueuedJobsQuotaError    too many unfinished jobs (429)
    │   └── StorageQuotaError       too many stored bytes (413)
    ├── AuthenticationError     no credentials, or unknown or expired ones (401)  [auth.errors]
    ├── PermissionDeniedError   a known caller who may not do this (403)  [auth.errors]
    │   └── CsrfError               a cookie's write without its CSRF token  [auth.errors]
    ├── InvalidAccountError     an unusable e-mail address, password or role (422)  [auth.errors]
    ├── LinkError               a download link changed or not signed here (403)  [storage.links]
    │   └── LinkExpiredError        a download link whose time is up  [storage.links]
    ├── JobTimeoutError         a job ran past UNTXT_JOB_TIMEOUT (never retried)
    ├── ExtractionError         a field extractor broke on a document (never retried)
    ├── NotReadyError           a dependency (database, storage) is down (503)
    ├── LLMUnavailableError     no language model is configured, or its server failed (503)
    ├── ApiError                the server answered the Python client with a problem  [client]
    └── ServerUnreachableError  the Python client could not reach the server  [client]

A number is the HTTP status of the problem. A class marked ``[module]`` is defined in
``untxt.<module>``, beside what raises it; the rest are defined here. ``untxt`` exports
those defined here and the client's, the errors a caller of its Python API meets.
``permanent`` tells the worker whether a retry could ever succeed; ``extra`` holds
members the API adds to the problem body (which item of a batch failed, say).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class UntxtError(Exception):
    """Base of every error untxt raises on purpose."""

    status = 500
    problem = "internal"
    title = "Internal error"
    permanent = False

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.extra: dict[str, Any] = {}


class InputError(UntxtError):
    """The input document cannot be processed as given."""

    status = 422
    problem = "invalid-document"
    title = "Document cannot be processed"
    permanent = True


class EmptyInputError(InputError):
    """The upload has no bytes."""

    problem = "empty-document"
    title = "Empty document"


class UnsupportedInputError(InputError):
    """The upload is not a format untxt reads."""

    status = 415
    problem = "unsupported-media-type"
    title = "Unsupported document type"


class CorruptInputError(InputError):
    """The upload claims a known format but cannot be decoded."""

    problem = "corrupt-document"
    title = "Corrupt document"


class EncryptedInputError(InputError):
    """The PDF is protected by a password."""

    problem = "encrypted-document"
    title = "Encrypted document"


class InputTooLargeError(InputError):
    """The document exceeds a configured size limit."""

    status = 413
    problem = "document-too-large"
    title = "Document too large"


class ImageTooLargeError(InputTooLargeError):
    """A page image claims more pixels than allowed (a decompression bomb, say).

    422, not 413: the request body was small; what it holds cannot be processed.
    """

    status = 422
    problem = "image-too-large"
    title = "Image too large"


class InvalidOptionsError(UntxtError):
    """Job options that are not valid: an unknown key, a value out of range, bad JSON."""

    status = 422
    problem = "invalid-options"
    title = "Invalid job options"
    permanent = True


class InvalidTemplateError(UntxtError):
    """An extraction template that does not parse, or whose patterns do not compile.

    ``extra["line"]`` is the 1-based line of the error, when it is known.
    """

    status = 422
    problem = "invalid-template"
    title = "Template cannot be used"
    permanent = True


class InvalidCorrectionError(UntxtError):
    """A correction of fields that names no field of the document, or a value of the
    wrong kind (a date that is no date, say)."""

    status = 422
    problem = "invalid-correction"
    title = "Invalid correction"
    permanent = True


class InvalidSearchError(UntxtError):
    """A search query that cannot be read: an unbalanced quote, no words, a filter's bad value."""

    status = 422
    problem = "invalid-search"
    title = "Invalid search"
    permanent = True


class InvalidRequestError(UntxtError):
    """Query parameters that contradict each other or pass a bound (a period that ends
    before it starts, say): a malformed request, as FastAPI's own validation finds them."""

    status = 422
    problem = "validation-error"
    title = HTTPStatus(422).phrase
    permanent = True


class UnsupportedContentTypeError(UntxtError):
    """A request body of a media type the endpoint does not take."""

    status = 415
    problem = "unsupported-media-type"
    title = HTTPStatus(415).phrase
    permanent = True


class BatchTooLargeError(UntxtError):
    """A batch submit lists more documents than ``UNTXT_MAX_BATCH``."""

    status = 413
    problem = "batch-too-large"
    title = "Batch too large"
    permanent = True


class InvalidIdempotencyKeyError(UntxtError):
    """An ``Idempotency-Key`` header that is empty, too long or not printable ASCII."""

    status = 400
    problem = "invalid-idempotency-key"
    title = "Invalid Idempotency-Key"
    permanent = True


class IdempotencyKeyReusedError(UntxtError):
    """An ``Idempotency-Key`` that an earlier, different request of the same owner used."""

    status = 422
    problem = "idempotency-key-reused"
    title = "Idempotency-Key reused"
    permanent = True


class UnsafeWebhookURLError(UntxtError):
    """A webhook URL that is malformed or points at an address untxt may not call."""

    status = 422
    problem = "unsafe-webhook-url"
    title = "Webhook URL refused"
    permanent = True


class EngineError(UntxtError):
    """An OCR engine failed while recognising a page."""

    problem = "engine-error"
    title = "OCR engine error"


class EngineUnavailableError(EngineError):
    """The requested engine, or a language it needs, is not installed."""

    status = 422
    problem = "engine-unavailable"
    title = "OCR engine unavailable"
    permanent = True


class NotFoundError(UntxtError):
    """No such resource (or not visible to the caller)."""

    status = 404
    problem = "not-found"
    title = "Not found"


class DocumentGoneError(UntxtError):
    """The job's document was deleted, or its bytes are no longer stored."""

    status = 410
    problem = "document-gone"
    title = "Document gone"


class ConflictError(UntxtError):
    """The request conflicts with the resource's current state."""

    status = 409
    problem = "conflict"
    title = "Conflict"


class QuotaExceededError(UntxtError):
    """The caller has used up a quota; nothing was created."""

    status = 429
    problem = "quota-exceeded"
    title = "Quota exceeded"
    permanent = True


class QueuedJobsQuotaError(QuotaExceededError):
    """More unfinished jobs than ``UNTXT_QUOTA_QUEUED_JOBS`` would be queued."""

    problem = "queued-jobs-quota"
    title = "Too many unfinished jobs"


class StorageQuotaError(QuotaExceededError):
    """The owner's documents would take more than ``UNTXT_QUOTA_STORED_BYTES``."""

    status = 413
    problem = "storage-quota"
    title = "Storage quota exceeded"


class JobTimeoutError(UntxtError):
    """A job ran longer than its time limit; running it again would not finish it sooner."""

    problem = "job-timeout"
    title = "Job timed out"
    permanent = True


class ExtractionError(UntxtError):
    """A field extractor failed on a document: the job fails rather than guess fields."""

    problem = "extraction-error"
    title = "Field extraction failed"
    permanent = True


class NotReadyError(UntxtError):
    """The service cannot serve requests yet: a dependency is down."""

    status = 503
    problem = "not-ready"
    title = "Not ready"


class LLMUnavailableError(UntxtError):
    """The language model that answers questions is not configured, down, slow or refusing."""

    status = 503
    problem = "llm-unavailable"
    title = "Language model unavailable"
