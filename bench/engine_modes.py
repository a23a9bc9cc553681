"""Tesseract through its C API (tesserocr, as untxt runs it) against the `tesseract` command.

Both read the same 300 DPI pages in one process each, alternating in rounds: the
C API with one reused TessBaseAPI, the command once per page (process start,
model load, files), as a service shelling out to it would.

    python bench/engine_modes.py [--pages 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import report, scanned_page
from untxt.engines.tesseract import TesseractEngine


def c_api(engine: TesseractEngine, paths: list[Path]) -> float:
    from PIL import Image

    started = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.load()
            engine.recognize(image, page_number=1, languages=["eng"], mode="document", dpi=300)
    return time.perf_counter() - started


def command(paths: list[Path], out: Path) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    for path in paths:
        subprocess.run(
            ["tesseract", str(path), str(out / path.stem), "-l", "eng", "--dpi", "300", "tsv"],
            check=True,
            capture_output=True,
            env=env,
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("tesseract"):
        raise SystemExit("the tesseract command is not installed")
    os.environ["OMP_THREAD_LIMIT"] = "1"

    work = Path(tempfile.mkdtemp(prefix="untxt-engine-"))
    paths = []
    for i in range(args.pages):
        path = work / f"page{i}.png"
        scanned_page(i).save(path, dpi=(300, 300))
        paths.append(path)
    engine = TesseractEngine()
    c_api(engine, paths[:1])  # load the model once, as a worker does
    times: dict[str, list[float]] = {"tesserocr (C API)": [], "tesseract command": []}
    for _ in range(args.rounds):
        times["tesserocr (C API)"].append(c_api(engine, paths))
        times["tesseract command"].append(command(paths, work))
    shutil.rmtree(work, ignore_errors=True)

    per_round = [
        cmd / api
        for api, cmd in zip(times["tesserocr (C API)"], times["tesseract command"], strict=True)
    ]
    rows = [
        [name, statistics.median(v) / args.pages, args.pages / statistics.median(v)]
        for name, v in times.items()
    ]
    rows.append(["C API speed-up (median of rounds)", "", statistics.median(per_round)])
    report(
        "engine_modes",
        f"{args.pages} pages at 300 DPI, {args.rounds} rounds, one process each",
        ["engine", "s/page", "pages/s"],
        rows,
        {"pages": args.pages, "seconds": times, "speedup_per_round": per_round},
    )


if __name__ == "__main__":
    main()
