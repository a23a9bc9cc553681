"""Tesseract through its C API (tesserocr): one reused TessBaseAPI per language set."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image

from untxt.config import Settings
from untxt.document import BBox, Block, Line, Page, Word
from untxt.engines.base import OcrEngine
from untxt.errors import EngineError, EngineUnavailableError
from untxt.ocr_models import find_tessdata

# Language files that are not OCR languages.
_NOT_LANGUAGES = frozenset({"osd", "equ"})
# Each TessBaseAPI holds its models (tens of MB); keep a few language sets warm.
_MAX_APIS = 4


class TesseractEngine(OcrEngine):
    """Tesseract 5 (LSTM) via tesserocr."""

    name: ClassVar[str] = "tesseract"
    modes: ClassVar[frozenset[str]] = frozenset({"document", "general", "figure"})
    # It binarises the page first: a shear's whole-pixel steps are lost in that, and
    # on pages leaning up to 3 degrees it reads the same as on pages turned upright.
    levels_by_shear: ClassVar[bool] = True

    def __init__(self, tessdata: Path | None = None) -> None:
        try:
            import tesserocr
        except ImportError as exc:  # the wheel is a hard dependency; say so if it is broken
            raise EngineUnavailableError(f"tesserocr cannot be imported: {exc}") from exc
        found = find_tessdata(tessdata)
        if found is None:
            raise EngineUnavailableError(
                "no Tesseract language data found; install tesseract-ocr-eng "
                "or set UNTXT_TESSDATA_DIR"
            )
        self._tesserocr: Any = tesserocr
        self._tessdata = found
        self._apis: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self._languages: tuple[int, list[str]] | None = None
        self._psm = {
            "document": tesserocr.PSM.AUTO,
            "general": tesserocr.PSM.SPARSE_TEXT,
            "figure": tesserocr.PSM.SPARSE_TEXT,
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> TesseractEngine:
        return cls(settings.tessdata_dir)

    def auto_rank(self, languages: Sequence[str], mode: str) -> float:
        return 10.0

    def languages(self) -> list[str]:
        # Every submit checks its languages: list the folder again only when it changed,
        # so that a language package installed while untxt runs is seen at once.
        stamp = self._tessdata.stat().st_mtime_ns
        if self._languages is None or self._languages[0] != stamp:
            names = sorted(
                p.name.removesuffix(".traineddata")
                for p in self._tessdata.glob("*.traineddata")
                if p.name.removesuffix(".traineddata") not in _NOT_LANGUAGES
            )
            self._languages = (stamp, names)
        return list(self._languages[1])

    def version(self) -> str:
        return str(self._tesserocr.tesseract_version().split()[1])

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
        api = self._api("+".join(languages), self._psm[mode])
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        channels = 1 if image.mode == "L" else 3
        started = time.perf_counter()
        try:
            api.SetImageBytes(
                image.tobytes(), image.width, image.height, channels, image.width * channels
            )
            if dpi:
                api.SetSourceResolution(dpi)
            api.Recognize()
            blocks = self._blocks(api)
        except RuntimeError as exc:
            raise EngineError(f"tesseract failed on page {page_number}: {exc}") from exc
        finally:
            api.Clear()
        seconds = time.perf_counter() - started
        return self.page(
            image,
            blocks,
            page_number=page_number,
            languages=languages,
            dpi=dpi,
            seconds=seconds,
        )

    def close(self) -> None:
        for api in self._apis.values():
            api.End()
        self._apis.clear()

    def _api(self, lang: str, psm: int) -> Any:
        key = (lang, psm)
        api = self._apis.get(key)
        if api is not None:
            self._apis.move_to_end(key)
            return api
        try:
            api = self._tesserocr.PyTessBaseAPI(path=f"{self._tessdata}/", lang=lang, psm=psm)
        except RuntimeError as exc:
            raise EngineUnavailableError(f"tesseract could not load {lang!r}: {exc}") from exc
        self._apis[key] = api
        if len(self._apis) > _MAX_APIS:
            _, oldest = self._apis.popitem(last=False)
            oldest.End()
        return api

    def _blocks(self, api: Any) -> list[Block]:
        ril = self._tesserocr.RIL
        iterator = api.GetIterator()
        if iterator is None:  # nothing recognised on the page
            return []
        blocks: list[list[list[Word]]] = []
        # A skipped empty word may be the one that starts a paragraph or a line;
        # the next kept word then starts it instead.
        new_block = new_line = True
        for item in self._tesserocr.iterate_level(iterator, ril.WORD):
            new_block = new_block or item.IsAtBeginningOf(ril.PARA)
            new_line = new_line or new_block or item.IsAtBeginningOf(ril.TEXTLINE)
            if item.Empty(ril.WORD):  # a blank page still yields one empty position
                continue
            text = item.GetUTF8Text(ril.WORD)
            box = item.BoundingBox(ril.WORD)
            if not text or not text.strip() or box is None:
                continue
            if new_block:
                blocks.append([])
            if new_line:
                blocks[-1].append([])
            new_block = new_line = False
            blocks[-1][-1].append(
                Word(
                    text=text.strip(),
                    bbox=BBox(x0=box[0], y0=box[1], x1=box[2], y1=box[3]),
                    confidence=round(min(max(item.Confidence(ril.WORD), 0.0), 100.0) / 100, 4),
                )
            )
        return [
            Block(
                bbox=BBox.union(w.bbox for line in lines for w in line),
                lines=[Line(bbox=BBox.union(w.bbox for w in line), words=line) for line in lines],
            )
            for lines in blocks
        ]
