"""Which way up untxt reads a page: each page of a varied set turned by 0, 90, 180 and 270
degrees, and the turn untxt's preprocessing gives it back.

Pages: the 40 receipts of ``../shared/eval/sroie-dev`` (real scans, five of them
4961 x 7016) and rendered ones (bench/orientation_pages.py: prose in columns,
invoices, forms, a receipt on a large scan, small scans, faint prints, long narrow
receipts). Each is turned clockwise by the bench; untxt's orientation step (the
pipeline's own ``prepare`` with only orientation on, as every job runs it) answers
the turn that puts it upright. A page is read the right way when the two add up to a
whole turn; an upright page that untxt turns is the worst outcome, a turned page left
as it is the lesser one.

    python bench/orientation.py [--limit N] [--kinds receipts,invoice,...] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from PIL import Image

from common import report
from orientation_pages import KINDS
from untxt.config import Settings
from untxt.options import Preprocess
from untxt.pipeline.preprocess import prepare

ROOT = Path(__file__).resolve().parent.parent
RECEIPTS = ROOT.parent / "shared" / "eval" / "sroie-dev" / "img"
TURNS = (0, 90, 180, 270)
_PIL_TURN = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def pages(
    kinds: set[str] | None, limit: int | None, seed: int = 0
) -> list[tuple[str, str, Image.Image]]:
    """(kind, name, upright page) for every page of the set; rendered ones are drawn from
    ``seed`` on."""
    out = []
    if kinds is None or "receipts" in kinds:
        paths = sorted(RECEIPTS.glob("*.jpg"))[:limit]
        out += [("receipt (SROIE)", p.stem, Image.open(p).convert("RGB")) for p in paths]
    for kind, (draw, count) in KINDS.items():
        if kinds is None or kind in kinds:
            seeds = range(seed, seed + count)
            out += [(kind, f"{kind} {s}", draw(s)) for s in seeds][:limit]
    return out


def decide(image: Image.Image, tessdata: Path | None) -> tuple[int, float]:
    """The turn untxt gives ``image`` (degrees clockwise) and the seconds it took."""
    options = Preprocess(orientation=True, deskew=False, upscale=False, clean=False)
    started = time.process_time()
    prepared = prepare(image, options, upscale=False, max_pixels=200_000_000, tessdata=tessdata)
    return prepared.preprocessing.rotation, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="pages of each kind")
    parser.add_argument("--kinds", default=None, help="receipts and the kinds of orientation_pages")
    parser.add_argument("--seed", type=int, default=0, help="the first seed of rendered pages")
    args = parser.parse_args()
    kinds = set(args.kinds.split(",")) if args.kinds else None
    tessdata = Settings().tessdata_dir

    outcomes: dict[str, Counter[str]] = {}
    cases = []
    seconds = 0.0
    for kind, name, page in pages(kinds, args.limit, args.seed):
        for turn in TURNS:
            turned = page.transpose(_PIL_TURN[turn]) if turn else page
            answer, spent = decide(turned, tessdata)
            seconds += spent
            if (turn + answer) % 360 == 0:
                outcome = "upright kept" if turn == 0 else "righted"
            elif turn == 0:
                outcome = "upright turned"
            elif answer == 0:
                outcome = "left turned"
            else:
                outcome = "turned wrong"
            outcomes.setdefault(kind, Counter())[outcome] += 1
            cases.append(
                {"kind": kind, "page": name, "turn": turn, "answer": answer, "outcome": outcome}
            )
            if outcome in ("upright turned", "turned wrong"):
                print(f"{outcome}: {name} turned {turn}, answered {answer}", file=sys.stderr)

    rows = []
    total: Counter[str] = Counter()
    for kind, counts in outcomes.items():
        total.update(counts)
        rows.append(_row(kind, counts))
    rows.append(_row("all", total))
    per_decision = seconds / max(len(cases), 1) * 1000
    report(
        "orientation",
        f"{len(cases) // 4} pages x 4 turns; {per_decision:.0f} ms CPU a decision",
        [
            "pages",
            "upright",
            "upright turned",
            "turned",
            "righted",
            "left turned",
            "turned wrong",
            "righted %",
        ],
        rows,
        {
            "cases": cases,
            "cpu_ms_per_decision": per_decision,
            "targets": {"upright_turned": 0, "righted_share": 0.98},
        },
    )


def _row(kind: str, counts: Counter[str]) -> list[object]:
    upright = counts["upright kept"] + counts["upright turned"]
    turned = counts["righted"] + counts["left turned"] + counts["turned wrong"]
    share = counts["righted"] / turned * 100 if turned else float("nan")
    return [
        kind,
        upright,
        counts["upright turned"],
        turned,
        counts["righted"],
        counts["left turned"],
        counts["turned wrong"],
        round(share, 1),
    ]


if __name__ == "__main__":
    main()
