"""Which way up a page stands: the direction of its lines, then which way they face.

PP-OCR's text direction classifier (:mod:`untxt.pipeline.direction`) votes on pieces
of the page's lines as it stands and turned a quarter: lines across stand upright or
upside down, and the vote that is plain, and plainer than the other, decides. Where
neither is, PP-OCR's recogniser reads whole lines every way round
(:mod:`untxt.pipeline.legibility`), and the way up it reads plainly best decides
unless the classifier leans against it. Where that too is unsure, lines down the page
are put to Tesseract's OSD.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from PIL import Image

from untxt.imaging.ink import (
    LINES_DOMINATE,
    Ink,
    Lines,
    ascent,
    bands,
    elongation,
    line_height,
    profile,
)
from untxt.ocr_models import detect_orientation
from untxt.pipeline.direction import MIN_VOTES, Vote, vote
from untxt.pipeline.legibility import legibility

# A turn OSD gives, after which the lines would plainly reach down (below
# _DOWNRIGHT_ASCENT, see ascent), is refused.
_DOWNRIGHT_ASCENT = 0.8
# OSD reads lines (as line_height measures them) about this high best: much lower,
# it guesses, confidently. Only a confident answer is taken.
_OSD_LINE_PX = 22
_MAX_OSD_ZOOM = 3.0
_MIN_OSD_CONFIDENCE = 5.0
# OSD is unsure of short texts (a label of up to _FEW_LINES lines). For those, a turn is
# taken without it when the lines run plainly one way (their bands of ink at least
# _SURE_ELONGATION times as long as thick, and that many times more so than the other
# way; the letters of a single line make sharp columns too, so sharpness alone cannot
# tell) and their ascent is plain: reaching up _SURE_ASCENT times more than down once
# turned, and down as plainly the other way. Not for pages: on receipts the ascent
# misleads (digits, capitals and rules) either way up.
_FEW_LINES = 5
_SURE_ELONGATION = 3.0
_SURE_ASCENT = 3.0

# A plain vote in one frame stands when its margin is this many times the other's.
_DOMINANT = 2.0
# The other frame is not asked when the ink's profile plainly runs one way (its rows
# _PLAIN_LINES times sharper than its columns, or the reverse) and the vote in that
# frame is plain by _PLAIN_MARGIN pieces: two signals of different kinds agree. Of
# bench/orientation.py's 312 cases, 169 are so, none answered wrong.
_PLAIN_LINES = 1.5
_PLAIN_MARGIN = 12


def _osd(gray: Image.Image, line_height: float | None, tessdata: Path | None) -> int:
    """Tesseract's turn (degrees clockwise) for ``gray``; 0 when it is unsure."""
    factor = min(_MAX_OSD_ZOOM, _OSD_LINE_PX / line_height) if line_height else 1.0
    if not 0.9 <= factor <= 1.1:
        size = (max(1, round(gray.width * factor)), max(1, round(gray.height * factor)))
        gray = gray.resize(size, Image.Resampling.BOX if factor < 1 else Image.Resampling.BICUBIC)
    found = detect_orientation(gray, tessdata)
    if not found or found["orient_conf"] < _MIN_OSD_CONFIDENCE:
        return 0
    # OSD reports how far the page was turned clockwise; undoing that turns it back.
    return (360 - int(found["orient_deg"])) % 360


def orientation(
    gray: Image.Image, ink: Ink, rows: Lines, columns: Lines, tessdata: Path | None = None
) -> int:
    """Degrees clockwise that turn the page upright; 0 unless sure of a turn.

    The direction classifier votes on the page as it stands and turned a quarter (see
    :func:`_by_votes`; the frame the ink's profile plainly favours first, whose plain
    vote then needs no other). Where neither vote is plain, the way up the recogniser
    reads plainly best stands unless the vote in its frame leans the other way (see
    :func:`_by_reading`). Failing that, lines down the page are put to OSD, whose answer
    stands only if it turns them across and, once turned, they do not plainly reach
    down; and a short text may still be turned by its shape (see _turn_by_shape).
    ``tessdata`` overrides where OSD's data is (see
    :func:`untxt.ocr_models.use_tessdata`).

    Turning an upright page is the worst outcome: a turn that neither the profile and a
    vote by a wide margin nor the recogniser gave is checked with the recogniser, and
    the page is left as it is where it reads better another way up, as it stands among
    them. Of bench/orientation.py's 234 turned pages, every one reads best (by at least
    2.4 times) the way that rights it.
    """
    turn, evidence = _decide(gray, ink, rows, columns, tessdata)
    if turn == 0 or evidence in ("plain", "reading"):
        return turn
    return turn if legibility(gray).reads_best(turn) else 0


