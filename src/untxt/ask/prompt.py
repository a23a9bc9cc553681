"""What a language model is sent (the numbered sources, the question, the rules) and what
its answer cites."""

from __future__ import annotations

import re

from untxt.ask.intent import primary_language
from untxt.ask.sources import Source

LANGUAGE_NAMES = {"en": "English", "vi": "Vietnamese"}

INSTRUCTIONS = """\
You answer questions about the user's documents (receipts, invoices, bills and other \
scanned pages) using only the numbered sources below.
- Use nothing but the sources: no outside knowledge, no guesses.
- Cite the sources every statement rests on by their numbers in square brackets, such as \
[1] or [2][3].
- Sums and counts marked "computed by the database" are exact: use them as they are and \
do not add up amounts yourself.
- If the sources do not answer the question, say that the documents do not say, and cite \
nothing.
- Answer briefly, in {language}."""

_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def _label(source: Source) -> str:
    if source.kind == "computed":
        return "computed by the database"
    where = f"{source.filename}, page {source.page}"
    return f"fields extracted from {where}" if source.kind == "fields" else where


def messages(question: str, sources: list[Source], language: str) -> list[dict[str, str]]:
    """The chat messages for ``question``: instructions, then the sources and the question."""
    name = LANGUAGE_NAMES.get(primary_language(language), language)
    blocks = [f"[{s.ref}] ({_label(s)})\n{s.text()}" for s in sources]
    body = "Sources:\n\n" + "\n\n".join(blocks) if blocks else "Sources: none were found."
    return [
        {"role": "system", "content": INSTRUCTIONS.format(language=name)},
        {"role": "user", "content": f"{body}\n\nQuestion: {question}"},
    ]


def cited(answer: str, sources: list[Source]) -> list[int]:
    """The source numbers ``answer`` names, in the order first named, unknown ones left out."""
    known = {s.ref for s in sources}
    refs: list[int] = []
    for match in _CITATION.finditer(answer):
        for part in match[1].split(","):
            ref = int(part)
            if ref in known and ref not in refs:
                refs.append(ref)
    return refs
