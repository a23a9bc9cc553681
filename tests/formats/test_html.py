"""HTML renderer: a standalone HTML5 page, escaped, a section per page, a paragraph per block."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from tests.formats.documents import (
    block_of,
    cells_line,
    make_document,
    make_page,
    page_of,
    text_block,
)
from untxt.document import Document
from untxt.formats.html import render_html

VOID = {"meta", "br", "link", "img", "hr", "input"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def find_all(self, tag: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    found.append(child)
                found.extend(child.find_all(tag))
        return found

    def text(self) -> str:
        """Text content, a <br> read as a newline."""
        return "".join(
            child if isinstance(child, str) else ("\n" if child.tag == "br" else child.text())
            for child in self.children
        )


class _TreeBuilder(HTMLParser):
    """The document tree as the standard library's HTML tokenizer sees it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.stack[-1].children.append(data.strip("\n"))


def _parse(document: Document) -> tuple[Node, str]:
    builder = _TreeBuilder()
    builder.feed(render_html(document))
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    (html,) = builder.root.find_all("html")
    return html, builder.doctype


def test_html_is_a_standalone_html5_page() -> None:
    """Doctype, UTF-8, a title from the file name, and no external resources."""
    html, doctype = _parse(make_document([[["hello world"]]], source="scan.pdf"))

    assert doctype.lower() == "doctype html"
    assert {"charset": "utf-8"} in [m.attrs for m in html.find_all("meta")]
    assert [t.text() for t in html.find_all("title")] == ["scan.pdf"]
    assert not html.find_all("script")
    assert not html.find_all("link")


def test_one_section_per_page_and_a_paragraph_per_block() -> None:
    """Sections follow the pages (blank ones too); lines of a block break with <br>."""
    document = make_document([[["first block", "second line"], ["another"]], [], [["last"]]])
    html, _ = _parse(document)

    sections = html.find_all("section")
    assert [s.attrs["id"] for s in sections] == ["page-1", "page-2", "page-3"]
    assert [s.attrs["data-page"] for s in sections] == ["1", "2", "3"]
    assert [[p.text() for p in s.find_all("p")] for s in sections] == [
        ["first block\nsecond line", "another"],
        [],
        ["last"],
    ]


def test_recognised_markup_is_shown_not_run() -> None:
    """Text that looks like HTML stays text: no script element, the characters intact."""
    document = make_document([[["<script>alert(1)</script> & <b>bold</b>"]]], source="<x>.pdf")
    html, _ = _parse(document)

    assert not html.find_all("script")
    assert not html.find_all("b")
    assert [p.text() for p in html.find_all("p")] == ["<script>alert(1)</script> & <b>bold</b>"]
    assert [t.text() for t in html.find_all("title")] == ["<x>.pdf"]


def test_lang_comes_from_the_languages_read() -> None:
    """The page's main language becomes html lang; a page in another says so on its section."""
    vietnamese = [
        make_page(n, [["Tiếng Việt"]]).model_copy(update={"languages": ["vie"]}) for n in (1, 2)
    ]
    english = make_page(3, [["English"]])
    html, _ = _parse(Document.from_pages([*vietnamese, english]))

    assert html.attrs["lang"] == "vi"
    assert [s.attrs.get("lang") for s in html.find_all("section")] == [None, None, "en"]
    assert html.find_all("p")[0].text() == "Tiếng Việt"


def test_unknown_language_gives_no_lang() -> None:
    """A code untxt cannot map to BCP 47 is left out rather than guessed."""
    page = make_page(1, [["???"]]).model_copy(update={"languages": ["xyz"]})
    html, _ = _parse(Document.from_pages([page]))

    assert "lang" not in html.attrs


def test_headings_and_tables_as_markdown_finds_them() -> None:
    """The layout the markdown renderer sees (headings, tables) is marked up as h1 and table."""
    rows = [[(50, "Item"), (400, "Qty")], [(50, "Tea"), (400, "3")]]
    page = page_of(
        [
            text_block(["Price list"], 20, height=60),
            block_of([cells_line(row, 120 + 40 * i) for i, row in enumerate(rows)]),
        ]
    )
    html, _ = _parse(Document.from_pages([page]))

    assert [h.text() for h in html.find_all("h1")] == ["Price list"]
    (table,) = html.find_all("table")
    assert [th.text() for th in table.find_all("th")] == ["Item", "Qty"]
    assert [td.text() for td in table.find_all("td")] == ["Tea", "3"]
