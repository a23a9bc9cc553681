"""Greedy CTC decoding with the narrow marks put back, on hand-made column probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from untxt.engines.ctc import (
    UNEXPECTED_WEIGHT,
    MarkDecoder,
    join_split_words,
    mend_to_lexicon,
    with_marks,
)

# A toy alphabet laid out as rapidocr lays out the recogniser's: blank first, space last.
SYMBOLS = ["blank", "A", "B", "N", "\u00c1", "1", "2", ",", ".", ":", " "]
INDEX = {s: i for i, s in enumerate(SYMBOLS)}
SPACE = INDEX[" "]
MARKS = [SPACE, INDEX["."], INDEX[":"]]
A_ACUTE = "\u00c1"
# What an English job expects: everything but the accented letter.
ASCII_ONLY = np.array([1.0 if s.isascii() else UNEXPECTED_WEIGHT for s in SYMBOLS])


def _columns(*columns: dict[str, float]) -> np.ndarray:
    """One row of probabilities per column; what a column does not name shares the rest."""
    probs = np.zeros((len(columns), len(SYMBOLS)), dtype=np.float32)
    for t, named in enumerate(columns):
        rest = (1.0 - sum(named.values())) / (len(SYMBOLS) - len(named))
        probs[t, :] = rest
        for symbol, p in named.items():
            probs[t, INDEX[symbol]] = p
    return probs


def _text(path: np.ndarray) -> str:
    kept = [t for t in range(len(path)) if path[t] != 0 and (t == 0 or path[t] != path[t - 1])]
    return "".join(SYMBOLS[path[t]] for t in kept)


def _decode(probs: np.ndarray, threshold: float = 0.05) -> str:
    path, _ = with_marks(
        probs, MARKS, space=SPACE, no_space_after=[INDEX[","]], threshold=threshold
    )
    return _text(path)


def test_a_space_the_blank_outweighed_is_put_back_between_words() -> None:
    probs = _columns({"A": 0.9}, {"blank": 0.8, " ": 0.15}, {"B": 0.9})

    assert _text(probs.argmax(axis=1)) == "AB"
    assert _decode(probs) == "A B"


def test_a_mark_below_the_threshold_is_not_put_back() -> None:
    probs = _columns({"A": 0.9}, {"blank": 0.97, " ": 0.02}, {"B": 0.9})

    assert _decode(probs) == "AB"
    assert _decode(probs, threshold=0.01) == "A B"


def test_the_likeliest_mark_of_the_gap_wins_and_its_probability_is_kept() -> None:
    probs = _columns(
        {"1": 0.9}, {"1": 0.6, "blank": 0.3}, {"blank": 0.6, ".": 0.3, " ": 0.08}, {"2": 0.9}
    )

    path, prob = with_marks(probs, MARKS, space=SPACE)

    assert _text(path) == "1.2"
    assert prob[2] == pytest.approx(0.3)


def test_one_mark_at_most_per_gap() -> None:
    probs = _columns({"A": 0.9}, {"blank": 0.6, ":": 0.3}, {"blank": 0.6, " ": 0.3}, {"B": 0.9})

    assert _decode(probs) == "A:B"


def test_no_space_is_put_back_after_a_comma_but_other_marks_are() -> None:
    no_space = _columns({"A": 0.9}, {",": 0.9}, {"blank": 0.7, " ": 0.25}, {"B": 0.9})
    stop = _columns({"A": 0.9}, {",": 0.9}, {"blank": 0.7, ".": 0.25}, {"B": 0.9})

    assert _decode(no_space) == "A,B"
    assert _decode(stop) == "A,.B"


def test_a_gap_beside_a_space_already_read_is_left_alone() -> None:
    probs = _columns({"A": 0.9}, {" ": 0.9}, {"blank": 0.7, ":": 0.25}, {"B": 0.9})

    assert _decode(probs) == "A B"


def test_repeated_characters_are_not_mistaken_for_gaps() -> None:
    """A character held over several columns has no blank in it: nothing goes in between."""
    probs = _columns({"A": 0.9}, {"A": 0.8, " ": 0.15}, {"B": 0.9})

    assert _decode(probs) == "AB"


def test_a_character_the_job_does_not_use_gives_way_to_a_near_rival_it_does() -> None:
    near = _columns({A_ACUTE: 0.6, "A": 0.2}, {"blank": 0.9}, {"B": 0.9})
    sure = _columns({A_ACUTE: 0.9, "A": 0.05}, {"blank": 0.9}, {"B": 0.9})

    path, prob = with_marks(near, MARKS, space=SPACE, weights=ASCII_ONLY)

    assert _text(path) == "AB"
    assert prob[0] == pytest.approx(0.2)  # the model's own probability of what is kept
    assert _decode(near) == A_ACUTE + "B"
    assert _text(with_marks(sure, MARKS, space=SPACE, weights=ASCII_ONLY)[0]) == A_ACUTE + "B"


def test_weights_never_decide_whether_a_character_is_read() -> None:
    probs = _columns({"A": 0.9}, {"blank": 0.5, A_ACUTE: 0.45, "A": 0.04}, {"B": 0.9})

    path, _ = with_marks(probs, MARKS, space=SPACE, weights=ASCII_ONLY)

    assert _text(path) == "AB"


class _RapidocrLikeDecoder:
    """The part of rapidocr's CTCLabelDecode that MarkDecoder relies on."""

    def __init__(self) -> None:
        self.character = list(SYMBOLS)
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []

    def decode(
        self,
        indexes: np.ndarray,
        probs: np.ndarray,
        return_word_box: bool,
        wh_ratio_list: tuple[float, ...],
        max_wh_ratio: float,
        remove_duplicate: bool,
    ) -> tuple[list[tuple[str, float]], list[object]]:
        self.calls.append((indexes, probs))
        return [(_text(row), 1.0) for row in indexes], []


