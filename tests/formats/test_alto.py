"""ALTO v4 renderer: well-formed XML in the v4 namespace that carries every word and its box."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import pairwise

from tests.formats.documents import make_document, make_page
from untxt.document import BBox, Block, Document, Line, Page, Word
from untxt.formats.alto import render_alto

NS = "{http://www.loc.gov/standards/alto/ns-v4#}"
NESTING = ["Layout", "Page", "PrintSpace", "TextBlock", "TextLine", "String"]
NCNAME = re.compile(r"^[A-Za-z_][\w.-]*$")


def _parse(document: Document) -> ET.Element:
    return ET.fromstring(render_alto(document).encode("utf-8"))


def _all(root: ET.Element, name: str) -> list[ET.Element]:
    return list(root.iter(f"{NS}{name}"))


def _box(element: ET.Element) -> tuple[int, ...]:
    return tuple(int(element.attrib[k]) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))


def _alto_box(box: BBox) -> tuple[int, ...]:
    return (box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0)


def test_alto_is_v4_xml_measured_in_pixels() -> None:
    """The root is ``alto`` in the v4 namespace; measurements are declared as pixels."""
    root = _parse(make_document([[["INVOICE 12345"]]]))

    assert root.tag == f"{NS}alto"
    description = root.find(f"{NS}Description")
    assert description is not None
    # The schema fixes the order: the unit first, then the source image, then processing.
    assert [child.tag for child in description] == [
        f"{NS}MeasurementUnit",
        f"{NS}sourceImageInformation",
        f"{NS}Processing",
    ]
    assert description[0].text == "pixel"
    assert root.findtext(f".//{NS}sourceImageInformation/{NS}fileName") == "scan.pdf"
    assert root.findtext(f".//{NS}processingSoftware/{NS}softwareName") == "untxt"


def test_words_nest_layout_page_printspace_block_line_string() -> None:
    """Every String sits in a TextLine, in a TextBlock, in the PrintSpace of a Page."""
    document = make_document([[["one two", "three"], ["four"]], [["five"]]])
    root = _parse(document)

    parents = {child: parent for parent in root.iter() for child in parent}
    strings = _all(root, "String")
    assert [s.attrib["CONTENT"] for s in strings] == ["one", "two", "three", "four", "five"]
    for string in strings:
        chain = []
        element: ET.Element | None = string
        while element is not None and element.tag != f"{NS}alto":
            chain.append(element.tag.removeprefix(NS))
            element = parents.get(element)
        assert chain == list(reversed(NESTING))
    assert len(_all(root, "TextBlock")) == 3
    assert len(_all(root, "TextLine")) == 4


def test_strings_lines_and_blocks_carry_their_pixel_boxes() -> None:
    """HPOS/VPOS/WIDTH/HEIGHT are each element's box: left, top, width, height in pixels."""
    document = make_document([[["TOTAL 99.50", "due now"]]])
    page = document.pages[0]
    root = _parse(document)

    assert [_box(s) for s in _all(root, "String")] == [_alto_box(w.bbox) for w in page.words()]
    block = page.blocks[0]
    assert [_box(line) for line in _all(root, "TextLine")] == [
        _alto_box(line.bbox) for line in block.lines
    ]
    assert [_box(b) for b in _all(root, "TextBlock")] == [_alto_box(block.bbox)]


def test_pages_carry_size_number_and_confidence() -> None:
    """A Page has its 1-based number, pixel size and mean confidence; its PrintSpace covers it."""
    pages = [
        make_page(1, [["first"]], width=800, height=1200, confidence=0.8),
        make_page(2, [], width=640, height=480),
    ]
    root = _parse(Document.from_pages(pages))

    alto_pages = _all(root, "Page")
    assert [
        (p.attrib["PHYSICAL_IMG_NR"], p.attrib["WIDTH"], p.attrib["HEIGHT"]) for p in alto_pages
    ] == [
        ("1", "800", "1200"),
        ("2", "640", "480"),
    ]
    assert float(alto_pages[0].attrib["PC"]) == 0.8
    assert "PC" not in alto_pages[1].attrib  # no words, no confidence
    spaces = _all(root, "PrintSpace")
    assert [_box(s) for s in spaces] == [(0, 0, 800, 1200), (0, 0, 640, 480)]
    assert list(spaces[1]) == []


