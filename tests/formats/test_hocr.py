"""hOCR renderer: well-formed XHTML, hOCR 1.2 classes nested page > area > par > line > word."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.formats.documents import make_document, make_page
from untxt.document import BBox, Block, Document, Line, Page, Word
from untxt.formats.hocr import render_hocr

XHTML = "{http://www.w3.org/1999/xhtml}"
NESTING = ["ocr_page", "ocr_carea", "ocr_par", "ocr_line", "ocrx_word"]


def _parse(document: Document) -> ET.Element:
    return ET.fromstring(render_hocr(document).encode("utf-8"))


def _by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if el.get("class") == name]


def _title(element: ET.Element) -> dict[str, list[str]]:
    """An hOCR title attribute as ``{property: [values]}``."""
    properties = {}
    for part in (element.get("title") or "").split(";"):
        name, *values = part.split()
        properties[name] = values
    return properties


def test_hocr_is_well_formed_xhtml() -> None:
    """The output parses as XML with an XHTML root and an ocr-system meta tag."""
    root = _parse(make_document([[["INVOICE 12345"]], [["TOTAL 99"]]]))

    assert root.tag == f"{XHTML}html"
    metas = {m.get("name"): m.get("content") for m in root.iter(f"{XHTML}meta")}
    assert metas["ocr-system"] == "untxt"


def test_one_ocr_page_per_page_with_its_size_number_and_resolution() -> None:
    """Each ocr_page has bbox 0 0 width height, a 0-based ppageno and scan_res from the dpi."""
    pages = [
        make_page(1, [["first"]], width=800, height=1200, dpi=300),
        make_page(2, [["second"]], width=640, height=480, dpi=None),
    ]
    root = _parse(Document.from_pages(pages))

    ocr_pages = _by_class(root, "ocr_page")
    assert [_title(p)["bbox"] for p in ocr_pages] == [
        ["0", "0", "800", "1200"],
        ["0", "0", "640", "480"],
    ]
    assert [_title(p)["ppageno"] for p in ocr_pages] == [["0"], ["1"]]
    assert _title(ocr_pages[0])["scan_res"] == ["300", "300"]
    assert "scan_res" not in _title(ocr_pages[1])


def test_elements_nest_page_area_paragraph_line_word() -> None:
    """Every word sits in a line, in a paragraph, in a content area, in a page."""
    root = _parse(make_document([[["one two", "three"], ["four"]]]))

    parents = {child: parent for parent in root.iter() for child in parent}
    words = _by_class(root, "ocrx_word")
    assert [w.text for w in words] == ["one", "two", "three", "four"]
    for word in words:
        chain = []
        element: ET.Element | None = word
        while element is not None and element.get("class"):
            chain.append(element.get("class"))
            element = parents.get(element)
        assert chain == list(reversed(NESTING))
    assert len(_by_class(root, "ocr_carea")) == 2
    assert len(_by_class(root, "ocr_line")) == 3


def test_words_carry_their_bbox_and_confidence_as_x_wconf() -> None:
    """A word's title holds its pixel box and its confidence as a 0-100 integer."""
    word = Word(text="TOTAL", bbox=BBox(x0=12, y0=34, x1=156, y1=78), confidence=0.876)
    line = Line(bbox=word.bbox, words=[word])
    page = Page(
        number=1,
        width=200,
        height=100,
        blocks=[Block(bbox=word.bbox, lines=[line])],
        engine="tesseract",
        languages=["eng"],
        seconds=0.1,
    )
    root = _parse(Document.from_pages([page]))

    (element,) = _by_class(root, "ocrx_word")
    assert _title(element) == {"bbox": ["12", "34", "156", "78"], "x_wconf": ["88"]}
    assert _title(_by_class(root, "ocr_line")[0])["bbox"] == ["12", "34", "156", "78"]


def test_markup_characters_in_words_and_source_are_escaped() -> None:
    """Text with ``<&>'"`` survives as text, not markup, and the document stays well formed."""
    document = make_document([[["<b>Tom's", '"A&B"']]], source="a<b>&'c'.pdf")

    root = _parse(document)

    title = root.find(f"{XHTML}head/{XHTML}title")
    assert [w.text for w in _by_class(root, "ocrx_word")] == ["<b>Tom's", '"A&B"']
    assert title is not None
    assert title.text == "a<b>&'c'.pdf"


def test_control_characters_are_dropped_so_the_xhtml_stays_readable() -> None:
    """XML 1.0 has no form for most control characters: they are left out, the text kept."""
    root = _parse(make_document([[["esc\x1bape bell\x07"]]], source="scan\x01.pdf"))

    assert [w.text for w in _by_class(root, "ocrx_word")] == ["escape", "bell"]


def test_element_ids_are_unique_across_pages() -> None:
    """ids include the page number, so two pages never share one."""
    root = _parse(make_document([[["same words"]], [["same words"]]]))

    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 2 * len(NESTING) + 2


def test_capabilities_list_every_class_used() -> None:
    """The ocr-capabilities meta names each hOCR class the body uses."""
    output = render_hocr(make_document([[["hello world"]]]))
    root = ET.fromstring(output)

    metas = {m.get("name"): m.get("content") or "" for m in root.iter(f"{XHTML}meta")}
    used = set(re.findall(r"class='(ocrx?_\w+)'", output))
    assert used == set(NESTING)
    assert used <= set(metas["ocr-capabilities"].split())


def test_blank_page_is_an_empty_ocr_page() -> None:
    """A page with no words still appears, with no content areas."""
    root = _parse(make_document([[], [["after"]]]))

    pages = _by_class(root, "ocr_page")
    assert len(pages) == 2
    assert list(pages[0]) == []


def test_language_comes_from_the_languages_read() -> None:
    """The main language read becomes the document's xml:lang; a page in another says so."""
    vietnamese = [
        make_page(n, [["Tiếng Việt"]]).model_copy(update={"languages": ["vie"]}) for n in (1, 2)
    ]
    english = make_page(3, [["English"]])
    root = _parse(Document.from_pages([*vietnamese, english]))

    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert root.get(xml_lang) == "vi" and root.get("lang") == "vi"
    assert [page.get(xml_lang) for page in _by_class(root, "ocr_page")] == [None, None, "en"]


def test_unknown_language_gives_no_lang() -> None:
    """A code untxt cannot map to BCP 47 is left out rather than guessed."""
    page = make_page(1, [["???"]]).model_copy(update={"languages": ["xyz"]})
    root = _parse(Document.from_pages([page]))

    assert "lang" not in root.attrib
