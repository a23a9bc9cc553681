"""hOCR 1.2: XHTML with ocr_page > ocr_carea > ocr_par > ocr_line > ocrx_word."""

from __future__ import annotations

import re
from html import escape as _escape

from untxt.document import BBox, Document, Page
from untxt.formats.languages import document_language, main_language

# XML 1.0 allows no control characters but tab and newlines, not even escaped.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"{lang}>
<head>
<title>{title}</title>
<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
<meta name="ocr-system" content="untxt"/>
<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_par ocr_line ocrx_word"/>
</head>
<body>
"""


def escape(text: str) -> str:
    """``text`` as XHTML text or attribute value, control characters dropped."""
    return _escape(_CONTROL.sub("", text))


def _bbox(box: BBox) -> str:
    return f"bbox {box.x0} {box.y0} {box.x1} {box.y1}"


def _lang(tag: str | None) -> str:
    return f' xml:lang="{tag}" lang="{tag}"' if tag else ""


def _page(page: Page, document_lang: str | None) -> list[str]:
    n = page.number
    title = f"{_bbox(BBox(x0=0, y0=0, x1=page.width, y1=page.height))}; ppageno {n - 1}"
    if page.dpi:
        title += f"; scan_res {page.dpi} {page.dpi}"
    # A page read in another language than most says so itself.
    lang = main_language(page.languages)
    own = _lang(lang) if lang != document_lang else ""
    out = [f"<div class='ocr_page' id='page_{n}' title='{title}'{own}>"]
    for b, block in enumerate(page.blocks, 1):
        out.append(f" <div class='ocr_carea' id='block_{n}_{b}' title='{_bbox(block.bbox)}'>")
        out.append(f"  <p class='ocr_par' id='par_{n}_{b}' title='{_bbox(block.bbox)}'>")
        for ln, line in enumerate(block.lines, 1):
            line_id = f"line_{n}_{b}_{ln}"
            out.append(f"   <span class='ocr_line' id='{line_id}' title='{_bbox(line.bbox)}'>")
            for w, word in enumerate(line.words, 1):
                conf = round(word.confidence * 100)
                out.append(
                    f"    <span class='ocrx_word' id='word_{n}_{b}_{ln}_{w}' "
                    f"title='{_bbox(word.bbox)}; x_wconf {conf}'>{escape(word.text)}</span>"
                )
            out.append("   </span>")
        out.append("  </p>")
        out.append(" </div>")
    out.append("</div>")
    return out


def render_hocr(document: Document) -> str:
    """The document as hOCR, readable by hocr-tools, OCRmyPDF and search indexers."""
    document_lang = document_language(document.pages)
    lines = [_HEAD.format(lang=_lang(document_lang), title=escape(document.source or "untxt"))]
    for page in document.pages:
        lines.extend(_page(page, document_lang))
    lines.append("</body>\n</html>\n")
    return "\n".join(lines)
