"""User templates in invoice2data's YAML or JSON format, run on invoice2data's own engine.

A template is checked when it is saved (:func:`parse_template`): every pattern must
compile and invoice2data must accept it, or :class:`InvalidTemplateError` says
what is wrong and on which line. Applied to a document (:func:`apply_templates`),
the first template whose keywords the document prints, highest priority first,
reads it as invoice2data would read ``pdftotext -layout`` output, and its values
override the generic extractor's fields (see :mod:`untxt.extract.template_fields`).

invoice2data is imported only when a template is parsed or applied: ``untxt ocr``
never pays for it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from untxt.extract.amounts import decimal_mark
from untxt.extract.dates import date_order
from untxt.extract.model import Extraction
from untxt.extract.template_checks import check_template, invalid
from untxt.extract.template_fields import OutputReader
from untxt.extract.template_text import Grounder, LayoutText, Range
from untxt.extract.view import DocumentView

#: The largest template text accepted, in bytes.
MAX_TEMPLATE_BYTES = 100 * 1024


@dataclass(frozen=True)
class Template:
    """A parsed template: its name and its invoice2data mapping."""

    name: str
    spec: dict[str, Any]


def parse_template(text: str, *, name: str | None = None) -> Template:
    """Parse and check a template given as YAML or JSON text."""
    size = len(text.encode())
    if size > MAX_TEMPLATE_BYTES:
        raise invalid(f"template is {size} bytes, more than the {MAX_TEMPLATE_BYTES} allowed")
    data = check_template(text)
    spec: dict[str, Any] = copy.deepcopy(data)
    # A name given (the one a template is stored under) is the name fields cite.
    label = str(name or spec.get("template_name") or spec.get("issuer") or spec["keywords"][0])
    spec["template_name"] = label
    if spec.get("fields") is None:
        spec["fields"] = {}

    from invoice2data.extract.invoice_template import InvoiceTemplate
    from invoice2data.extract.loader import prepare_template

    prepared = prepare_template(spec)
    if prepared is None:
        raise invalid("invoice2data does not accept the template")
    try:
        InvoiceTemplate(copy.deepcopy(prepared))
    except Exception as exc:  # whatever invoice2data refuses, the owner must hear why
        raise invalid(f"invoice2data does not accept the template: {exc}") from None
    return Template(name=label, spec=prepared)


def apply_templates(
    view: DocumentView, templates: Sequence[Template], extraction: Extraction
) -> Extraction:
    """Let the first matching template (highest priority first) override the fields it defines."""
    if not templates or not view.lines:
        return extraction
    from invoice2data.extract.invoice_template import InvoiceTemplate

    layout = LayoutText(view)
    # A stable sort: templates of one priority keep the order they were given in.
    for template in sorted(templates, key=lambda t: t.spec.get("priority", 5), reverse=True):
        if InvoiceTemplate(template.spec).matches_input(layout.text):
            return _apply(view, layout, template, extraction)
    return extraction


def _apply(
    view: DocumentView, layout: LayoutText, template: Template, extraction: Extraction
) -> Extraction:
    from invoice2data.extract.invoice_template import InvoiceTemplate

    engine = InvoiceTemplate(copy.deepcopy(template.spec))
    options = template.spec.get("options") or {}
    if "currency" not in options:
        # invoice2data would otherwise report EUR for any document whose template names
        # no currency; untxt reports only what the document or the template says.
        engine.options["currency"] = None
    try:
        optimized = engine.prepare_input(layout.text)
        output = engine.extract(optimized, "", None)
    except Exception as exc:  # a template may break inside invoice2data in any way
        warning = f"template {template.name!r} matched but could not be applied: {exc}"
        return extraction.model_copy(update={"warnings": [*extraction.warnings, warning]})
    if "issuer" not in template.spec:
        output.pop("issuer", None)  # invoice2data's stand-in is the first keyword, not a name
    # Where the template's own patterns match shows which of several equal values it read,
    # as long as its options left the text as it was.
    same = optimized == layout.text
    mark = options.get("decimal_separator") or decimal_mark(view.text, view.languages)
    document_type = "invoice" if extraction.document_type == "other" else extraction.document_type
    reader = OutputReader(
        Grounder(layout, mark=mark, order=date_order(view.folded)),
        name=template.name,
        document_type=document_type,
        constants=_constants(template.spec),
        hints=_hints(template.spec, optimized) if same else {},
        lines_start=_lines_start(template.spec, optimized) if same else 0,
    )
    result = reader.read(output)
    update: dict[str, Any] = {
        "fields": {**extraction.fields, **result.fields},
        "warnings": [*extraction.warnings, *result.warnings],
    }
    if result.items:
        update["items"] = result.items
    if extraction.document_type == "other":
        update.update(document_type="invoice", type_confidence=0.9)
    return extraction.model_copy(update=update)


def _constants(spec: dict[str, Any]) -> frozenset[str]:
    """Output keys whose values the template itself gives rather than reads."""
    keys = {"issuer"}
    for key, value in (spec.get("fields") or {}).items():
        if key.startswith("static_"):
            keys.add(key.removeprefix("static_"))
        elif isinstance(value, dict) and value.get("parser") == "static":
            keys.add(key)
    return frozenset(keys)


def _hints(spec: dict[str, Any], text: str) -> dict[str, list[Range]]:
    """Where each regex field's patterns match: the groups invoice2data took values from."""
    from invoice2data.extract import _regex

    hints: dict[str, list[Range]] = {}
    for key, value in (spec.get("fields") or {}).items():
        patterns = value.get("regex") if isinstance(value, dict) else value
        if key.startswith("static_") or (
            isinstance(value, dict) and value.get("parser") != "regex"
        ):
            continue
        if key.startswith("sum_amount") and isinstance(value, list):
            key = key.removeprefix("sum_")
        for pattern in patterns if isinstance(patterns, list) else [patterns]:
            for match in _regex.finditer(pattern, text) if isinstance(pattern, str) else ():
                start, end = match.span(1) if match.re.groups else match.span()
                if start >= 0 and len(hints.setdefault(key, [])) < 64:
                    hints[key].append((start, end))
    return hints


def _lines_start(spec: dict[str, Any], text: str) -> int:
    """Where the template's line items begin: after the first match of their ``start``."""
    from invoice2data.extract import _regex

    settings = (spec.get("fields") or {}).get("lines", spec.get("lines"))
    rules = (settings.get("rules") or [settings]) if isinstance(settings, dict) else [{}]
    start = rules[0].get("start") if isinstance(rules[0], dict) else None
    found = _regex.search(start, text) if isinstance(start, str) else None
    return found.end() if found else 0
