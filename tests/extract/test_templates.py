"""User templates in invoice2data's format: checked when parsed, applied to OCR'd documents."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.formats.documents import block_of, cells_line, page_of
from untxt.document import Document
from untxt.engines import EngineRegistry
from untxt.errors import InvalidTemplateError
from untxt.extract.model import Extraction, FieldValue
from untxt.extract.template_text import LayoutText
from untxt.extract.templates import MAX_TEMPLATE_BYTES, Template, apply_templates, parse_template
from untxt.extract.view import DocumentView
from untxt.options import JobOptions
from untxt.pipeline import recognize_document


def shipped_dir() -> Path:
    import invoice2data

    return Path(invoice2data.__file__).parent / "extract" / "templates"


def shipped(path: str) -> Template:
    return parse_template((shipped_dir() / path).read_text(encoding="utf-8"))


def error_of(text: str) -> InvalidTemplateError:
    with pytest.raises(InvalidTemplateError) as caught:
        parse_template(text, name="mine")
    return caught.value


# Parsing and checking -------------------------------------------------------------------


def test_bad_yaml_indentation_names_its_line() -> None:
    error = error_of("keywords:\n  - ACME\nfields:\n  amount: Total (\\d+)\n   date: x\n")
    assert error.extra == {"line": 5}
    assert "not valid YAML" in str(error) and "line 5" in str(error)
    assert error.status == 422 and error.problem == "invalid-template" and error.permanent


def test_a_regex_that_does_not_compile_points_at_its_own_line() -> None:
    text = (
        "issuer: ACME\n"
        "keywords: [ACME]\n"
        "fields:\n"
        "  amount: Total (\\d+)\n"
        "  invoice_number:\n"
        "    parser: regex\n"
        "    regex:\n"
        "      - No\\. (\\d+)\n"
        "      - Nr ((\\d+)\n"
    )
    error = error_of(text)
    assert error.extra == {"line": 9}
    assert "fields.invoice_number.regex.1" in str(error)
    assert "does not compile" in str(error)


def test_a_legacy_field_pattern_that_does_not_compile_points_at_the_field() -> None:
    error = error_of("keywords: [ACME]\nfields:\n  amount: Total (\\d+\n  date: (\\d+)\n")
    assert error.extra == {"line": 3}
    assert "fields.amount" in str(error)


def test_keywords_are_required() -> None:
    error = error_of("issuer: ACME\nfields:\n  amount: Total (\\d+)\n")
    assert "keywords" in str(error)
    assert error.extra == {"line": 1}
    assert "keywords" in str(error_of("keywords: []\n"))
    assert error_of("keywords:\n  - ACME\n  - 12\n").extra == {"line": 3}


def test_language_codes_have_two_letters() -> None:
    error = error_of("keywords: [ACME]\noptions:\n  languages:\n    - nl\n    - dutch\n")
    assert error.extra == {"line": 5}
    assert "'dutch' is not a 2-letter language code" in str(error)
    assert error_of("keywords: [ACME]\noptions:\n  languages: nl\n").extra == {"line": 3}


def test_other_options_are_checked() -> None:
    separator = error_of("keywords: [A]\noptions:\n  decimal_separator: ',,'\n")
    assert separator.extra == {"line": 3}
    replace = error_of("keywords: [A]\noptions:\n  replace:\n    - ['(x', y]\n")
    assert replace.extra == {"line": 4} and "does not compile" in str(replace)
    lines = error_of("keywords: [A]\nfields:\n  lines:\n    parser: lines\n    start: S\n")
    assert lines.extra == {"line": 3} and "lines need end" in str(lines)
    parser = error_of("keywords: [A]\nfields:\n  amount:\n    parser: magic\n")
    assert "parser must be one of regex, lines, static" in str(parser)


def test_json_templates_parse() -> None:
    text = json.dumps(
        {
            "issuer": "ACME Corp",
            "keywords": ["ACME", "Invoice"],
            "fields": {"amount": "Total\\s+(\\d+\\.\\d{2})", "static_vat": "NL123"},
            "options": {"currency": "USD", "languages": ["en"]},
        },
        indent=1,
    )
    template = parse_template(text)
    assert template.name == "ACME Corp"
    assert template.spec["keywords"] == ["ACME", "Invoice"]
    assert template.spec["priority"] == 5
    broken = error_of(text.replace('"USD"', '"USD",,'))
    assert "not valid JSON" in str(broken)
    assert broken.extra["line"] == text.splitlines().index(' "options": {') + 1 + 1


def test_the_name_is_the_one_given_then_the_templates_own_then_the_issuer() -> None:
    assert parse_template("template_name: t\nissuer: i\nkeywords: [k]\n", name="n").name == "n"
    assert parse_template("template_name: t\nissuer: i\nkeywords: [k]\n").name == "t"
    assert parse_template("issuer: i\nkeywords: [k]\n").name == "i"
    assert parse_template("keywords: [k]\n").name == "k"


def test_oversized_templates_are_refused() -> None:
    text = "keywords: [ACME]\n# " + "x" * MAX_TEMPLATE_BYTES + "\n"
    assert "bytes" in str(error_of(text))


def test_yaml_alias_bombs_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    error = error_of("keywords: [k]\n" + "\n".join(lines) + "\n")
    assert "more than" in str(error)


# Known faults of invoice2data 1.0.1's own templates: its engine fails on them as well.
BROKEN_SHIPPED = {
    # A top-level `lines` plugin given as a list: the lines parser takes a mapping.
    "nl.blokker.yml": "lines (line 56): lines settings are a mapping (start, end, line), not a",
    # `start: (BTW type` opens a group it never closes.
    "nl.gulf.yml": "fields.lines.rules.0.start (line 63): pattern '(BTW type' does not compile",
}


def test_every_template_invoice2data_ships_parses_but_its_two_broken_ones() -> None:
    paths = sorted(p for p in shipped_dir().rglob("*") if p.suffix in (".yml", ".yaml", ".json"))
    assert len(paths) > 200
    refused = {}
    for path in paths:
        try:
            parse_template(path.read_text(encoding="utf-8"), name=path.name)
        except InvalidTemplateError as exc:
            refused[path.name] = str(exc)
    assert sorted(refused) == sorted(BROKEN_SHIPPED)
    for name, message in BROKEN_SHIPPED.items():
        assert refused[name].startswith(message)


@pytest.mark.filterwarnings("ignore:The 'lines' plugin:DeprecationWarning")
def test_invoice2data_itself_fails_on_the_two_broken_templates() -> None:
    from invoice2data.extract.loader import read_templates

    loaded = {t["template_name"]: t for t in read_templates(str(shipped_dir() / "nl"))}
    blokker = loaded["nl.blokker.yml"]
    with pytest.raises(TypeError):
        blokker.extract("Artikel\nx\nTotaal (incl. BTW)  € 1.00\n", "", None)
    gulf = loaded["nl.gulf.yml"]
    with pytest.raises(Exception, match="missing \\)"):
        gulf.extract("BTW type\n01-01-2020 10:00:00\n", "", None)


# The text templates read --------------------------------------------------------------


def test_layout_text_sets_words_at_their_columns_and_joins_level_blocks() -> None:
    left = block_of([cells_line([(0, "Invoice no")], 100), cells_line([(0, "Total")], 200)])
    right = block_of([cells_line([(600, "INV-7")], 102), cells_line([(600, "12.50")], 198)])
    view = DocumentView(Document.from_pages([page_of([left, right])]))

    layout = LayoutText(view)

    first, second = layout.text.split("\n")
    assert first.startswith("Invoice no ") and first.endswith(" INV-7")
    assert second.startswith("Total ") and second.endswith(" 12.50")
    assert first.index("INV-7") == second.index("12.50")
    start = layout.text.index("INV-7")
    (span,) = layout.spans(start + 4, start + 5)
    assert span.text == "7" and [w.text for w in span.words] == ["INV-7"]


# Applied to OCR'd invoices ------------------------------------------------------------

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# (x, y, text) in pixels on a 1700 px wide page, so that each template's patterns
# match the layout text of what Tesseract reads.
LINODE = [
    (100, 100, "Linode"),
    (100, 150, "Toll free 855-454-6633"),
    (1000, 100, "Invoice: #10483726"),
    (1000, 160, "Invoice Date: 2018-03-01"),
    (100, 300, "Linode 2GB"),
    (1200, 300, "$10.00"),
    (100, 360, "Backups"),
    (1200, 360, "$2.50"),
    (100, 460, "Invoice Total:$12.50"),
]
GITHUB = [
    (100, 100, "GitHub, Inc."),
    (100, 160, "support@github.com"),
    (100, 260, "Date"),
    (500, 260, "2018-04-06"),
    (100, 320, "Transaction ID"),
    (500, 320, "KX7Q2M9"),
    (100, 380, "Amount USD"),
    (500, 380, "$84.00"),
]
CLOUDFLARE = [
    (100, 100, "Cloudflare, Inc"),
    (100, 160, "101 Townsend St, San Francisco, CA 94107"),
    (1100, 100, "INVOICE: IN30417"),
    (1100, 160, "Date: 15/12/2019"),
    (100, 300, "Summary of Current Charges"),
    (100, 370, "Pro Plan"),
    (500, 370, "01/12/2019 - 31/12/2019"),
    (1000, 370, "1"),
    (1150, 370, "$0.00"),
    (1400, 370, "$20.00"),
    (100, 430, "Workers Bundled"),
    (500, 430, "01/12/2019 - 31/12/2019"),
    (1000, 430, "2"),
    (1150, 430, "$0.00"),
    (1400, 430, "$10.00"),
    (100, 520, "Total"),
    (1400, 520, "$30.00"),
    (100, 600, "Paid by VISA"),
]


def ocr(engines: EngineRegistry, cells: list[tuple[int, int, str]]) -> DocumentView:
    image = Image.new("L", (1700, 800), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 30)
    for x, y, text in cells:
        draw.text((x, y), text, font=font, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    options = JobOptions(engine="tesseract", languages=["eng"])
    document = recognize_document(
        buffer.getvalue(),
        options,
        engines.get("tesseract"),
        max_pages=1,
        max_pixels=50_000_000,
        source="invoice.png",
    )
    return DocumentView(document, options.languages)


@pytest.fixture(scope="module")
def linode(engines: EngineRegistry) -> DocumentView:
    return ocr(engines, LINODE)


@pytest.fixture(scope="module")
def github(engines: EngineRegistry) -> DocumentView:
    return ocr(engines, GITHUB)


@pytest.fixture(scope="module")
def cloudflare(engines: EngineRegistry) -> DocumentView:
    return ocr(engines, CLOUDFLARE)


def invoice(**fields: FieldValue) -> Extraction:
    return Extraction(document_type="invoice", type_confidence=1.0, fields=fields)


def rule(value: object, content: str, kind: str = "string") -> FieldValue:
    return FieldValue.model_validate(
        {"type": kind, "value": value, "content": content, "confidence": 0.5, "source": "rule:x"}
    )


def assert_grounded(field: FieldValue, content: str) -> None:
    assert field.content == content
    assert field.words and field.page == 1 and field.bbox is not None
    assert 0.8 < field.confidence <= 0.95


def test_linode_template_reads_its_invoice(linode: DocumentView) -> None:
    template = shipped("com/com.linode.yml")
    generic = invoice(InvoiceTotal=rule(10.0, "$10.00", "amount"), CustomerName=rule("Bob", "Bob"))

    result = apply_templates(linode, [template], generic)

    fields = result.fields
    assert {n: f.value for n, f in fields.items() if f.source == "template:Linode"} == {
        "VendorName": "Linode",
        "InvoiceId": "10483726",
        "InvoiceDate": "2018-03-01",
        "InvoiceTotal": 12.5,
        "SubTotal": 12.5,
        "Currency": "USD",
        "partner_website": "www.linode.com",
    }
    assert_grounded(fields["InvoiceId"], "10483726")
    assert_grounded(fields["InvoiceDate"], "2018-03-01")
    assert_grounded(fields["InvoiceTotal"], "$12.50")
    assert fields["InvoiceDate"].type == "date" and fields["InvoiceTotal"].type == "amount"
    # Printed nowhere: the template's own value, with no words.
    website = fields["partner_website"]
    assert (website.content, website.words, website.bbox, website.confidence) == (
        "www.linode.com",
        [],
        None,
        0.9,
    )
    # What the template does not read stays as the generic extractor found it.
    assert fields["CustomerName"] == generic.fields["CustomerName"]
    assert result.document_type == "invoice" and result.warnings == []


def test_github_template_reads_text_it_strips_of_spaces(github: DocumentView) -> None:
    result = apply_templates(github, [shipped("com/com.github.yml")], invoice())

    fields = result.fields
    assert {n: f.value for n, f in fields.items()} == {
        "VendorName": "Github, Inc.",
        "InvoiceId": "KX7Q2M9",
        "InvoiceDate": "2018-04-06",
        "InvoiceTotal": 84.0,
        "Currency": "USD",
    }
    assert all(f.source == "template:Github, Inc." for f in fields.values())
    assert_grounded(fields["InvoiceId"], "KX7Q2M9")
    assert_grounded(fields["InvoiceDate"], "2018-04-06")
    assert_grounded(fields["InvoiceTotal"], "$84.00")
    assert_grounded(fields["VendorName"], "GitHub, Inc.")


def test_cloudflare_template_reads_line_items(cloudflare: DocumentView) -> None:
    generic = invoice()
    generic.items = [{"Description": rule("stale", "stale")}]

    result = apply_templates(cloudflare, [shipped("com/com.cloudflare.yml")], generic)

    fields = result.fields
    assert fields["VendorName"].value == "Cloudflare, Inc"
    assert fields["InvoiceId"].value == "IN30417"
    assert fields["InvoiceDate"].value == "2019-12-15"
    assert fields["InvoiceTotal"].value == 30.0
    assert fields["Currency"].value == "USD"
    assert fields["partner_zip"].value == "CA 94107"
    assert fields["payment_method"].value == "VISA"
    assert_grounded(fields["InvoiceDate"], "15/12/2019")
    assert_grounded(fields["InvoiceTotal"], "$30.00")
    assert {f.source for f in fields.values()} == {"template:Cloudflare, Inc"}
    assert [
        {name: field.value for name, field in item.items() if name != "line_tax_amount"}
        for item in result.items
    ] == [
        {
            "Description": "Pro Plan",
            "Quantity": 1.0,
            "Amount": 20.0,
            "date_start": "01/12/2019",
            "date_end": "31/12/2019",
        },
        {
            "Description": "Workers Bundled",
            "Quantity": 2.0,
            "Amount": 10.0,
            "date_start": "01/12/2019",
            "date_end": "31/12/2019",
        },
    ]
    # Each row's values are grounded in that row, though the dates repeat.
    for item, y in zip(result.items, (370, 430), strict=True):
        for field in item.values():
            assert field.bbox is not None and abs(field.bbox.y0 - y) < 20
    assert_grounded(result.items[0]["Quantity"], "1")


def test_receipts_get_receipt_names(linode: DocumentView) -> None:
    receipt = Extraction(document_type="receipt", type_confidence=0.8)

    fields = apply_templates(linode, [shipped("com/com.linode.yml")], receipt).fields

    assert fields["MerchantName"].value == "Linode"
    assert fields["ReceiptNumber"].value == "10483726"
    assert fields["TransactionDate"].value == "2018-03-01"
    assert fields["Total"].value == 12.5
    assert fields["Subtotal"].value == 12.5


def test_a_template_that_does_not_match_changes_nothing(linode: DocumentView) -> None:
    generic = invoice(InvoiceTotal=rule(12.5, "$12.50", "amount"))
    other = [shipped("com/com.github.yml"), shipped("com/com.cloudflare.yml")]

    assert apply_templates(linode, other, generic) == generic


def test_a_matching_template_missing_required_fields_only_warns(linode: DocumentView) -> None:
    template = parse_template(
        "issuer: Linode\nkeywords: [Linode]\nfields:\n  amount: Grand total (\\d+)\n"
        "  invoice_number: 'Invoice: #(\\d+)'\n",
    )
    generic = invoice(InvoiceTotal=rule(12.5, "$12.50", "amount"))

    result = apply_templates(linode, [template], generic)

    assert result.fields == generic.fields
    assert result.warnings == [
        "template 'Linode' matched but could not be applied: Unable to parse required "
        "field(s): amount, date (template Linode)"
    ]


def test_the_highest_priority_match_wins_and_makes_other_an_invoice(linode: DocumentView) -> None:
    def numbered(name: str, priority: int) -> Template:
        return parse_template(
            f"template_name: {name}\nkeywords: [Linode]\npriority: {priority}\n"
            "required_fields: [invoice_number]\nfields:\n  invoice_number: 'Invoice: #(\\d+)'\n"
        )

    other = Extraction(document_type="other", type_confidence=0.6)
    templates = [numbered("low", 4), numbered("high", 7), numbered("default", 5)]

    result = apply_templates(linode, templates, other)

    assert result.fields["InvoiceId"].source == "template:high"
    assert (result.document_type, result.type_confidence) == ("invoice", 0.9)
    # A template that names no currency does not get invoice2data's EUR.
    assert "Currency" not in result.fields
