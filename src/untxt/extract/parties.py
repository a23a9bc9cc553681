"""Values beside their labels, and the blocks of lines under a label (``Bill to``).

A label's value is the rest of its column segment after the colon (an English
gloss in brackets, as Vietnamese invoices print them, skipped), or the next
segment of the line when the label stands alone in its own, or the words right
under the label on the next line (a row of headings over a row of values). A
block under a label is the run of lines below it, in its column, until a gap or
another label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from untxt.extract import labels
from untxt.extract.model import FieldValue
from untxt.extract.view import DocumentView, Span, ViewLine, grounded

_GLOSS = re.compile(r"\s*(?:\([^)]{0,40}\)\s*)?[:\uff1a#]?\s*(?:\([^)]{0,40}\)\s*)?[:\uff1a]?\s*")
#: A label: a few words, perhaps a gloss in brackets, then a colon.
_ANY_LABEL = re.compile(r"^[^:]{1,40}:")
_CUSTOMER = re.compile(
    r"(?<![a-z])(?:bill(?:ed)?\s*to|invoice\s*to|sold\s*to|customer|client|buyer|"
    r"rechnungsempfanger|kunde|facture\s*a)(?![a-z])"
)
_SHIP_TO = re.compile(r"(?<![a-z])(?:ship(?:ped)?\s*to|deliver(?:y)?\s*to)(?![a-z])")
_OTHER_BLOCK = re.compile(_CUSTOMER.pattern + "|" + _SHIP_TO.pattern)

Accept = Callable[[Span], Span | None]


def _keep(span: Span) -> Span | None:
    return span if span.text.strip(" :.-") else None


def matching(pattern: re.Pattern[str], *, digit: bool = False) -> Accept:
    """Take the part of a value ``pattern`` matches (holding a digit, if ``digit``)."""

    def accept(span: Span) -> Span | None:
        match = pattern.search(span.text)
        if match is None or (digit and not re.search(r"\d", match.group(0))):
            return None
        text = match.group(0).rstrip(".,:;")
        start = span.start + match.start()
        return span.line.span(start, start + len(text))

    return accept


def _segment_of(line: ViewLine, position: int) -> tuple[ViewLine, int]:
    """The column segment of ``line`` holding character ``position``, and its offset."""
    offset = 0
    for segment in line.segments:
        if position < offset + len(segment.text) + 1:
            return segment, offset
        offset += len(segment.text) + 1
    return line.segments[-1], offset - len(line.segments[-1].text) - 1


def values_after(view: DocumentView, line: ViewLine, start: int, end: int) -> Iterator[Span]:
    """Where the value of the label at ``start``-``end`` of ``line`` may be printed, in order:
    after it in its segment, in the next segment, under it on the next line."""
    segment, offset = _segment_of(line, start)
    gloss = _GLOSS.match(line.text, end)
    begin = (gloss.end() if gloss else end) - offset
    stop = len(segment.text)
    if begin < stop:
        yield segment.span(begin, stop)
    else:
        following = line.segments[line.segments.index(segment) + 1 :]
        if following:
            yield following[0].span(0, len(following[0].text))
    box = line.box_of(start, end)
    if box is None:
        return
    for other in view.lines[line.number + 1 : line.number + 4]:
        if other.page != line.page or other.bbox.y0 - line.bbox.y1 > 2.5 * max(1, line.height):
            return
        under = [s for s in other.segments if s.bbox.x0 < box.x1 and s.bbox.x1 > box.x0]
        if under:
            yield under[0].span(0, len(under[0].text))
            return


def after_label(
    view: DocumentView,
    label: re.Pattern[str],
    *,
    start: int = 0,
    stop: int | None = None,
    accept: Accept = _keep,
) -> Span | None:
    """The first value ``accept`` takes after a ``label`` among lines ``start`` to ``stop``."""
    for line in view.lines[start:stop]:
        for match in label.finditer(line.folded):
            for candidate in values_after(view, line, *match.span()):
                if _ANY_LABEL.match(candidate.text) and candidate.line is not line:
                    continue  # the line below holds a label of its own
                taken = accept(candidate)
                if taken is not None:
                    return taken
    return None


def continued(view: DocumentView, span: Span) -> list[Span]:
    """``span`` and the lines that carry it on: set under where it starts, holding no
    label (an address or an amount in words wrapped over two lines)."""
    spans = [span]
    box = span.line.box_of(span.start, span.end)
    if box is None:
        return spans
    previous = span.line
    for other in view.lines[span.line.number + 1 : span.line.number + 3]:
        if other.page != previous.page or other.bbox.y0 - previous.bbox.y1 > previous.height:
            break
        # A wrapped value goes on under itself, or back at the start of its label's line.
        if other.bbox.x0 < span.line.bbox.x0 - previous.height:
            break
        if other.bbox.x0 > box.x1 or _ANY_LABEL.match(other.text) or len(other.segments) > 1:
            break
        spans.append(other.span(0, len(other.text)))
        previous = other
    return spans


def text_field(
    found: Span | list[Span] | None, source: str, certainty: float = 0.85
) -> FieldValue | None:
    """A string field from a labelled value (perhaps over several lines), trimmed."""
    if found is None:
        return None
    spans = found if isinstance(found, list) else [found]
    trimmed = []
    for span in spans:
        text = span.text
        stripped = text.strip(" :;,-")
        if stripped:
            offset = text.find(stripped)
            trimmed.append(span.line.span(span.start + offset, span.start + offset + len(stripped)))
    if not trimmed:
        return None
    value = " ".join(s.text for s in trimmed)
    return grounded(trimmed, kind="string", value=value, source=source, certainty=certainty)


def block_under(
    view: DocumentView, label: re.Pattern[str], *, max_lines: int = 6
) -> tuple[list[Span], ViewLine] | None:
    """The lines under (or after) ``label`` in its column, and the label's line."""
    for line in view.lines:
        match = label.search(line.folded)
        if match is None:
            continue
        segment, offset = _segment_of(line, match.start())
        box = line.box_of(*match.span())
        if box is None:
            continue
        spans: list[Span] = []
        gloss = _GLOSS.match(line.text, match.end())
        begin = (gloss.end() if gloss else match.end()) - offset
        if begin < len(segment.text) and segment.text[begin:].strip(" :.-"):
            spans.append(segment.span(begin, len(segment.text)))
        # The column runs from the label to the next label set beside it on its line.
        others = [
            s.bbox.x0
            for s in line.segments
            if s.bbox.x0 > segment.bbox.x1 and _OTHER_BLOCK.search(s.folded)
        ]
        left, right = segment.bbox.x0 - line.height, min(others, default=float("inf"))
        previous = line
        for other in view.lines[line.number + 1 :]:
            if len(spans) >= max_lines or other.page != line.page:
                break
            if other.bbox.y0 - previous.bbox.y1 > 1.2 * max(1, line.height):
                break
            inside = [s for s in other.segments if s.bbox.x0 >= left and s.bbox.x0 < right]
            if not inside:
                continue
            if len(labels.ITEMS_HEADER_WORD.findall(other.folded)) >= 2:
                break
            spans.append(inside[0].span(0, len(inside[0].text)))
            previous = other
        return spans, line
    return None


