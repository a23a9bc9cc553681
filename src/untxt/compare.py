"""Comparing engines: how far their readings of one document agree."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping

from pydantic import BaseModel, Field


class Agreement(BaseModel):
    """How alike two engines' texts are."""

    a: str
    b: str
    agreement: float = Field(
        ge=0, le=1, description="Share of words the two texts have in common, in order (0-1)."
    )


def words(text: str) -> list[str]:
    """The text's words, case-folded, for comparison."""
    return text.casefold().split()


def agreement(a: str, b: str) -> float:
    """Word-level similarity of two texts: 1 for the same words in the same order.

    ``2 * matching words / (words in a + words in b)``, where matching words are
    found in order (a diff). Two empty texts agree fully.
    """
    left, right = words(a), words(b)
    if not left and not right:
        return 1.0
    return round(difflib.SequenceMatcher(None, left, right, autojunk=False).ratio(), 4)


def pairwise(texts: Mapping[str, str]) -> list[Agreement]:
    """The agreement of every pair of engines, in the order the engines are given."""
    return [
        Agreement(a=a, b=b, agreement=agreement(texts[a], texts[b]))
        for a, b in itertools.combinations(texts, 2)
    ]
