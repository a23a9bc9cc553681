"""untxt: self-hosted asynchronous OCR and document processing."""

from untxt.config import Settings, load_settings
from untxt.document import BBox, Block, Document, Line, Page, Word
from untxt.engines.base import OcrEngine
from untxt.errors import UntxtError
from untxt.options import JobOptions
from untxt.version import __version__

__all__ = [
    "BBox",
    "Block",
    "Document",
    "JobOptions",
    "Line",
    "OcrEngine",
    "Page",
    "Settings",
    "UntxtError",
    "Word",
    "__version__",
    "load_settings",
]
