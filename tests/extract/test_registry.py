"""Document types as plugins: a package beside untxt adds one by entry point."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.formats.documents import make_document
from untxt.errors import InvalidOptionsError
from untxt.extract import ENTRY_POINT_GROUP, check_extract, document_types, extract_fields

_PLUGIN = """
    from untxt.extract import DocumentType, Extraction, FieldSpec
    from untxt.extract.view import grounded

    class PurchaseOrder(DocumentType):
        name = "purchase_order"
        fields = (FieldSpec(name="OrderNumber", kind="string", description="The PO's number"),)

        def score(self, view):
            return 2.0 if "purchase order" in view.folded else 0.0

        def extract(self, view):
            line = next(l for l in view.lines if "po-" in l.folded)
            start = line.folded.index("po-")
            return Extraction(
                document_type="other",
                type_confidence=1.0,
                fields={
                    "OrderNumber": grounded(
                        [line.span(start, len(line.text))],
                        kind="string",
                        value=line.text[start:],
                        source="rule:po",
                        certainty=1.0,
                    )
                },
            )

    class Misnamed(PurchaseOrder):
        name = "something_else"
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "thirdparty_types.py").write_text(textwrap.dedent(_PLUGIN))
    info = tmp_path / "thirdparty_types-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-types\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "purchase_order = thirdparty_types:PurchaseOrder\n"
        "misnamed = thirdparty_types:Misnamed\n"
        "broken = thirdparty_types_missing:Type\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    document_types.cache_clear()
    yield
    document_types.cache_clear()


def test_untxts_own_types_register_by_entry_point() -> None:
    assert {"receipt", "invoice", "utility_bill"} <= set(document_types())


def test_a_plugin_type_is_classified_and_extracted_and_broken_ones_are_left_out(
    plugins: None,
) -> None:
    types = document_types()
    assert "purchase_order" in types
    assert "misnamed" not in types and "broken" not in types
    document = make_document([[["PURCHASE ORDER", "Number PO-7781"]]])
    extraction = extract_fields(document, ["purchase_order"])
    assert extraction.fields["OrderNumber"].value == "PO-7781"
    assert check_extract(["auto", "purchase_order"]) == ["auto", "purchase_order"]


def test_unknown_types_are_refused_naming_the_choices() -> None:
    with pytest.raises(InvalidOptionsError, match=r"'passport'.*receipt"):
        check_extract(["receipt", "passport"])