def test_the_decoder_hands_rapidocr_the_paths_with_marks_for_every_line() -> None:
    inner = _RapidocrLikeDecoder()
    batch = np.stack(
        [
            _columns({"A": 0.9}, {"blank": 0.8, " ": 0.15}, {"B": 0.9}),
            _columns({"1": 0.9}, {"blank": 0.8, ".": 0.15}, {"2": 0.9}),
        ]
    )

    lines, _ = MarkDecoder(inner)(batch, False, wh_ratio_list=(1.0, 1.0), max_wh_ratio=1.0)

    assert [text for text, _ in lines] == ["A B", "1.2"]


def test_the_decoder_refuses_a_character_list_without_the_space_last() -> None:
    inner = _RapidocrLikeDecoder()
    inner.character = SYMBOLS[:-1]

    with pytest.raises(ValueError, match="space"):
        MarkDecoder(inner)


def test_the_decoder_weighs_characters_as_told_until_told_otherwise() -> None:
    decoder = MarkDecoder(_RapidocrLikeDecoder())
    batch = _columns({A_ACUTE: 0.6, "A": 0.2}, {"blank": 0.9}, {"B": 0.9})[np.newaxis]

    def read() -> str:
        lines, _ = decoder(batch, False, wh_ratio_list=(1.0,), max_wh_ratio=1.0)
        return str(lines[0][0])

    assert read() == A_ACUTE + "B"
    decoder.expect(str.isascii)
    assert read() == "AB"
    decoder.expect(None)
    assert read() == A_ACUTE + "B"


# -- words printed letter-spaced ---------------------------------------------------------

LETTERS = ["blank", *"ACDEGINOR", " "]
LETTER = {s: i for i, s in enumerate(LETTERS)}
LEXICON = frozenset({"garden", "grace", "a", "and", "cod", "code", "coder", "go", "on", "r"})


def _path(text: str, read: str = "") -> tuple[np.ndarray, np.ndarray]:
    """A path spelling ``text``, a blank after each character; the greedy path reads the
    spaces at the positions of ``read`` that hold ``^``, and none of the others."""
    path, greedy = [], []
    for i, char in enumerate(text):
        path += [LETTER[char], 0]
        read_here = char == " " and i < len(read) and read[i] == "^"
        greedy += [LETTER[char] if char != " " or read_here else 0, 0]
    return np.array(path), np.array(greedy)


def _spelled(path: np.ndarray) -> str:
    return "".join(LETTERS[s] for s in path if s)


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("GAR DEN", "GARDEN"),  # neither half a word: joined
        ("CO DER", "CODER"),  # one half a word: joined
        ("CODE R", "CODER"),  # a lone letter other than A or I is not a word
        ("GO ON", "GO ON"),  # two words stay two
        ("CODE AND", "CODE AND"),  # no word when joined
        ("GR A CE", "GR A CE"),  # each space on its own: "GRA" and "ACE" are not words
    ],
)
def test_a_space_put_back_inside_a_word_goes_when_the_halves_make_one(
    text: str, joined: str
) -> None:
    path, greedy = _path(text)

    join_split_words(path, greedy, LETTERS, space=LETTER[" "], lexicon=LEXICON)

    assert _spelled(path) == joined