Evidence = Literal["plain", "votes", "reading", "osd", "shape", "none"]


def _decide(
    gray: Image.Image, ink: Ink, rows: Lines, columns: Lines, tessdata: Path | None
) -> tuple[int, Evidence]:
    """The turn (see :func:`orientation`), and what gave it."""
    across_height = line_height(ink, rows.angle)
    down_height = line_height(ink.turned(90), columns.angle)

    def vote_down() -> Vote:
        # Turned a quarter clockwise, lines that ran down the page run across it.
        return vote(gray.transpose(Image.Transpose.ROTATE_270), down_height)

    if rows.sharpness >= _PLAIN_LINES * columns.sharpness:
        across = vote(gray, across_height)
        if across.upside_down is not None and across.margin >= _PLAIN_MARGIN:
            return (180 if across.upside_down else 0), "plain"
        down = vote_down()
    elif columns.sharpness >= _PLAIN_LINES * rows.sharpness:
        down = vote_down()
        if down.upside_down is not None and down.margin >= _PLAIN_MARGIN:
            return (270 if down.upside_down else 90), "plain"
        across = vote(gray, across_height)
    else:
        across, down = vote(gray, across_height), vote_down()
    turn = _by_votes(across, down)
    if turn is not None:
        return turn, "votes"
    turn = _by_reading(gray, across, down)
    if turn is not None:
        return turn, "reading"
    if max(across.margin, down.margin) >= MIN_VOTES:
        return 0, "none"  # the votes disagree: nothing is sure
    if rows.sharpness >= LINES_DOMINATE * columns.sharpness:
        return _turn_by_shape(ink, rows, columns, across=True), "shape"
    if columns.sharpness < LINES_DOMINATE * rows.sharpness:
        return 0, "none"
    turn = _osd(gray, down_height, tessdata)
    if turn == 0:
        return _turn_by_shape(ink, rows, columns, across=False), "shape"
    if turn not in (90, 270) or ascent(ink.turned(turn), columns.angle) < _DOWNRIGHT_ASCENT:
        return 0, "none"
    return turn, "osd"


def _by_votes(across: Vote, down: Vote) -> int | None:
    """The turn the two votes agree on; ``None`` when neither is plain.

    A vote on pieces of lines that run the other way is a vote on slices across
    letters: now and then plain too, but by less. The plain vote stands only when its
    margin is at least _DOMINANT times the other's.
    """
    if across.upside_down is not None and across.margin >= _DOMINANT * down.margin:
        return 180 if across.upside_down else 0
    if down.upside_down is not None and down.margin >= _DOMINANT * across.margin:
        return 270 if down.upside_down else 90
    return None


def _by_reading(gray: Image.Image, across: Vote, down: Vote) -> int | None:
    """The turn the recogniser reads plainly best, unless the classifier leans against it;
    ``None`` when either is so.

    The classifier's vote in the frame of that turn (lines across for 0 and 180 degrees,
    down for 90 and 270) must not lean the other way up: two kinds of evidence that
    disagree leave the page as it is.
    """
    turn = legibility(gray).turn
    if turn is None:
        return None
    frame = across if turn in (0, 180) else down
    leans_against = frame.up > frame.down if turn in (180, 270) else frame.down > frame.up
    return None if leans_against else turn


def _turn_by_shape(ink: Ink, rows: Lines, columns: Lines, *, across: bool) -> int:
    """A turn for a text too short for OSD (see _FEW_LINES); 0 unless plain.

    The lines must run the same way by their sharpness (``across``) and by their shape.
    """
    lines, frame = (rows, ink) if across else (columns, ink.turned(90))
    if len(bands(profile(frame, lines.angle), 0.05)) > _FEW_LINES:
        return 0
    along = elongation(frame, lines.angle)
    other = elongation(ink.turned(90) if across else ink, (columns if across else rows).angle)
    if along < _SURE_ELONGATION or along < _SURE_ELONGATION * other:
        return 0
    for turn in (180,) if across else (90, 270):
        if (
            ascent(ink.turned(turn), lines.angle) >= _SURE_ASCENT
            and ascent(ink.turned((turn + 180) % 360), lines.angle) <= 1 / _SURE_ASCENT
        ):
            return turn
    return 0
