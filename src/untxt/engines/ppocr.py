"""PP-OCR (PaddleOCR's detection and recognition models) on ONNX Runtime, through rapidocr.

Only the models shipped inside the rapidocr wheel are used: PP-OCRv6 small
detection and recognition (the wheel's text-direction classifier is not run per line, see
``_SETTINGS``). They are named by path, so rapidocr never fetches a model (any
other model choice would download one at run time, which untxt's sites must not
need).

The detector finds boxes of text (whole lines, or fragments of a line split at
wide gaps); rapidocr splits each recognised box into words with their own boxes.
Two additions read the narrow marks receipts are full of: the recogniser's output
is decoded with the spaces, stops and colons it nearly dropped put back
(:mod:`untxt.engines.ctc`), and colons set alone in a line's gaps, which the
detector does not box, are found on the pixels (:mod:`untxt.engines.colons`).
:func:`untxt.engines.layout.arrange` puts the boxes into reading order.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version as _package_version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from untxt.config import Settings
from untxt.document import BBox, Page, Word
from untxt.engines.base import OcrEngine
from untxt.engines.colons import find_colons
from untxt.engines.ctc import MarkDecoder
from untxt.engines.layout import TextBox, arrange
from untxt.engines.rapidocr_parts import read_marks, stop_spinning
from untxt.errors import EngineError, EngineUnavailableError
from untxt.imaging.content import content_box
from untxt.ocr_models import DIRECTION_MODEL, RECOGNITION_MODEL

#: The bundled models, in the rapidocr package's ``models`` folder.
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = RECOGNITION_MODEL

# Languages the bundled recognition model reads (its character set holds Latin with
# single accents, Chinese and kana). Vietnamese is not among them: its letters with
# two marks (ệ, ồ) are missing, so they come out without them.
_LANGUAGES = ("chi_sim", "chi_tra", "deu", "eng", "fra", "ita", "jpn", "nld", "por", "spa")
# Languages where this engine measurably reads better than Tesseract (English: the
# receipts of bench/accuracy.py), and so is what the engine ``auto`` picks.
_PREFERRED = frozenset({"eng"})
_PREFERRED_RANK = 20.0
_FALLBACK_RANK = 5.0

# Languages written with full-width punctuation, which is kept for them.
_FULL_WIDTH_LANGUAGES = frozenset({"chi_sim", "chi_tra", "jpn"})
# Languages written in ASCII alone.
_ASCII_LANGUAGES = frozenset({"eng"})
# Where a system's English word list may be (Debian's wamerican installs the first).
_WORD_LISTS = ("/usr/share/dict/american-english", "/usr/share/dict/words")

_MAX_SIDE = 2000
# Detection enlarges an image until its shorter side is this long (rapidocr's default).
_DET_MIN_SIDE = 736

# rapidocr's settings that untxt chooses (see bench/accuracy.py for what they gain).
_SETTINGS: dict[str, Any] = {
    # Boxes whose recognised text scores below this are dropped (rapidocr's default).
    "Global.text_score": 0.5,
    # Larger images are shrunk to this many pixels a side before detection.
    "Global.max_side_len": _MAX_SIDE,
    # No per-line 0/180 degree classifier: pages are turned upright as a whole before
    # recognition, and on receipts it turned lines of digits upside down (CER 0.043
    # with it, 0.038 without, on bench/accuracy.py's receipts), at a cost in time.
    "Global.use_cls": False,
}


def cuda_available() -> bool:
    """Whether onnxruntime here can run models on a CUDA GPU."""
    import onnxruntime

    return bool(
        "CUDAExecutionProvider" in onnxruntime.get_available_providers()
        and onnxruntime.get_device() == "GPU"
    )


class PpOcrEngine(OcrEngine):
    """PP-OCRv6 small detection and recognition via rapidocr and ONNX Runtime."""

    name: ClassVar[str] = "ppocr"
    # Detection finds text anywhere on the image, so sparse text (photos, figures) reads
    # as well as pages; there is no handwriting model.
    modes: ClassVar[frozenset[str]] = frozenset({"document", "general", "figure"})

    def __init__(self, threads: int = 1, device: str = "auto") -> None:
        try:
            import onnxruntime
            import rapidocr
        except ImportError as exc:
            raise EngineUnavailableError(
                f"ppocr needs rapidocr and onnxruntime, which cannot be imported: {exc}"
            ) from exc
        self._models = Path(rapidocr.__file__).parent / "models"
        missing = [m for m in (DET_MODEL, REC_MODEL) if not (self._models / m).is_file()]
        if missing:
            raise EngineUnavailableError(
                f"ppocr: the rapidocr package lacks its bundled models {', '.join(missing)} "
                f"(in {self._models}); reinstall rapidocr"
            )
        if device == "cuda" and not cuda_available():
            raise EngineUnavailableError(
                "ppocr: engine_device is 'cuda' but onnxruntime sees no CUDA GPU "
                f"(providers: {', '.join(onnxruntime.get_available_providers())}); "
                "install onnxruntime-gpu on a machine with a GPU, or set engine_device "
                "to auto or cpu"
            )
        self._rapidocr_version = _package_version("rapidocr")
        self._threads = max(1, threads)
        self._use_cuda = device != "cpu" and cuda_available()
        self._ocr: Any = None
        self._decoder: MarkDecoder | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> PpOcrEngine:
        return cls(threads=settings.threads_per_engine(), device=settings.engine_device)

    @property
    def device(self) -> str:
        """Where the models run: ``cuda`` or ``cpu``."""
        return "cuda" if self._use_cuda else "cpu"

    def languages(self) -> list[str]:
        return list(_LANGUAGES)

    def version(self) -> str:
        return (
            f"rapidocr {self._rapidocr_version}; "
            f"{DET_MODEL.removesuffix('.onnx')}, {REC_MODEL.removesuffix('.onnx')}; {self.device}"
        )

    def auto_rank(self, languages: Sequence[str], mode: str) -> float:
        return _PREFERRED_RANK if set(languages) <= _PREFERRED else _FALLBACK_RANK

    def _engine(self) -> Any:
        with self._lock:
            if self._ocr is None:
                from rapidocr import RapidOCR

                ort = "EngineConfig.onnxruntime."
                ocr = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        **_SETTINGS,
                        # Named paths: rapidocr then never looks for (downloads) a model.
                        "Det.model_path": str(self._models / DET_MODEL),
                        "Rec.model_path": str(self._models / REC_MODEL),
                        "Cls.model_path": str(self._models / DIRECTION_MODEL),
                        ort + "intra_op_num_threads": self._threads,
                        ort + "inter_op_num_threads": 1,
                        ort + "use_cuda": self._use_cuda,
                    }
                )
                self._decoder = read_marks(ocr)
                if self._threads > 1 and not self._use_cuda:
                    models = [self._models / DET_MODEL, self._models / REC_MODEL]
                    stop_spinning(ocr, models, self._threads)
                self._ocr = ocr
            return self._ocr

    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        languages: Sequence[str],
        mode: str,
        dpi: int | None,
    ) -> Page:
        self.check(languages, mode)
        if image.mode != "RGB":
            image = image.convert("RGB")
        ocr = self._engine()
        assert self._decoder is not None
        self._decoder.expect(_expected_characters(languages), _lexicon(languages))
        started = time.perf_counter()
        # rapidocr reads a bounded number of pixels a side: on a large scan of a small
        # receipt, spend them on the receipt. A smaller image is read whole: detection
        # needs the paper around the text, which a crop of a one-line image lacks.
        content = content_box(image) if max(image.size) > _MAX_SIDE else None
        region = image.crop(content) if content else image
        try:
            # rapidocr takes OpenCV's channel order.
            pixels = _on_canvas(np.ascontiguousarray(np.asarray(region)[:, :, ::-1]))
            result = ocr(pixels, return_word_box=True)
        except Exception as exc:  # onnxruntime and rapidocr raise their own kinds
            raise EngineError(
                f"ppocr failed on page {page_number}: {type(exc).__name__}: {exc}"
            ) from exc
        fold = not any(code in _FULL_WIDTH_LANGUAGES for code in languages)
        boxes = self._boxes(result, region.width, region.height, fold=fold)
        boxes += find_colons(np.asarray(region.convert("L")), boxes)
        if content:
            boxes = [_shifted(box, content[0], content[1]) for box in boxes]
        blocks = arrange(boxes)
        seconds = time.perf_counter() - started
        return self.page(
            image,
            blocks,
            page_number=page_number,
            languages=languages,
            dpi=dpi,
            seconds=seconds,
        )

    @staticmethod
    def _boxes(result: Any, width: int, height: int, *, fold: bool) -> list[TextBox]:
        """rapidocr's output as text boxes of words, in the image's pixels.

        ``fold`` turns full-width forms (the model's Chinese punctuation, such as U+FF1A) into
        their ASCII equivalents, for jobs in languages that do not use them.
        """
        txts = getattr(result, "txts", None) or ()
        if not txts:
            return []
        word_results = getattr(result, "word_results", None) or ()
        boxes = []
        for index, text in enumerate(txts):
            line = _fold(str(text)) if fold else str(text)
            quad = np.asarray(result.boxes[index], dtype=np.float64).reshape(-1, 2)
            pieces = word_results[index] if index < len(word_results) else ()
            words = _words(line, pieces, fold=fold, width=width, height=height)
            if not words:
                words = _split_line(line, float(result.scores[index]), quad, width, height)
            if fold:
                words = _latin_only(words)
            if words:
                boxes.append(TextBox(words=words, slope=_slope(quad)))
        return boxes


def _on_canvas(pixels: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A small image placed top left on a canvas of its background, big enough for detection.

    Detection would otherwise enlarge, say, a 360 x 70 label fivefold to make its shorter
    side 736 px, and take about six times as long (measured: 1.59 against 0.26 CPU-s)
    without reading better: preprocessing has already brought small text to a
    readable size. Boxes keep their coordinates, since the image stays at the origin.
    """
    height, width = pixels.shape[:2]
    if max(height, width) >= _DET_MIN_SIDE:
        return pixels
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    canvas = np.empty((_DET_MIN_SIDE, _DET_MIN_SIDE, 3), dtype=np.uint8)
    canvas[:] = np.median(border, axis=0).astype(np.uint8)
    canvas[:height, :width] = pixels
    return canvas


def _shifted(box: TextBox, dx: int, dy: int) -> TextBox:
    """``box`` moved ``dx`` pixels right and ``dy`` down."""
    return TextBox(
        words=[
            w.model_copy(
                update={
                    "bbox": BBox(
                        x0=w.bbox.x0 + dx, y0=w.bbox.y0 + dy, x1=w.bbox.x1 + dx, y1=w.bbox.y1 + dy
                    )
                }
            )
            for w in box.words
        ],
        slope=box.slope,
    )


# Han, kana, hangul and their punctuation: scripts of none of the languages read
# with ``fold``.
_EAST_ASIAN = re.compile(
    "[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff61-\uffdc\U00020000-\U0002ffff]"
)


def _latin_only(words: list[Word]) -> list[Word]:
    """``words`` without East Asian characters, for a job in languages written without.

    The model reads Chinese too; a job in, say, English asked for none, and gets none
    (as Tesseract's English model would not read it either). What remains of a word
    stays only if it still holds a letter or digit.
    """
    kept = []
    for word in words:
        if not _EAST_ASIAN.search(word.text):
            kept.append(word)
            continue
        rest = _EAST_ASIAN.sub("", word.text).strip()
        if any(c.isalnum() for c in rest):
            kept.append(word.model_copy(update={"text": rest}))
    return kept


def _expected_characters(languages: Sequence[str]) -> Callable[[str], bool] | None:
    """Which characters the job's languages use, for the decoder to favour (see
    :data:`untxt.engines.ctc.UNEXPECTED_WEIGHT`); ``None`` for all alike.

    English is written in ASCII: an accented letter, a multiplication sign or a middle
    dot in an English job is more likely a misreading of ``A``, ``X`` or ``.`` that the
    model nearly chose. Other Latin-script languages use accents, but no Chinese or kana.
    """
    if set(languages) <= _ASCII_LANGUAGES:
        return str.isascii
    if not any(code in _FULL_WIDTH_LANGUAGES for code in languages):
        return _not_east_asian
    return None


def _not_east_asian(char: str) -> bool:
    return not _EAST_ASIAN.match(char)


@functools.cache
def _english_words() -> frozenset[str] | None:
    """The system's English word list (Debian's ``wamerican``), lower case; ``None``
    when there is none."""
    for path in _WORD_LISTS:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return frozenset(line.strip().lower() for line in handle if line.strip())
        except OSError:
            continue
    return None


def _lexicon(languages: Sequence[str]) -> frozenset[str] | None:
    """Words that letter-spaced print may be joined into, for the job's languages."""
    return _english_words() if set(languages) <= _ASCII_LANGUAGES else None


def _fold(text: str) -> str:
    """``text`` with full-width ASCII forms and the ideographic space made ASCII."""
    return text.translate(_FULL_WIDTH)


_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def _words(line: str, pieces: Sequence[Any], *, fold: bool, width: int, height: int) -> list[Word]:
    """The whitespace-separated words of ``line``, boxed from rapidocr's word pieces.

    rapidocr cuts a line into pieces at the model's character positions: whole words
    for Latin text, single characters where it takes the line for Chinese (digits
    too). Each piece's box is shared out among its characters, and each word of the
    line gets the union of its characters' boxes and their mean confidence. Empty
    when the pieces do not spell the line.
    """
    chars: list[tuple[float, float, float, float, float]] = []  # x0, y0, x1, y1, score
    spelled = []
    for piece in pieces:
        piece_text, score, piece_quad = piece
        piece_text = "".join((_fold(str(piece_text)) if fold else str(piece_text)).split())
        if not piece_text:
            continue
        points = np.asarray(piece_quad, dtype=np.float64).reshape(-1, 2)
        x0, x1 = float(points[:, 0].min()), float(points[:, 0].max())
        y0, y1 = float(points[:, 1].min()), float(points[:, 1].max())
        step = (x1 - x0) / len(piece_text)
        for k in range(len(piece_text)):
            chars.append((x0 + k * step, y0, x0 + (k + 1) * step, y1, float(score)))
        spelled.append(piece_text)
    if "".join(spelled) != "".join(line.split()):
        return []
    words = []
    cursor = 0
    for token in line.split():
        own = chars[cursor : cursor + len(token)]
        cursor += len(token)
        box = _clip_box([(c[0], c[1]) for c in own] + [(c[2], c[3]) for c in own], width, height)
        if box is None:
            continue
        score = sum(c[4] for c in own) / len(own)
        words.append(Word(text=token, bbox=box, confidence=round(min(max(score, 0.0), 1.0), 4)))
    return words


def _clip_box(points: Any, width: int, height: int) -> BBox | None:
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x0 = min(max(int(np.floor(xy[:, 0].min())), 0), width)
    y0 = min(max(int(np.floor(xy[:, 1].min())), 0), height)
    x1 = min(max(int(np.ceil(xy[:, 0].max())), x0), width)
    y1 = min(max(int(np.ceil(xy[:, 1].max())), y0), height)
    if x1 <= x0 or y1 <= y0:
        return None
    return BBox(x0=x0, y0=y0, x1=x1, y1=y1)


def _split_line(text: str, score: float, quad: Any, width: int, height: int) -> list[Word]:
    """Words of a box rapidocr gave no usable word pieces for, its width shared by length."""
    box = _clip_box(quad, width, height)
    parts = text.split()
    if box is None or not parts:
        return []
    total = sum(len(p) for p in parts) + len(parts) - 1
    per_char = (box.x1 - box.x0) / max(total, 1)
    words = []
    cursor = 0
    for part in parts:
        x0 = min(box.x0 + round(cursor * per_char), box.x1 - 1)
        x1 = min(max(box.x0 + round((cursor + len(part)) * per_char), x0 + 1), box.x1)
        words.append(
            Word(
                text=part,
                bbox=BBox(x0=x0, y0=box.y0, x1=x1, y1=box.y1),
                confidence=round(min(max(score, 0.0), 1.0), 4),
            )
        )
        cursor += len(part) + 1
    return words


def _slope(quad: Any) -> float:
    """The rise of a detected box's top edge per pixel across; 0 for a degenerate box."""
    points = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
    if len(points) < 2:
        return 0.0
    dx = points[1, 0] - points[0, 0]
    if dx <= 1:
        return 0.0
    return float((points[1, 1] - points[0, 1]) / dx)
