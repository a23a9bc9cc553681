"""HTML: a standalone HTML5 page, a section per page, paragraphs, headings and tables."""

from __future__ import annotations

import re
from html import escape

from untxt.document import Document, Page
from untxt.formats.languages import document_language, main_language
from untxt.formats.layout import Heading, Item, Paragraph, Table, page_items

# Control characters are not allowed in HTML text; OCR should not produce them anyway.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_HEAD = """<!DOCTYPE html>
<html{lang}>
<head>
<meta charset="utf-8">
<meta name="generator" content="untxt">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ max-width: 50em; margin: 2em auto; padding: 0 1em; font-family: serif; line-height: 1.5; }}
section.page {{ border-bottom: 1px solid #ccc; padding-bottom: 1em; }}
section.page::before {{ content: "page " attr(data-page); font-size: 0.8em; color: #666; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }}
</style>
</head>
<body>
"""


def _text(text: str) -> str:
    return escape(_CONTROL.sub("", text), quote=False)


def _item(item: Item) -> str:
    if isinstance(item, Heading):
        return f"<h{item.level}>{_text(item.text)}</h{item.level}>"
    if isinstance(item, Paragraph):
        return "<p>" + "<br>\n".join(_text(line) for line in item.lines) + "</p>"
    return _table(item)


def _table(table: Table) -> str:
    head, *body = table.rows
    out = ["<table>", "<thead>", "<tr>" + "".join(f"<th>{_text(c)}</th>" for c in head) + "</tr>"]
    out += ["</thead>", "<tbody>"]
    out += ["<tr>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>" for row in body]
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def _section(page: Page, document_lang: str | None) -> list[str]:
    lang = main_language(page.languages)
    attribute = f' lang="{lang}"' if lang and lang != document_lang else ""
    out = [f'<section class="page" id="page-{page.number}" data-page="{page.number}"{attribute}>']
    out.extend(_item(item) for item in page_items(page))
    out.append("</section>")
    return out


def render_html(document: Document) -> str:
    """The recognised text as a standalone HTML5 page, escaped, one section per page."""
    # The language most pages were read in; a page read in another says so itself.
    document_lang = document_language(document.pages)
    title = document.source or "untxt"
    out = [
        _HEAD.format(
            lang=f' lang="{document_lang}"' if document_lang else "",
            title=_text(title),
        )
    ]
    for page in document.pages:
        out.extend(_section(page, document_lang))
    out.append("</body>\n</html>\n")
    return "\n".join(out)
