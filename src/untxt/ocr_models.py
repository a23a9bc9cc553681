"""The model files untxt reads with, found and loaded once per process.

- Tesseract's language data (:func:`find_tessdata`), which the ``tesseract`` engine
  reads with, and its orientation detector, OSD (:func:`detect_orientation`);
- PP-OCR's text direction classifier in the rapidocr wheel (:data:`DIRECTION_MODEL`,
  :func:`direction_classifier`), which tells upright lines from upside-down ones.

The pipeline turns pages upright with OSD and the classifier whichever engine then
reads them, so they are found here rather than in an engine. OSD looks where this
process's engines look: the folder the settings name, which the engine registry gives
:func:`use_tessdata` once per process, or else the first one found.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

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

_configured: Path | None = None

_OSD_LOCK = threading.Lock()
_OSD_APIS: dict[Path, Any] = {}
_OSD_MISSING: set[Path] = set()

_DIRECTION_LOCK = threading.Lock()
_DIRECTION: dict[str, Any] = {}


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


def _load_direction_classifier() -> Any:
    import onnxruntime
    import rapidocr

    path = Path(rapidocr.__file__).parent / "models" / DIRECTION_MODEL
    if not path.is_file():
        log.warning("no text direction model: pages are not turned half round", path=str(path))
        return None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
