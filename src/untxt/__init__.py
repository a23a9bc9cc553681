"""untxt: self-hosted asynchronous OCR and document processing.

The public surface: the Python client of the HTTP API (:class:`Client`), the
document model, job options, settings, the engine interface, and every error a
caller can meet (the tree is drawn in :mod:`untxt.errors`). Everything else is
internal and may move.
"""

from untxt.client import ApiError, Client, ServerUnreachableError
from untxt.config import Settings, load_settings
from untxt.document import BBox, Block, Document, Line, Page, Word
from untxt.engines.base import OcrEngine
from untxt.errors import (
    BatchTooLargeError,
    ConflictError,
    CorruptInputError,
    DocumentGoneError,
    EmptyInputError,
    EncryptedInputError,
    EngineError,
    EngineUnavailableError,
    ExtractionError,
    IdempotencyKeyReusedError,
    ImageTooLargeError,
    InputError,
    InputTooLargeError,
    InvalidCorrectionError,
    InvalidIdempotencyKeyError,
    InvalidOptionsError,
    InvalidRequestError,
    InvalidSearchError,
    InvalidTemplateError,
    JobTimeoutError,
    LLMUnavailableError,
    NotFoundError,
    NotReadyError,
    QueuedJobsQuotaError,
    QuotaExceededError,
    StorageQuotaError,
    UnsafeWebhookURLError,
    UnsupportedContentTypeError,
    UnsupportedInputError,
    UntxtError,
)
from untxt.options import JobOptions
from untxt.version import __version__

__all__ = [
    "ApiError",
    "BBox",
    "BatchTooLargeError",
    "Block",
    "Client",
    "ConflictError",
    "CorruptInputError",
    "Document",
    "DocumentGoneError",
    "EmptyInputError",
    "EncryptedInputError",
    "EngineError",
    "EngineUnavailableError",
    "ExtractionError",
    "IdempotencyKeyReusedError",
    "ImageTooLargeError",
    "InputError",
    "InputTooLargeError",
    "InvalidCorrectionError",
    "InvalidIdempotencyKeyError",
    "InvalidOptionsError",
    "InvalidRequestError",
    "InvalidSearchError",
    "InvalidTemplateError",
    "JobOptions",
    "JobTimeoutError",
    "LLMUnavailableError",
    "Line",
    "NotFoundError",
    "NotReadyError",
    "OcrEngine",
    "Page",
    "QueuedJobsQuotaError",
    "QuotaExceededError",
    "ServerUnreachableError",
    "Settings",
    "StorageQuotaError",
    "UnsafeWebhookURLError",
    "UnsupportedContentTypeError",
    "UnsupportedInputError",
    "UntxtError",
    "Word",
    "__version__",
    "load_settings",
]
