"""The model files untxt reads with, found and loaded once per process.

- Tesseract's language data (:func:`find_tessdata`), which the ``tesseract`` engine
  reads with, and its orientation detector, OSD (:func:`detect_orientation`);
- PP-OCR's text direction classifier in the rapidocr wheel (:data:`DIRECTION_MODEL`,
  :func:`direction_classifier`), which tells upright lines from upside-down ones;
- PP-OCR's line recogniser in the same wheel (:data:`RECOGNITION_MODEL`), which the
  ``ppocr`` engine reads with and preprocessing asks which way up a page reads best
  (:func:`line_recognizer`).

The pipeline turns pages upright with OSD, the classifier and the recogniser whichever engine then
reads them, so they are found here rather than in an engine. OSD looks where this
process's engines look: the folder the settings name, which the engine registry gives
:func:`use_tessdata` once per process, or else the first one found.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from untxt.logs import get_logger

log = get_logger(__name__)

# Debian and most distributions put language data in one of these.
_TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)

#: The text direction classifier, in the rapidocr package's ``models`` folder.
DIRECTION_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
#: The line recogniser, in the same folder.
RECOGNITION_MODEL = "PP-OCRv6_rec_small.onnx"

_configured: Path | None = None

_OSD_LOCK = threading.Lock()
_OSD_APIS: dict[Path, Any] = {}
_OSD_MISSING: set[Path] = set()

_DIRECTION_LOCK = threading.Lock()
_DIRECTION: dict[str, Any] = {}
_RECOGNIZER_LOCK = threading.Lock()
_RECOGNIZER: dict[str, LineRecognizer | None] = {}


@dataclass(frozen=True)
class LineRecognizer:
    """A session of the line recogniser, and which of its output symbols are letters or
    digits."""

    session: Any
    #: One per output symbol: blank first, then the model's characters, then a space.
    alphanumeric: NDArray[np.bool_]


def find_tessdata(configured: Path | None = None) -> Path | None:
    """Return the first folder holding ``*.traineddata`` files, or ``None``."""
    candidates: list[str | Path] = []
    if configured:
        candidates.append(configured)
    if os.environ.get("TESSDATA_PREFIX"):
        candidates.append(os.environ["TESSDATA_PREFIX"])
    candidates.extend(_TESSDATA_CANDIDATES)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_dir() and any(path.glob("*.traineddata")):
            return path
    return None


def use_tessdata(folder: Path | None) -> None:
    """Make ``folder`` (``UNTXT_TESSDATA_DIR``) where this process looks for OSD's data;
    ``None``: the first folder :func:`find_tessdata` finds."""
    global _configured
    _configured = folder


def _osd_api(tessdata: Path | None) -> Any:
    """This process's OSD-only TessBaseAPI for the folder; ``None`` without ``osd`` data."""
    folder = find_tessdata(tessdata or _configured)
    if folder is None or folder in _OSD_MISSING:
        return None
    api = _OSD_APIS.get(folder)
    if api is None:
        if not (folder / "osd.traineddata").exists():
            _OSD_MISSING.add(folder)
            log.warning("no osd.traineddata: pages are not turned upright", tessdata=str(folder))
            return None
        import tesserocr

        api = tesserocr.PyTessBaseAPI(path=f"{folder}/", lang="osd", psm=tesserocr.PSM.OSD_ONLY)
        _OSD_APIS[folder] = api
    return api


def detect_orientation(gray: Image.Image, tessdata: Path | None = None) -> dict[str, Any] | None:
    """Tesseract OSD's reading of ``gray`` (``orient_deg``, ``orient_conf``, ...); ``None``
    when it finds nothing or there is no ``osd`` data. ``tessdata`` overrides the folder
    this process was given."""
    with _OSD_LOCK:
        api = _osd_api(tessdata)
        if api is None:
            return None
        try:
            api.SetImage(gray)
            found: dict[str, Any] | None = api.DetectOrientationScript()
        except RuntimeError:
            found = None
        finally:
            api.Clear()
    return found or None


def direction_classifier() -> Any:
    """This process's session of the text direction classifier, one thread; ``None`` when
    the model is missing."""
    with _DIRECTION_LOCK:
        if "model" not in _DIRECTION:
            _DIRECTION["model"] = _load_direction_classifier()
        return _DIRECTION["model"]


def line_recognizer() -> LineRecognizer | None:
    """This process's session of the line recogniser, one thread; ``None`` when the model
    or its character list is missing."""
    with _RECOGNIZER_LOCK:
        if "model" not in _RECOGNIZER:
            _RECOGNIZER["model"] = _load_line_recognizer()
        return _RECOGNIZER["model"]


def _load_line_recognizer() -> LineRecognizer | None:
    session = _load_session(
        RECOGNITION_MODEL, "no line recogniser: a page's way up is not read from its lines"
    )
    if session is None:
        return None
    characters = session.get_modelmeta().custom_metadata_map.get("character")
    if not characters:
        log.warning("the line recogniser lists no characters", model=RECOGNITION_MODEL)
        return None
    # The decoder's symbols: blank, the model's characters, a space (see rapidocr's
    # CTCLabelDecode).
    symbols = ["", *characters.splitlines(), " "]
    return LineRecognizer(
        session=session,
        alphanumeric=np.array([c.isalnum() for c in symbols], dtype=np.bool_),
    )


def _load_direction_classifier() -> Any:
    return _load_session(
        DIRECTION_MODEL, "no text direction model: pages are not turned half round"
    )


def _load_session(model: str, missing: str) -> Any:
    """A one-thread CPU session of ``model`` in rapidocr's ``models`` folder; ``None``,
    with the warning ``missing``, when it is not there."""
    import onnxruntime
    import rapidocr

    path = Path(rapidocr.__file__).parent / "models" / model
    if not path.is_file():
        log.warning(missing, path=str(path))
        return None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
