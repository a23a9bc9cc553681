"""Accuracy of each engine on real scanned receipts: character error rate, word F1, CPU time.

Reads ``../shared/eval/sroie-dev/`` (40 receipts of ICDAR 2019 SROIE with their
text lines) and scores each configuration's text with ``../shared/eval/score.py``,
the one scorer of that set. Every configuration runs as child processes of this
one, so CPU seconds are theirs alone (``RUSAGE_CHILDREN``), model loading
included: untxt reads all receipts in one process (``untxt ocr -o FOLDER``), the
``tesseract`` command once per receipt.

Rows:

* ``tesseract`` command, default settings (one OpenMP thread), the set's published
  reference;
* ``rapidocr`` as installed, out of the box, its boxes grouped into lines by
  their centres (what one would write first with it);
* ``untxt`` with each engine, and with ``auto``: untxt's default configuration
  (``untxt ocr`` is a single process, whose engine computes on every core); once
  more with one thread, the share each of ``untxt serve``'s workers gets;
* ``untxt serve`` as it starts by default (one worker per core, one engine thread
  each), every receipt submitted as a job at once and its text fetched: time per
  receipt as a user of the service sees it, the server's start included. Its CPU
  seconds are those of the server and its workers, read from ``/proc`` before
  it stops.

    python bench/accuracy.py [--limit N] [--only NAME] [--keep DIR] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from common import UNTXT, descendants_cpu, report, running_server
from untxt.client import Client

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "sroie-dev"

# rapidocr out of the box, in a child process: its boxes become lines where their
# vertical centres agree within half the taller box, then are read left to right.
RAPIDOCR_CHILD = r"""
import sys
from pathlib import Path
from rapidocr import RapidOCR

out = Path(sys.argv[1])
ocr = RapidOCR(params={"Global.log_level": "error"})
for name in sys.argv[2:]:
    result = ocr(name)
    items = []
    for quad, text in zip(result.boxes if result.txts else [], result.txts or ()):
        ys = [p[1] for p in quad]
        xs = [p[0] for p in quad]
        items.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), text))
    items.sort()
    lines, line, top, tall = [], [], 0.0, 0.0
    for y, h, x, text in items:
        if line and abs(y - top) > 0.5 * max(tall, h):
            lines.append(" ".join(t for _, t in sorted(line)))
            line = []
        if not line:
            top, tall = y, h
        line.append((x, text))
    if line:
        lines.append(" ".join(t for _, t in sorted(line)))
    (out / (Path(name).stem + ".txt")).write_text("\n".join(lines) + "\n", encoding="utf-8")
