"""Folding and tokens: one definition used to index pages and to read queries.

Both databases are handed tokens already folded (lower case, no accents, ``đ`` as
``d``) and split, so SQLite's FTS5 and PostgreSQL's tsvector see the same words and
answer alike; neither database's own stemming or accent handling is involved.
"""

from __future__ import annotations

import re
import sys
from array import array
from dataclasses import dataclass

from untxt.document import Document, Page
from untxt.extract.view import fold

#: Letters and digits: ``428.16`` is the tokens ``428`` and ``16``, as printed in order.
TOKEN = re.compile(r"[^\W_]+")
#: PostgreSQL keeps positions up to this; later words are still found, at the last one.
_MAX_POSITION = 16383


@dataclass(frozen=True)
class Token:
    """A folded token and where it stands in the original text."""

    text: str
    start: int
    end: int


#: Each character seen so far and what it folds to: folding a page is then one translate.
_FOLDED: dict[int, str] = {}


def fold_fast(text: str) -> str:
    """:func:`untxt.extract.view.fold`, character for character, at the speed of translate."""
    new = {ord(c) for c in set(text)} - _FOLDED.keys()
    for code in new:
        _FOLDED[code] = fold(chr(code))
    return text.translate(_FOLDED)


def tokens(text: str) -> list[Token]:
    """The folded tokens of ``text``; offsets are the original's (folding keeps length)."""
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(fold_fast(text))]


def folded_words(text: str) -> list[str]:
    """The folded tokens of ``text``, without offsets."""
    return TOKEN.findall(fold_fast(text))


def tsvector_literal(words: list[str]) -> str:
    """A tsvector literal of ``words`` with their positions, for phrase search on PostgreSQL.

    Tokens are letters and digits only, so quoting is needed for nothing but safety.
    """
    positions: dict[str, list[int]] = {}
    for index, word in enumerate(words, 1):
        positions.setdefault(word, []).append(min(index, _MAX_POSITION))
    return " ".join(
        "'{}':{}".format(word.replace("'", "''"), ",".join(map(str, sorted(set(at)))))
        for word, at in positions.items()
    )


def pack_words(words: list[list[int]]) -> bytes:
    """``[start, end, x0, y0, x1, y1]`` per word as little-endian int32s, as the index holds."""
    flat = array("i", (value for word in words for value in word))
    if sys.byteorder == "big":
        flat.byteswap()
    return flat.tobytes()


def unpack_words(data: bytes) -> array[int]:
    """The flat ``[start, end, x0, y0, x1, y1, ...]`` that :func:`pack_words` packed."""
    flat = array("i")
    flat.frombytes(bytes(data))
    if sys.byteorder == "big":
        flat.byteswap()
    return flat


@dataclass(frozen=True)
class PageText:
    """A page as the index keeps it: its text, each word's span and box, its tokens."""

    number: int
    width: int
    height: int
    text: str
    #: ``[start, end, x0, y0, x1, y1]`` per word: its span of ``text`` and its box.
    words: list[list[int]]
    #: The folded tokens of ``text``, in order: what the full-text index holds.
    tokens: list[str]


def page_text(page: Page) -> PageText:
    """The text of ``page`` (lines on their own lines) and where each word lies in it."""
    parts: list[str] = []
    words: list[list[int]] = []
    at = 0
    for block in page.blocks:
        for line in block.lines:
            if parts:
                parts.append("\n")
                at += 1
            for index, word in enumerate(line.words):
                if index:
                    parts.append(" ")
                    at += 1
                box = word.bbox
                words.append([at, at + len(word.text), box.x0, box.y0, box.x1, box.y1])
                parts.append(word.text)
                at += len(word.text)
    text = "".join(parts)
    return PageText(page.number, page.width, page.height, text, words, folded_words(text))


def document_text(document: Document) -> list[PageText]:
    """Every page of ``document`` as the index keeps it."""
    return [page_text(page) for page in document.pages]
