"""A business name's legal form read again where OCR took its letters for digits.

Dot-matrix and thermal fonts draw ``S`` like ``5`` and ``B`` like ``8``, so an
engine reads ``SDN 8HD`` or ``5/B``. A legal form is a closed set of words, so
where the name's last words read as one only with those digits taken for the
letters they resemble, the letters are what was printed. Nothing else in the
name is touched: a digit elsewhere may be part of the name.
"""

from __future__ import annotations

from itertools import product

from untxt.extract import labels
from untxt.extract.view import fold

# The digits each letter of a legal form is commonly read as; "1" may be "I" or "L".
_LETTERS_OF = {"0": "O", "1": "IL", "5": "S", "8": "B"}
# The most words a legal form at the end of a name runs to ("co., ltd", "sdn bhd").
_TAIL_WORDS = 2


def read_legal_form(name: str) -> str:
    """``name`` with digits in its trailing legal form read as the letters they resemble."""
    words = name.split(" ")
    for count in range(min(_TAIL_WORDS, len(words)), 0, -1):
        tail = words[-count:]
        if not any(_misread(word) for word in tail):
            continue
        for reading in product(*(_readings(word) for word in tail)):
            if labels.LEGAL_FORMS_ONLY.fullmatch(fold(" ".join(reading))):
                return " ".join([*words[:-count], *reading])
    return name


def _misread(word: str) -> bool:
    """Whether ``word`` mixes letters with digits that could stand for letters."""
    return len(word) >= 3 and any(c.isalpha() for c in word) and any(c in _LETTERS_OF for c in word)


def _readings(word: str) -> list[str]:
    """``word`` with each digit that resembles a letter replaced by each such letter."""
    if not _misread(word):
        return [word]
    options = [_LETTERS_OF.get(c, c) for c in word]
    if word.lower() == word:  # a name printed in lower case reads its letters so
        options = [o.lower() for o in options]
    return ["".join(letters) for letters in product(*options)]
