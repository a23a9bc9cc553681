"""Reading a CTC recogniser's output: the greedy path, plus the narrow marks it nearly dropped.

A CTC model (PP-OCR's recogniser) gives, for each column of the line image, a
probability for every character and for "blank". Greedy decoding keeps each
column's most likely symbol. Narrow marks then go missing: a word space in a
tightly printed receipt line, a colon or a full stop is only a column or two wide,
and blank wins those columns even where the model gives the mark a fair chance.
``TEL 07-...`` comes out as ``TEL07-...`` and ``12.00`` as ``1200``.

:func:`with_marks` keeps the greedy path and, in each run of blank columns between
two characters, puts back the likeliest of a few such marks where its probability
passes a threshold. On bench/accuracy.py's 40 receipts this raised word F1 from
0.878 to 0.914 and lowered CER from 0.0385 to 0.0339 (bench/README.md has the
sweep of the threshold).

With a word list (English jobs), :func:`join_split_words` joins words printed
letter-spaced and :func:`mend_to_lexicon` mends a word the greedy path read one
letter off a word of the list, where the model nearly read that letter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LEXICON_RIVAL",
    "MARKS",
    "MARK_THRESHOLD",
    "UNEXPECTED_WEIGHT",
    "MarkDecoder",
    "join_split_words",
    "mend_to_lexicon",
    "with_marks",
]

#: The marks put back: a word space, a full stop and a colon.
MARKS = " .:"
#: A mark is put back where the model gives it at least this probability in a gap.
MARK_THRESHOLD = 0.05
# No space is put back after these: the model's sense of language expects a space
# after a comma, where receipts often print none ("35,JALAN").
_NO_SPACE_AFTER = ","
_BLANK = 0
_LETTER_RUN = re.compile(r"[^\W\d_]+")
#: Where a character is read, one the job's languages do not use counts this many times
#: less than one they do: ``ÁLAM`` in an English job becomes ``ALAM`` if the model gives
#: ``A`` a tenth of the chance it gives ``Á``, and stays ``ÁLAM`` otherwise.
UNEXPECTED_WEIGHT = 0.1
#: A word that is not in the word list becomes one that is when, at one of its letters,
#: the model gives another letter at least this share of the chance of the one read.
LEXICON_RIVAL = 0.03
# Shorter words have too many neighbours in a word list for one to be telling.
_LEXICON_MIN_LENGTH = 4


def with_marks(
    probs: NDArray[np.floating[Any]],
    marks: Sequence[int],
    *,
    space: int,
    no_space_after: Sequence[int] = (),
    threshold: float = MARK_THRESHOLD,
    weights: NDArray[np.floating[Any]] | None = None,
    greedy: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.floating[Any]]]:
    """The greedy symbol and its probability per column of one line, marks put back.

    ``probs`` is (columns, symbols) with blank at index 0; ``marks`` are the symbol
    indexes that may be put back, ``space`` is the word space's index (one of them), and
    ``no_space_after`` are characters after which no space is put back. ``weights``
    (one per symbol) choose which character a column where a character wins reads as:
    the likeliest after weighting, so that characters the job does not expect give way
    to near rivals it does. Whether a character is read at all is left to the model.
    ``greedy`` is ``probs.argmax(axis=1)``, when the caller has it already.
    """
    best = (probs.argmax(axis=1) if greedy is None else greedy).copy()
    if weights is not None:
        # Only a character weighed down can lose its column to another.
        read = np.flatnonzero((best != _BLANK) & (weights[best] < 1.0))
        if len(read):
            weighted = probs[read] * weights
            weighted[:, _BLANK] = 0.0
            best[read] = weighted.argmax(axis=1)
    best_prob = probs[np.arange(len(best)), best]
    starts = _starts(best)
    for left, right in pairwise(starts):
        # A space already read is the gap's mark.
        if best[left] == space or best[right] == space:
            continue
        gap = np.flatnonzero(best[left + 1 : right] == _BLANK) + left + 1
        if len(gap) == 0:
            continue
        candidates = [m for m in marks if not (m == space and best[left] in no_space_after)]
        if not candidates:
            continue
        scores = probs[np.ix_(gap, np.asarray(candidates))]
        column, which = np.unravel_index(int(scores.argmax()), scores.shape)
        if scores[column, which] >= threshold:
            best[gap[column]] = candidates[which]
            best_prob[gap[column]] = scores[column, which]
    return best, best_prob


def _starts(path: NDArray[np.int64]) -> list[int]:
    """The columns where a character starts: not blank, and not the one before held over."""
    held = np.concatenate(([False], path[1:] == path[:-1]))
    starts: list[int] = np.flatnonzero((path != _BLANK) & ~held).tolist()
    return starts


def join_split_words(
    path: NDArray[np.int64],
    greedy: NDArray[np.int64],
    characters: Sequence[str],
    *,
    space: int,
    lexicon: AbstractSet[str],
) -> None:
    """Take out the spaces put back inside a word printed letter-spaced, in place.

    A space the greedy path did not read itself (``greedy``) and that splits a run of
    letters goes when the two halves make a word of ``lexicon`` (lower case) and do
    not each make one: ``GA RDENIA`` becomes ``GARDENIA``, ``AND PLEASE`` stays.
    """
    starts = _starts(path)
    text = [characters[path[column]] for column in starts]
    for i, column in enumerate(starts):
        if path[column] != space or greedy[column] == space:
            continue
        left = i
        while left > 0 and text[left - 1].isalpha():
            left -= 1
        right = i + 1
        while right < len(text) and text[right].isalpha():
            right += 1
        before, after = "".join(text[left:i]).lower(), "".join(text[i + 1 : right]).lower()
        if not before or not after or before + after not in lexicon:
            continue
        if _is_word(before, lexicon) and _is_word(after, lexicon):
            continue
        path[column] = _BLANK
        text[i] = ""


def mend_to_lexicon(
    path: NDArray[np.int64],
    chances: NDArray[np.floating[Any]],
    probs: NDArray[np.floating[Any]],
    characters: Sequence[str],
    letters: NDArray[np.bool_],
    *,
    lexicon: AbstractSet[str],
    rival: float = LEXICON_RIVAL,
) -> None:
    """Mend, in place, a word read one letter off a word of ``lexicon`` (lower case).

    ``path`` and ``chances`` are :func:`with_marks`'s symbols and their probabilities
    per column, ``probs`` the model's (columns, symbols).

    A run of at least four letters that is not a word of ``lexicon`` takes, at one
    letter, a rival the model gives at least ``rival`` of the read letter's chance, when
    that makes a word of ``lexicon`` and no other such change does: ``HARDWAKE`` becomes
    ``HARDWARE`` and ``Amaunt`` ``Amount``. Names and words of other languages stay as
    read unless the model itself nearly read them as an English word. ``letters``
    marks the symbols that are letters.
    """
    starts = _starts(path)
    text = "".join(characters[path[column]] for column in starts)
    for found in _LETTER_RUN.finditer(text):
        word = found.group(0)
        if len(word) < _LEXICON_MIN_LENGTH or word.lower() in lexicon:
            continue
        choices: dict[str, tuple[slice, int, float]] = {}
        for k in range(found.start(), found.end()):
            held = _held(path, starts[k])
            seen = probs[held].max(axis=0)
            read = seen[path[held.start]]
            offset = k - found.start()
            for symbol in np.flatnonzero(letters & (seen >= rival * read)).tolist():
                if symbol == path[held.start]:
                    continue
                mended = (word[:offset] + characters[symbol] + word[offset + 1 :]).lower()
                share = float(seen[symbol] / read)
                if mended in lexicon and share > choices.get(mended, (held, 0, 0.0))[2]:
                    choices[mended] = (held, symbol, share)
        if len(choices) == 1:
            held, symbol, _ = next(iter(choices.values()))
            path[held] = symbol
            chances[held] = probs[held, symbol]


def _held(path: NDArray[np.int64], column: int) -> slice:
    """The columns over which the character starting at ``column`` is held."""
    end = column + 1
    while end < len(path) and path[end] == path[column]:
        end += 1
    return slice(column, end)


def _is_word(part: str, lexicon: AbstractSet[str]) -> bool:
    # Word lists hold every letter of the alphabet; a lone letter split off a word is
    # rarely one, except "a" and "i".
    return part in lexicon and (len(part) > 1 or part in "ai")


class MarkDecoder:
    """rapidocr's CTC decoder, fed the greedy path with marks put back (see :func:`with_marks`).

    It wraps rapidocr's own ``CTCLabelDecode`` so that its word splitting and word
    positions work as before on the richer path.
    """

    def __init__(self, decoder: Any, marks: str = MARKS) -> None:
        characters: list[str] = list(decoder.character)
        if characters[-1] != " ":
            raise ValueError("the recogniser's character list does not end with the space")
        self._decoder = decoder
        self._characters = characters
        self._weights: NDArray[np.float32] | None = None
        self._expected: Callable[[str], bool] | None = None
        self._lexicon: AbstractSet[str] | None = None
        self._space = len(characters) - 1
        index = {c: i for i, c in enumerate(characters) if i}
        self._marks = [self._space if m == " " else index[m] for m in marks if m in index]
        self._no_space_after = [index[c] for c in _NO_SPACE_AFTER if c in index]
        self._letters = np.array([i > 0 and c.isalpha() for i, c in enumerate(characters)])

    def expect(
        self,
        expected: Callable[[str], bool] | None,
        lexicon: AbstractSet[str] | None = None,
    ) -> None:
        """Read the characters for which ``expected`` is false as :data:`UNEXPECTED_WEIGHT`
        times less likely from now on (``None``: all characters alike), and join words
        split letter-spaced by the words of ``lexicon`` (see :func:`join_split_words`)."""
        self._lexicon = lexicon
        if expected is self._expected:  # the same languages as the last page: as they are
            return
        self._expected = expected
        if expected is None:
            self._weights = None
            return
        self._weights = np.array(
            [1.0] + [1.0 if expected(c) else UNEXPECTED_WEIGHT for c in self._characters[1:]],
            dtype=np.float32,
        )

    def __call__(
        self, preds: NDArray[np.floating[Any]], return_word_box: bool = False, **kwargs: Any
    ) -> tuple[list[tuple[str, float]], list[Any]]:
        paths = []
        for line in preds:
            greedy = line.argmax(axis=1)
            path, prob = with_marks(
                line,
                self._marks,
                space=self._space,
                no_space_after=self._no_space_after,
                weights=self._weights,
                greedy=greedy,
            )
            if self._lexicon:
                join_split_words(
                    path, greedy, self._characters, space=self._space, lexicon=self._lexicon
                )
                mend_to_lexicon(
                    path, prob, line, self._characters, self._letters, lexicon=self._lexicon
                )
            paths.append((path, prob))
        indexes = np.stack([p[0] for p in paths])
        probs = np.stack([p[1] for p in paths])
        result: tuple[list[tuple[str, float]], list[Any]] = self._decoder.decode(
            indexes,
            probs,
            return_word_box,
            kwargs.get("wh_ratio_list", (1.0,)),
            kwargs.get("max_wh_ratio", 1.0),
            remove_duplicate=True,
        )
        return result