"""


@dataclass
class Config:
    """One row: a name, its settings, and how to write ``ID.txt`` for each image."""

    engine: str
    settings: str
    # Writes ID.txt for each image; returns the CPU seconds it measured itself, or
    # None for those of the child processes it waited for.
    run: Callable[[list[Path], Path], float | None]


def tesseract_command(images: list[Path], out: Path) -> None:
    # One thread, as untxt runs it: OpenMP's idle threads would count as CPU time.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    for image in images:
        text = subprocess.run(
            ["tesseract", str(image), "-", "-l", "eng"],
            check=True,
            capture_output=True,
            env=env,
        ).stdout
        (out / f"{image.stem}.txt").write_bytes(text)


def rapidocr_plain(images: list[Path], out: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", RAPIDOCR_CHILD, str(out), *map(str, images)],
        check=True,
    )


def untxt(*args: str, **env: str) -> Callable[[list[Path], Path], None]:
    def run(images: list[Path], out: Path) -> None:
        # Several files and -o a folder: one process reads them all, writing ID.txt.
        subprocess.run(
            [UNTXT, "ocr", "-f", "text", "-o", str(out), *args, *map(str, images)],
            check=True,
            env={**os.environ, **env},
        )

    return run


def untxt_service(images: list[Path], out: Path) -> float:
    """Every receipt submitted to a fresh ``untxt serve`` at once; the texts fetched."""
    with running_server() as url, httpx.Client(base_url=url, timeout=120) as client:
        jobs = {}
        for image in images:
            response = client.post(
                "/v1/ocr",
                files={"file": (image.name, image.read_bytes())},
                data={"options": json.dumps({"no_cache": True})},
            )
            response.raise_for_status()
            jobs[image.stem] = response.json()["id"]
        with Client(url, timeout=120) as api:
            for stem, job_id in jobs.items():
                job = api.wait(job_id, timeout=3600)
                if job["status"] != "completed":
                    raise RuntimeError(f"{stem}: job ended {job['status']}: {job['error']}")
                text = client.get(f"/v1/jobs/{job_id}/result", params={"format": "text"})
                text.raise_for_status()
                (out / f"{stem}.txt").write_text(text.text, encoding="utf-8")
        return descendants_cpu()


CONFIGS = [
    Config("tesseract (command)", "tesseract IMG - -l eng, OMP_THREAD_LIMIT=1", tesseract_command),
    Config("rapidocr (as installed)", "defaults; lines by box centres", rapidocr_plain),
    Config("untxt tesseract", "--engine tesseract", untxt("--engine", "tesseract")),
    Config("untxt ppocr", "--engine ppocr", untxt("--engine", "ppocr")),
    # `untxt ocr` is one process: its engine computes on every core.
    Config("untxt default", "--engine auto", untxt("--engine", "auto")),
    # Each of `untxt serve`'s workers (one per core by default) gets its share: one thread.
    Config(
        "untxt default, 1 thread",
        "--engine auto, UNTXT_ENGINE_THREADS=1 (a worker's share)",
        untxt("--engine", "auto", UNTXT_ENGINE_THREADS="1"),
    ),
    Config("untxt serve", "defaults (a worker per core); all submitted at once", untxt_service),
]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def score(data: Path, predictions: Path, limit_ids: set[str] | None) -> dict[str, float]:
    """CER and word F1 of the predictions, by the set's scorer, over the images run."""
    scorer = data.parent / "score.py"
    dataset = data
    if limit_ids is not None:
        # The scorer reads every image of a folder: give it a folder of only those run.
        dataset = predictions.parent / "subset"
        for sub in ("img", "box", "key"):
            (dataset / sub).mkdir(parents=True, exist_ok=True)
            for path in (data / sub).iterdir():
                if path.stem in limit_ids and not (dataset / sub / path.name).exists():
                    (dataset / sub / path.name).symlink_to(path)
    result_file = predictions.parent / f"{predictions.name}.json"
    subprocess.run(
        [sys.executable, str(scorer), str(dataset), str(predictions), "--json", str(result_file)],
        check=True,
        capture_output=True,
    )
    result = json.loads(result_file.read_text())
    return {"cer": float(result["cer"]), "word_f1": float(result["word_f1"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the receipts set")
    parser.add_argument("--limit", type=int, default=None, help="only the first N receipts")
    parser.add_argument(
        "--only", action="append", default=None, help="run only rows whose engine contains this"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the predictions here")
    args = parser.parse_args()
    if not (args.data / "img").is_dir():
        raise SystemExit(f"no receipts at {args.data}/img")
    if not shutil.which("tesseract"):
        raise SystemExit("the tesseract command is not installed")
    images = sorted((args.data / "img").glob("*.jpg"))
    if args.limit:
        images = images[: args.limit]
    limit_ids = {p.stem for p in images} if args.limit else None
    configs = [c for c in CONFIGS if not args.only or any(o in c.engine for o in args.only)]

    work = Path(tempfile.mkdtemp(prefix="untxt-accuracy-"))
    rows = []
    results = []
    try:
        for index, config in enumerate(configs):
            out = work / f"row{index}"
            out.mkdir()
            cpu, wall = children_cpu(), time.perf_counter()
            own_cpu = config.run(images, out)
            cpu, wall = children_cpu() - cpu, time.perf_counter() - wall
            if own_cpu is not None:
                cpu = own_cpu
            scores = score(args.data, out, limit_ids)
            if args.keep:
                shutil.copytree(out, args.keep / f"row{index}", dirs_exist_ok=True)
            per_page_cpu, per_page_wall = cpu / len(images), wall / len(images)
            rows.append(
                [
                    config.engine,
                    config.settings,
                    scores["cer"],
                    scores["word_f1"],
                    per_page_cpu,
                    per_page_wall,
                ]
            )
            results.append(
                {
                    "engine": config.engine,
                    "settings": config.settings,
                    **scores,
                    "cpu_s_per_page": per_page_cpu,
                    "wall_s_per_page": per_page_wall,
                }
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(
        "accuracy",
        f"{len(images)} scanned receipts ({args.data.name}), scored by score.py",
        ["engine", "settings", "CER", "word F1", "CPU s/page", "wall s/page"],
        rows,
        {"receipts": len(images), "data": str(args.data), "rows": results},
    )


if __name__ == "__main__":
    main()