def test_word_confidence_is_wc_between_0_and_1() -> None:
    """WC is the word's confidence as it is, 0 to 1 (not a percentage)."""
    words = [
        Word(text="sure", bbox=BBox(x0=10, y0=10, x1=50, y1=30), confidence=0.9876),
        Word(text="unsure", bbox=BBox(x0=60, y0=10, x1=120, y1=30), confidence=0.05),
    ]
    line = Line(bbox=BBox.union(w.bbox for w in words), words=words)
    page = Page(
        number=1,
        width=200,
        height=100,
        blocks=[Block(bbox=line.bbox, lines=[line])],
        engine="tesseract",
        languages=["eng"],
        seconds=0.1,
    )

    strings = _all(_parse(Document.from_pages([page])), "String")

    assert [float(s.attrib["WC"]) for s in strings] == [0.9876, 0.05]


def test_a_space_stands_between_consecutive_words() -> None:
    """SP elements separate the words of a line and span the gap between them."""
    document = make_document([[["one two three"]]])
    root = _parse(document)
    words = list(document.pages[0].words())

    (line,) = _all(root, "TextLine")
    assert [child.tag.removeprefix(NS) for child in line] == [
        "String",
        "SP",
        "String",
        "SP",
        "String",
    ]
    spaces = _all(root, "SP")
    assert [(int(s.attrib["HPOS"]), int(s.attrib["WIDTH"])) for s in spaces] == [
        (a.bbox.x1, b.bbox.x0 - a.bbox.x1) for a, b in pairwise(words)
    ]


def test_markup_in_words_and_source_is_escaped() -> None:
    """Quotes, ampersands and angle brackets survive as text; the XML stays well formed."""
    document = make_document([[['<b>Tom\'s "A&B"']]], source="a<b>&'c'.pdf")
    root = _parse(document)

    assert [s.attrib["CONTENT"] for s in _all(root, "String")] == ["<b>Tom's", '"A&B"']
    assert root.findtext(f".//{NS}fileName") == "a<b>&'c'.pdf"


def test_control_characters_are_dropped_so_the_xml_stays_readable() -> None:
    """XML 1.0 has no form for most control characters: they are left out, the text kept."""
    document = make_document([[["esc\x1bape bell\x07"]]], source="scan\x01.pdf")
    root = _parse(document)

    assert [s.attrib["CONTENT"] for s in _all(root, "String")] == ["escape", "bell"]
    assert root.findtext(f".//{NS}fileName") == "scan.pdf"


def test_ids_are_unique_xml_names() -> None:
    """IDs are valid xsd:ID values (NCNames) and never repeat across pages."""
    root = _parse(make_document([[["same words", "again"]], [["same words"]]]))

    ids = [el.attrib["ID"] for el in root.iter() if "ID" in el.attrib]
    assert len(ids) == len(set(ids)) == 1 + 2 + 2 + 3 + 5  # processing, pages, blocks, lines, words
    assert all(NCNAME.match(i) for i in ids)


def test_blocks_carry_the_page_language_as_a_bcp47_tag() -> None:
    """LANG comes from the page's first language (vie is vi); unknown codes give no LANG."""
    vietnamese = make_page(1, [["Tiếng Việt"]]).model_copy(update={"languages": ["vie", "eng"]})
    unknown = make_page(2, [["???"]]).model_copy(update={"languages": ["xyz"]})

    blocks = _all(_parse(Document.from_pages([vietnamese, unknown])), "TextBlock")

    assert blocks[0].attrib["LANG"] == "vi"
    assert "LANG" not in blocks[1].attrib
    assert _all(_parse(Document.from_pages([vietnamese])), "String")[0].attrib["CONTENT"] == "Tiếng"


def test_lines_without_words_are_left_out() -> None:
    """ALTO requires a String in every TextLine: a line with no words is not written."""
    empty = Line(bbox=BBox(x0=0, y0=0, x1=10, y1=10), words=[])
    built = make_page(1, [["kept"]])
    block = built.blocks[0]
    page = built.model_copy(
        update={"blocks": [block.model_copy(update={"lines": [empty, *block.lines]})]}
    )

    lines = _all(_parse(Document.from_pages([page])), "TextLine")

    assert len(lines) == 1
    assert all(len(_all(line, "String")) >= 1 for line in lines)