def customer(
    view: DocumentView,
) -> tuple[FieldValue | None, FieldValue | None, FieldValue | None]:
    """The customer's name, address and tax id, from the block under ``Bill to``."""
    found = block_under(view, _CUSTOMER) or block_under(view, _SHIP_TO)
    if found is None:
        return None, None, None
    spans, _ = found
    tax_id = None
    kept = []
    for span in spans:
        folded = span.line.folded[span.start : span.end]
        label = labels.TAX_ID_LABEL.search(folded)
        if label is not None:
            if tax_id is None and (value := labels.TAX_ID.search(span.text, label.end())):
                part = span.line.span(span.start + value.start(), span.start + value.end())
                tax_id = grounded(
                    [part],
                    kind="string",
                    value=re.sub(r"\s+", "", value.group(0)),
                    source="rule:customer-block",
                    certainty=0.85,
                )
            continue
        if labels.CONTACT.search(folded) or _ANY_LABEL.match(span.text):
            continue
        kept.append(span)
    if not kept:
        return None, None, tax_id
    name = grounded(
        kept[:1], kind="string", value=kept[0].text, source="rule:customer-block", certainty=0.8
    )
    address = None
    if len(kept) > 1:
        text = " ".join(s.text for s in kept[1:])
        address = grounded(
            kept[1:], kind="string", value=text, source="rule:customer-block", certainty=0.7
        )
    return name, address, tax_id