def test_a_space_the_model_read_itself_stays() -> None:
    path, greedy = _path("GAR DEN", read="   ^")

    join_split_words(path, greedy, LETTERS, space=LETTER[" "], lexicon=LEXICON)

    assert _spelled(path) == "GAR DEN"


def test_the_decoder_joins_split_words_only_with_a_lexicon() -> None:
    decoder = MarkDecoder(_RapidocrLikeDecoder())
    # "BAN" read as "BA N": the space is put back in the gap, not read by the model.
    batch = _columns({"B": 0.9}, {"A": 0.9}, {"blank": 0.8, " ": 0.15}, {"N": 0.9})[np.newaxis]

    def read() -> str:
        lines, _ = decoder(batch, False, wh_ratio_list=(1.0,), max_wh_ratio=1.0)
        return str(lines[0][0])

    assert read() == "BA N"
    decoder.expect(None, frozenset({"ban"}))
    assert read() == "BAN"
    decoder.expect(None)
    assert read() == "BA N"


def _word_columns(text: str, rivals: dict[int, dict[str, float]]) -> np.ndarray:
    """Probabilities spelling ``text`` over ``LETTERS``, one column per character with a
    blank after it; ``rivals`` give other letters a chance at the character's column."""
    probs = np.full((2 * len(text), len(LETTERS)), 0.001, dtype=np.float32)
    for i, char in enumerate(text):
        probs[2 * i, LETTER[char]] = 0.9
        for other, p in rivals.get(i, {}).items():
            probs[2 * i, LETTER[other]] = p
        probs[2 * i + 1, 0] = 0.9
    return probs


def _mended(
    text: str, rivals: dict[int, dict[str, float]], lexicon: frozenset[str] = LEXICON
) -> str:
    probs = _word_columns(text, rivals)
    path = probs.argmax(axis=1)
    chances = probs.max(axis=1)
    letters = np.array([i > 0 and s.isalpha() for i, s in enumerate(LETTERS)])
    mend_to_lexicon(path, chances, probs, LETTERS, letters, lexicon=lexicon)
    # What the decoder reports of each column stays the chance of the symbol it holds.
    assert np.allclose(chances, probs[np.arange(len(path)), path])
    return _spelled(path)


@pytest.mark.parametrize(
    ("text", "rivals", "mended"),
    [
        ("CADE", {1: {"O": 0.3}}, "CODE"),  # a near rival that makes a word
        ("CADE", {1: {"O": 0.01}}, "CADE"),  # the model all but ruled it out
        ("GARDAN", {4: {"E": 0.1}}, "GARDEN"),
        ("GRACA", {4: {"E": 0.3}}, "GRACE"),
        ("CODE", {1: {"A": 0.5}}, "CODE"),  # a word already
        ("GOD", {0: {"C": 0.5}}, "GOD"),  # too short for the list to be telling
        ("CADER", {1: {"O": 0.3}, 4: {"E": 0.3}}, "CODER"),  # "CADEE" is no word
        ("CADEN", {1: {"O": 0.3}, 4: {"R": 0.3}}, "CADEN"),  # nor "CODEN" nor "CADER"
    ],
)
def test_a_word_read_one_letter_off_a_word_of_the_list_is_mended(
    text: str, rivals: dict[int, dict[str, float]], mended: str
) -> None:
    assert _mended(text, rivals) == mended


def test_a_word_that_two_mends_would_make_two_words_stays_as_read() -> None:
    lexicon = frozenset({"code", "node"})
    assert _mended("RODE", {0: {"C": 0.3}}, lexicon) == "CODE"
    assert _mended("RODE", {0: {"C": 0.3, "N": 0.2}}, lexicon) == "RODE"


def test_the_decoder_mends_words_only_with_a_lexicon() -> None:
    decoder = MarkDecoder(_RapidocrLikeDecoder())
    batch = _columns({"B": 0.9}, {"A": 0.9}, {"N": 0.9}, {"blank": 0.9}, {"A": 0.6, "N": 0.3})[
        np.newaxis
    ]

    def read() -> str:
        lines, _ = decoder(batch, False, wh_ratio_list=(1.0,), max_wh_ratio=1.0)
        return str(lines[0][0])

    assert read() == "BANA"
    decoder.expect(None, frozenset({"bann"}))
    assert read() == "BANN"
