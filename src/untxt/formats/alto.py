"""ALTO XML v4: Layout > Page > PrintSpace > TextBlock > TextLine > String, in pixels."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr as _quoteattr

from untxt.document import BBox, Document, Line, Page
from untxt.formats.languages import main_language
from untxt.version import __version__

NAMESPACE = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_LOCATION = "http://www.loc.gov/standards/alto/v4/alto-4-2.xsd"

# XML 1.0 allows no control characters but tab and newlines, not even escaped; a
# file name or a stray OCR glyph holding one would make the whole file unreadable.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape(text: str) -> str:
    """``text`` as XML character data, control characters dropped."""
    return _escape(_CONTROL.sub("", text))


def quoteattr(text: str) -> str:
    """``text`` as a quoted XML attribute value, control characters dropped."""
    return _quoteattr(_CONTROL.sub("", text))


def _box(box: BBox) -> str:
    return f'HPOS="{box.x0}" VPOS="{box.y0}" WIDTH="{box.x1 - box.x0}" HEIGHT="{box.y1 - box.y0}"'


def _confidence(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def _description(document: Document) -> list[str]:
    engines = sorted({page.engine for page in document.pages})
    languages = list(dict.fromkeys(code for page in document.pages for code in page.languages))
    settings = f"engine: {', '.join(engines) or 'none'}; languages: {', '.join(languages)}"
    out = [" <Description>", "  <MeasurementUnit>pixel</MeasurementUnit>"]
    if document.source:
        out += [
            "  <sourceImageInformation>",
            f"   <fileName>{escape(document.source)}</fileName>",
            "  </sourceImageInformation>",
        ]
    out += [
        '  <Processing ID="processing_1">',
        "   <processingCategory>contentGeneration</processingCategory>",
        f"   <processingStepSettings>{escape(settings)}</processingStepSettings>",
        "   <processingSoftware>",
        "    <softwareName>untxt</softwareName>",
        f"    <softwareVersion>{__version__}</softwareVersion>",
        "   </processingSoftware>",
        "  </Processing>",
        " </Description>",
    ]
    return out


def _line(line: Line, line_id: str) -> list[str]:
    out = [f'     <TextLine ID="{line_id}" {_box(line.bbox)}>']
    for w, word in enumerate(line.words, 1):
        if w > 1:
            # The space between this word and the one before it.
            left = line.words[w - 2].bbox.x1
            out.append(
                f'      <SP HPOS="{left}" VPOS="{line.bbox.y0}" '
                f'WIDTH="{max(word.bbox.x0 - left, 0)}"/>'
            )
        out.append(
            f'      <String ID="{line_id.replace("line", "string")}_{w}" {_box(word.bbox)} '
            f'CONTENT={quoteattr(word.text)} WC="{_confidence(word.confidence)}"/>'
        )
    out.append("     </TextLine>")
    return out


def _page(page: Page) -> list[str]:
    n = page.number
    confidence = f' PC="{_confidence(page.confidence)}"' if page.confidence is not None else ""
    out = [
        f'  <Page ID="page_{n}" PHYSICAL_IMG_NR="{n}" WIDTH="{page.width}" '
        f'HEIGHT="{page.height}"{confidence}>',
        f'   <PrintSpace HPOS="0" VPOS="0" WIDTH="{page.width}" HEIGHT="{page.height}">',
    ]
    tag = main_language(page.languages)
    lang = f' LANG="{tag}"' if tag else ""
    for b, block in enumerate(page.blocks, 1):
        out.append(f'    <TextBlock ID="block_{n}_{b}" {_box(block.bbox)}{lang}>')
        for ln, line in enumerate(block.lines, 1):
            if line.words:  # ALTO has no empty TextLine
                out.extend(_line(line, f"line_{n}_{b}_{ln}"))
        out.append("    </TextBlock>")
    out += ["   </PrintSpace>", "  </Page>"]
    return out


def render_alto(document: Document) -> str:
    """The document as ALTO v4 XML, coordinates in pixels of each page image."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<alto xmlns="{NAMESPACE}" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{NAMESPACE} {SCHEMA_LOCATION}">',
        *_description(document),
        " <Layout>",
    ]
    for page in document.pages:
        lines.extend(_page(page))
    lines += [" </Layout>", "</alto>", ""]
    return "\n".join(lines)
